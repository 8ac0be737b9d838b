import type { Overview } from "../api-types.ts";
import { useApi } from "./api-context.ts";
import type { LiveState } from "./use-overview.ts";
import type { View } from "./use-hash-view.ts";

const TABS: readonly { readonly view: View; readonly label: string }[] = [
  { view: "apps", label: "Apps" },
  { view: "test", label: "Why this answer?" },
  { view: "state", label: "Appliance" },
  { view: "certificates", label: "Certificates" },
];

const LIVE_WORDS: Readonly<Record<LiveState, string>> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  "signed-out": "Not signed in",
};

export function Header(props: { view: View; live: LiveState; overview: Overview | null }) {
  const api = useApi();
  const problems = props.overview ? props.overview.warnings.length + props.overview.overlaps.length : 0;
  return (
    <header class="top">
      <a class="skip" href="#main" onClick={skipToContent}>
        Skip to content
      </a>
      <div class="brand">
        <span class="logo" aria-hidden="true" />
        bamboo
      </div>
      <nav aria-label="Views">
        {TABS.map((tab) => (
          <a key={tab.view} href={`#${tab.view}`} aria-current={props.view === tab.view ? "page" : undefined}>
            {tab.label}
            {tab.view === "state" && problems > 0 && (
              <span class="count" title={`${problems} warnings or overlaps`}>
                {problems}
              </span>
            )}
          </a>
        ))}
      </nav>
      <span class={`live live-${props.live}`} data-testid="live">
        {LIVE_WORDS[props.live]}
      </span>
      {props.live === "signed-out" && (
        // The sign-in prompt was cancelled; the page reads nothing until the user asks again.
        <button type="button" onClick={() => void api.signIn()}>
          Sign in
        </button>
      )}
    </header>
  );
}

/** The view lives in the hash, so the skip link moves focus itself instead of changing it. */
function skipToContent(event: MouseEvent) {
  event.preventDefault();
  document.getElementById("main")?.focus();
}
