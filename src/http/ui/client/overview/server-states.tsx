import type { HAProxyServerState, OverviewServer } from "../../api-types.ts";

const ORDER: readonly (HAProxyServerState | "none")[] = ["UP", "DRAIN", "NOLB", "MAINT", "DOWN", "none"];

/**
 * HAProxy's view of an app's servers, as counts ("2 UP · 1 DOWN"): a row stays one line high
 * however many instances run. The per-server list is in the row's details.
 */
export function ServerStates(props: { servers: readonly OverviewServer[] }) {
  if (props.servers.length === 0) return <span class="muted">no servers</span>;
  const counts = new Map<HAProxyServerState | "none", number>();
  for (const server of props.servers) {
    const key = server.haproxy ?? "none";
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return (
    <span class="states">
      {ORDER.filter((state) => counts.has(state)).map((state) => (
        <span key={state} class={`state state-${state.toLowerCase()}`}>
          {counts.get(state)} {state === "none" ? "not in HAProxy" : state}
        </span>
      ))}
    </span>
  );
}

export function ServerList(props: { servers: readonly OverviewServer[] }) {
  return (
    <ul class="servers">
      {props.servers.map((server) => (
        <li key={server.taskId}>
          <code>{server.address}</code>
          <span class={`state state-${(server.haproxy ?? "none").toLowerCase()}`}>{server.haproxy ?? "not in HAProxy"}</span>
          <span class="muted">
            {server.marathon.state.replace(/^TASK_/, "").toLowerCase()}
            {server.marathon.alive ? "" : ", failing health checks"}
            {server.marathon.ready ? "" : ", not ready"}
          </span>
        </li>
      ))}
    </ul>
  );
}
