import { normaliseServiceId } from "../routing/ids.ts";
import type { TemplateApp, TemplatePort } from "../routing/template-data.ts";
import type { AppliedState } from "../sync/pipeline.ts";
import { HttpError, jsonResponse } from "./errors.ts";
import type { Router } from "./router.ts";
import type { AppPortsAnswer, ServicePortAnswer } from "./ui/api-types.ts";

export interface AppPortsApiDeps {
  /** What HAProxy runs: the ports are shown as served, not as wanted. */
  readonly applied: () => AppliedState;
}

const PORTS_SUFFIX = "/ports";

/**
 * `GET /api/apps/<id>/ports`: one app's service ports as HAProxy runs them. A read of its own
 * rather than a part of the overview, whose stream carries 10,000 apps to every page.
 */
export function mountAppPortsApi(router: Router, deps: AppPortsApiDeps): void {
  router.on("GET", "/api/apps/*", (request, { rest }) => {
    if (!rest.endsWith(PORTS_SUFFIX)) throw new HttpError(404, `no such path: ${new URL(request.url).pathname}`);
    const id = normaliseServiceId(rest.slice(0, -PORTS_SUFFIX.length));
    const applied = deps.applied();
    const app = applied.data.Apps.find((candidate) => candidate.Id === id);
    if (app === undefined) {
      const why = applied.elsewhere.includes(id) ? `${id} is left to instances of other groups (BAMBOO_GROUPS)` : `HAProxy runs no app with id ${id}`;
      throw new HttpError(404, why);
    }
    return jsonResponse(appPortsOf(app));
  });
}

/** The app's ports, each unlistened one with why. Pure. */
function appPortsOf(app: TemplateApp): AppPortsAnswer {
  return { id: app.Id, ports: app.Ports.map(portAnswer) };
}

function portAnswer(port: TemplatePort): ServicePortAnswer {
  return {
    index: port.Index,
    servicePort: port.ServicePort,
    mode: port.Mode,
    modeFrom: port.ModeFrom,
    binds: port.Binds,
    whyNotListened: port.NotListened === "" ? null : port.NotListened,
    backend: port.Backend,
    frontendRule: port.Acl === "" ? null : port.Acl,
  };
}
