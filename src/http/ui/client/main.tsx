import { render } from "preact";
import { App } from "./app.tsx";
import { prefetchOverview } from "./use-overview.ts";

const root = document.getElementById("app");
performance.mark("bamboo:script-start");
prefetchOverview();
if (root) {
  root.textContent = "";
  render(<App />, root);
}
