import { render } from "preact";
import { ApiClient } from "./api.ts";
import { ApiContext } from "./api-context.ts";
import { App } from "./app.tsx";
import { fetchOverview } from "./use-overview.ts";

const root = document.getElementById("app");
performance.mark("bamboo:script-start");
const firstOverview = fetchOverview();
if (root) {
  root.textContent = "";
  render(
    <ApiContext.Provider value={new ApiClient()}>
      <App firstOverview={firstOverview} />
    </ApiContext.Provider>,
    root,
  );
}
