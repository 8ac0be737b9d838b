import type { AppStatus } from "../api-types.ts";
import { STATUS_WORDS } from "./overview/sort-filter.ts";

/** A colour and a word: the colour is never the only signal, for colour-blind readers. */
export function StatusBadge(props: { status: AppStatus; title?: string }) {
  return (
    <span class={`badge status-${props.status}`} title={props.title} data-status={props.status}>
      <span class="dot" aria-hidden="true" />
      {STATUS_WORDS[props.status]}
    </span>
  );
}
