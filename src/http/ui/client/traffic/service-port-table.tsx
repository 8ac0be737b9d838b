import type { ServicePortAnswer } from "../../api-types.ts";
import { MISSING } from "../format.ts";

/**
 * An app's service ports as HAProxy runs them: one row per port with its mode and what decided
 * it, where its listener binds (or that it has none, and why), its backend, and the rule that
 * routes the shared HTTP frontend there (a later port's HAPROXY_{n}_VHOST).
 */
export function ServicePortTable(props: { ports: readonly ServicePortAnswer[] }) {
  const { ports } = props;
  if (ports.length === 0) return <p class="muted">No service ports: the app defines no port.</p>;
  return (
    <table class="port-table">
      <caption>Service ports</caption>
      <thead>
        <tr>
          <th scope="col">Port</th>
          <th scope="col" class="c-num">
            Service port
          </th>
          <th scope="col">Mode</th>
          <th scope="col">Listens on</th>
          <th scope="col">Backend</th>
        </tr>
      </thead>
      <tbody>
        {ports.map((port) => (
          <tr key={port.index} data-port-index={port.index}>
            <th scope="row">port {port.index}</th>
            <td class="c-num" data-label="Service port">
              {port.servicePort > 0 ? port.servicePort : MISSING}
            </td>
            <td data-label="Mode">
              <span class="port-mode">{port.mode.toUpperCase()}</span>
              {port.modeFrom !== "" && <span class="muted"> ({port.modeFrom})</span>}
            </td>
            <td data-label="Listens on">
              <Binds port={port} />
            </td>
            <td data-label="Backend">
              <code class="backend">{port.backend}</code>
              {port.frontendRule !== null && (
                <span class="frontend-rule">
                  {" "}
                  also routed from the HTTP frontend by <code>{port.frontendRule}</code>
                </span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Binds(props: { port: ServicePortAnswer }) {
  const { binds } = props.port;
  if (binds.length === 0) return <span class="not-listened">{notListenedText(props.port)}</span>;
  return (
    <ul class="binds">
      {binds.map((bind) => (
        <li key={bind}>
          <code>{bind}</code>
          {EVERY_ADDRESS.test(bind) && <span class="muted"> (every address)</span>}
        </li>
      ))}
    </ul>
  );
}

/** A bind without an address (`:10001`) listens on every address; `::1:10001` has one. */
const EVERY_ADDRESS = /^:\d+$/;

/** How a refusal begins (routing/service-ports.ts): the port it would have listened on. */
const REFUSAL = /^service port (\d+) not listened on: /;

/**
 * "not listened on", with why. A refusal's lead ("service port N not listened on: ") is
 * folded in: its port is named only when HAPROXY_{n}_PORT made it differ from the row's.
 */
function notListenedText(port: ServicePortAnswer): string {
  const problem = port.whyNotListened;
  if (problem === null) return "not listened on";
  const refusal = REFUSAL.exec(problem);
  if (refusal === null) return `not listened on: ${problem}`;
  const reason = problem.slice(refusal[0].length);
  return Number(refusal[1]) === port.servicePort ? `not listened on: ${reason}` : `not listened on port ${refusal[1]}: ${reason}`;
}
