import { useEffect, useMemo, useRef } from "preact/hooks";
import type { AppTraffic, Overview, OverviewApp, ServerTraffic, TrafficPoint } from "../../api-types.ts";
import { StatusBadge } from "../status-badge.tsx";
import { MEASURE_CHARTS, type MeasureChart } from "./measure-charts.ts";
import { SamplingNote } from "./sampling-note.tsx";
import { ServicePortTable } from "./service-port-table.tsx";
import { TrafficChart, type ChartLine } from "./traffic-chart.tsx";
import { formatMs, formatRate } from "./traffic-format.ts";
import { useAppPorts } from "./use-app-ports.ts";
import { useAppTraffic } from "./use-app-traffic.ts";

/** How many server lines get their own colour before the palette repeats (styles/traffic.css). */
const PALETTE_SIZE = 6;

/**
 * One app's page (`#/apps/<id>`): its traffic at full resolution with the per-server split,
 * its service ports as HAProxy runs them, and its servers as Marathon and HAProxy see them.
 * `samples` counts the stream's samples; each new one reads the app's traffic again.
 */
export function AppPage(props: { id: string; overview: Overview | null; samples: number }) {
  const { id, overview } = props;
  const app = useMemo(() => overview?.apps.find((candidate) => candidate.id === id) ?? null, [overview, id]);
  const { answer, error } = useAppTraffic(id, props.samples);
  const ports = useAppPorts(id, overview);
  // Opened from a link in a long list: the page starts at its heading, and a screen reader says which app.
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [id]);
  return (
    <section class="panel app-page" aria-labelledby="app-title">
      <p class="back">
        <a href="#apps">← All apps</a>
      </p>
      <div class="panel-head">
        <h1 id="app-title" tabIndex={-1} ref={heading}>
          {id}
        </h1>
        {app && <StatusBadge status={app.status} title={app.statusText} />}
      </div>
      {app && (
        <p class="muted app-facts">
          {app.statusText} · rule <code>{app.rule.acl}</code>
          {app.rule.source === "default" && <span class="tag">default</span>}
        </p>
      )}
      {overview !== null && app === null && <p class="banner banner-warn">Marathon has no app {id} (any more).</p>}
      {error !== null && <p class="sampling-note">Traffic could not be read: {error}</p>}
      {answer && <AppCharts traffic={answer} />}
      {ports.error !== null && <p class="banner banner-warn">Service ports could not be read: {ports.error}</p>}
      {ports.answer && <ServicePortTable ports={ports.answer.ports} />}
      {app && <ServerTable app={app} traffic={answer} />}
    </section>
  );
}

function AppCharts(props: { traffic: AppTraffic }) {
  const { traffic } = props;
  const { times, points, windowMs } = traffic;
  const [requests, ...others] = MEASURE_CHARTS;
  const requestLines: ChartLine[] = [{ key: "all", label: "all servers", values: points.map((point) => point[requests!.measure]), className: "line-total" }];
  traffic.servers?.forEach((server, i) =>
    requestLines.push({ key: `${server.name}@${server.address}`, label: serverLabel(server), values: server.points.map((point) => point?.[requests!.measure] ?? null), className: `series-${i % PALETTE_SIZE}` }),
  );
  const chart = (measure: MeasureChart, lines: readonly ChartLine[], className?: string) => (
    <TrafficChart key={measure.key} title={measure.title} times={times} windowMs={windowMs} lines={lines} format={measure.format} unit={measure.unit} floor={measure.floor} className={className} />
  );
  return (
    <div class="app-traffic">
      <SamplingNote sampling={traffic.sampling} />
      {traffic.sampling.state !== "off" && times.length > 0 && (
        <div class="charts">
          {chart(requests!, requestLines, "chart-wide")}
          {traffic.servers === null && <p class="muted servers-why">No per-server split: {traffic.serversWhy ?? "the appliance keeps none for this app."}</p>}
          {others.map((measure) => chart(measure, [{ key: measure.key, label: "all servers", values: points.map((point) => point[measure.measure]), className: measure.className }]))}
        </div>
      )}
    </div>
  );
}

/** The app's servers from the overview, with each one's current traffic when the split is kept. */
function ServerTable(props: { app: OverviewApp; traffic: AppTraffic | null }) {
  const { app, traffic } = props;
  const current = (address: string): TrafficPoint | null => {
    // A slot that moved to another task is a new entry, so the last one at the address is current.
    const server = traffic?.servers?.filter((candidate) => candidate.address === address).pop();
    return server?.points[server.points.length - 1] ?? null;
  };
  if (app.servers.length === 0) return <p class="muted">No servers: Marathon runs no task of this app that HAProxy could route to.</p>;
  return (
    <table class="server-table">
      <caption>Servers</caption>
      <thead>
        <tr>
          <th scope="col">Address</th>
          <th scope="col">Task</th>
          <th scope="col">HAProxy</th>
          <th scope="col">Marathon</th>
          <th scope="col" class="c-num">
            req/s
          </th>
          <th scope="col" class="c-num">
            5xx/s
          </th>
          <th scope="col" class="c-num">
            Mean response
          </th>
        </tr>
      </thead>
      <tbody>
        {app.servers.map((server) => {
          const point = current(server.address);
          return (
            <tr key={server.taskId} data-address={server.address}>
              <th scope="row">
                <code>{server.address}</code>
              </th>
              <td data-label="Task">
                <code class="task-id">{server.taskId}</code>
              </td>
              <td data-label="HAProxy">
                <span class={`state state-${(server.haproxy ?? "none").toLowerCase()}`}>{server.haproxy ?? "not in HAProxy"}</span>
              </td>
              <td data-label="Marathon">
                {server.marathon.state.replace(/^TASK_/, "").toLowerCase()}
                {server.marathon.alive ? "" : ", failing health checks"}
                {server.marathon.ready ? "" : ", not ready"}
              </td>
              <td class="c-num" data-label="req/s">
                {formatRate(point?.[0] ?? null)}
              </td>
              <td class="c-num" data-label="5xx/s">
                {formatRate(point?.[1] ?? null)}
              </td>
              <td class="c-num" data-label="Mean response">
                {formatMs(point?.[2] ?? null)}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** "10.0.0.5:31002 (shop.3f2a…)": the address, and the task when Marathon still knows it. */
function serverLabel(server: ServerTraffic): string {
  return server.taskId ? `${server.address} (${server.taskId})` : `${server.address} (${server.name}, task gone)`;
}
