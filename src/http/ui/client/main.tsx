import { render } from "preact";
import { App } from "./app.tsx";

const root = document.getElementById("app");
performance.mark("bamboo:script-start");
if (root) {
  root.textContent = "";
  render(<App />, root);
}
