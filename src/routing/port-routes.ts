import type { App } from "../marathon/types.ts";
import { portHttpsSettingsOf, type HttpsSettings } from "./https-settings.ts";
import { labelRuleOf, routedPortIndexes } from "./lb-labels.ts";
import { portEnabledOf, portModeOf } from "./service-ports.ts";

/**
 * The ports after the first that marathon-lb's labels route on the shared HTTP frontend:
 * `HAPROXY_{n}_VHOST` and `HAPROXY_{n}_PATH` send matching requests to port n's backend
 * (`<id>-cluster-port<n>`), as marathon-lb does. Port 0's labels give the app's own rule
 * (compile/label-services.ts), which a stored rule overrides; no stored rule names another
 * port, so these come from labels alone. Pure.
 *
 * @module
 */

/** A port after the first routed by its labels on the shared HTTP frontend. */
export interface PortRoute {
  readonly id: string;
  readonly index: number;
  /** The rule as the labels give it, for people. */
  readonly acl: string;
  /** The same rule as rules of one map key each: how the frontend routes it (lb-labels.ts). */
  readonly parts: readonly string[];
  /** The labels that gave it: `HAPROXY_1_VHOST`... */
  readonly from: string;
  /** HAPROXY_{n}_REDIRECT_TO_HTTPS and HAPROXY_{n}_USE_HSTS; a redirect only counts while HTTPS is served. */
  readonly https: HttpsSettings;
}

/** What an app's labels ask of its later ports: the routes they give, and why any is not routed. */
export interface PortRoutesOfApp {
  readonly routes: readonly PortRoute[];
  readonly problems: readonly string[];
}

const NONE: PortRoutesOfApp = { routes: [], problems: [] };

/**
 * The routes an app's labels give its ports after the first. A port the app does not have, a
 * port served as TCP or turned off (`HAPROXY_{n}_ENABLED`) is not routed, and said.
 *
 * @example portRoutesOf(app with HAPROXY_1_VHOST "admin.example") // routes: [{ index: 1, acl: "hdr(host) -i admin.example", ... }]
 */
export function portRoutesOf(app: App): PortRoutesOfApp {
  const indexes = routedPortIndexes(app.labels);
  // Nearly every app: no label names a later port.
  if (indexes.length === 0) return NONE;
  const routes: PortRoute[] = [];
  const problems: string[] = [];
  for (const index of indexes) {
    const rule = labelRuleOf(app.labels, index);
    if (rule === null) continue;
    const notRouted = (why: string) => problems.push(`labels HAPROXY_${index}_VHOST/PATH not routed: ${why}`);
    if (!rule.ok) {
      problems.push(rule.message);
      continue;
    }
    if (index >= app.ports.length) {
      notRouted(`the app has ${app.ports.length === 1 ? "one port" : `${app.ports.length} ports`}, no port ${index}`);
      continue;
    }
    const mode = portModeOf(app, index);
    if (mode.mode !== "http") {
      notRouted(`port ${index} is served as TCP (${mode.modeFrom})`);
      continue;
    }
    if (!portEnabledOf(app, index)) {
      notRouted(`HAPROXY_${index}_ENABLED is false`);
      continue;
    }
    const https = portHttpsSettingsOf(app.labels, index);
    problems.push(...https.problems);
    routes.push({ id: app.id, index, acl: rule.acl, parts: rule.parts, from: rule.from, https: https.settings });
  }
  return { routes, problems };
}

/** The name a port route ranks under: after its app's own rule, in port order, and unique (precedence.ts breaks ties by it). */
export function portRouteRankId(route: Pick<PortRoute, "id" | "index">): string {
  return `${route.id} port ${route.index}`;
}
