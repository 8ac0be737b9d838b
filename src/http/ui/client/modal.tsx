import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

/**
 * A modal on the native <dialog>: the browser traps focus, closes on Escape, makes the page
 * behind inert and gives focus back to the opener, in Chromium and Firefox alike.
 */
export function Modal(props: { title: string; onCancel: () => void; children: ComponentChildren; labelId: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      class="modal"
      aria-labelledby={props.labelId}
      onCancel={(event) => {
        // Escape: let the owner decide, so closing always goes through one path.
        event.preventDefault();
        props.onCancel();
      }}
    >
      <h2 id={props.labelId}>{props.title}</h2>
      {props.children}
    </dialog>
  );
}
