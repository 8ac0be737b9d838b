import Handlebars from "handlebars";
import { COMPUTED_TEMPLATE_APP_FIELDS, type TemplateData } from "../routing/template-data.ts";
import { registerMemoizingEach, type RenderPieces } from "./template-memo.ts";
import defaultTemplatePath from "../../templates/haproxy.cfg.hbs" with { type: "file" };
import { errorMessage } from "../system/error-message.ts";

/** A template that does not compile or render; the message names the template and the cause. */
export class TemplateError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TemplateError";
  }
}

/** A compiled template: the config text, or the same text as pieces (see template-memo.ts). */
export interface RenderConfig {
  (data: TemplateData): string;
  /** Pieces whose concatenation is the text; an unchanged item's piece is the same string as last time. */
  pieces(data: TemplateData): readonly string[];
  /**
   * Whether the template can listen on the apps' service ports: it names `ServicePorts` or a
   * port's `Binds`. A Bamboo template does not, and then none is planned or reported as served.
   */
  readonly servesServicePorts: boolean;
}

/** Name of the embedded default template in messages and status. */
export const DEFAULT_TEMPLATE_NAME = "embedded templates/haproxy.cfg.hbs";

/** Reads the user's template, or the default one embedded in the executable. */
export async function loadTemplateSource(templatePath: string): Promise<{ name: string; source: string }> {
  if (templatePath === "") return { name: DEFAULT_TEMPLATE_NAME, source: await Bun.file(defaultTemplatePath).text() };
  const file = Bun.file(templatePath);
  if (!(await file.exists())) throw new TemplateError(`HAPROXY_TEMPLATE_PATH: template file ${templatePath} does not exist`);
  return { name: templatePath, source: await file.text() };
}

/**
 * Compiles a Handlebars template with Bamboo's helpers. Not `strict`: Bamboo's templates
 * test optional fields (`{{#if Env.X}}`), which strict mode turns into errors. `each`
 * blocks reuse the text of items that did not change (template-memo.ts).
 */
export function compileTemplate(name: string, source: string): RenderConfig {
  const handlebars = Handlebars.create();
  registerHelpers(handlebars);
  let template: HandlebarsTemplateDelegate;
  let inPieces: RenderPieces;
  try {
    inPieces = registerMemoizingEach(handlebars, source);
    template = handlebars.compile(source, { noEscape: true, strict: false });
    // Compile eagerly so syntax errors surface at start, not at the first render.
    template(EMPTY_DATA, READ_COMPUTED_FIELDS);
  } catch (error) {
    throw new TemplateError(`template ${name}: ${messageOf(error)}`, { cause: error });
  }
  // Control characters were already replaced when the data was built (template-data.ts).
  const guarded = <T>(render: () => T): T => {
    try {
      return render();
    } catch (error) {
      throw new TemplateError(`template ${name}: ${messageOf(error)}`, { cause: error });
    }
  };
  return Object.assign((data: TemplateData) => guarded(() => template(data, READ_COMPUTED_FIELDS)), {
    pieces: (data: TemplateData) => guarded(() => inPieces(() => template(data, READ_COMPUTED_FIELDS))),
    servesServicePorts: /\bServicePorts\b|\bBinds\b/.test(source),
  });
}

/** Lets templates read the fields a TemplateApp makes when read (template-data.ts), and no other inherited property. */
const READ_COMPUTED_FIELDS: Handlebars.RuntimeOptions = { allowedProtoProperties: Object.fromEntries(COMPUTED_TEMPLATE_APP_FIELDS.map((field) => [field, true])) };

const EMPTY_DATA: TemplateData = {
  Apps: [],
  Routes: [],
  Frontend: [],
  Maps: [],
  Services: {},
  Certificates: [],
  ServicePorts: { HttpMap: "", TcpMap: "", HttpBinds: [], TcpBinds: [], Listened: { http: 0, tcp: 0 }, PoolLowFdRatio: 0, PoolHighFdRatio: 0 },
  HAProxy: {
    HttpBind: ":80",
    BindHost: "",
    StatsSocket: "/dev/null",
    StatsPageSocket: "/dev/null",
    ServerStateFile: "/dev/null",
    MapDir: "/dev/null",
    MaxConn: 1,
    TimeoutConnect: "1s",
    TimeoutClient: "1s",
    TimeoutServer: "1s",
    TimeoutTunnel: "1s",
    HardStopAfter: "1s",
    HttpsBind: ":443",
    HttpsPortSuffix: "",
    CertificateDir: "/dev/null",
    CrtList: "/dev/null",
    DefaultCertificate: "/dev/null",
    TlsMinVersion: "TLSv1.2",
    TlsCiphers: "ECDHE-RSA-AES128-GCM-SHA256",
    TlsCiphersuites: "TLS_AES_128_GCM_SHA256",
    AccessLog: null,
  },
};

/**
 * Bamboo's template functions under their Go names, plus Go's `eq`, `ne`, `and`, `or` and
 * `not`, which Handlebars lacks. Helpers only format; routing decisions live in routing/.
 */
function registerHelpers(handlebars: typeof Handlebars): void {
  const helpers: Record<string, (...args: any[]) => unknown> = {
    hasKey: (services: Record<string, unknown>, id: string) => services != null && Object.hasOwn(services, id),
    getService: (services: Record<string, unknown>, id: string) => services?.[id],
    Split: (text: string, separator: string) => String(text).split(separator),
    Contains: (text: string, part: string) => String(text).includes(part),
    Join: (items: unknown[], separator: string) => (Array.isArray(items) ? items.join(separator) : ""),
    // Go's strings.Replace(s, old, new, n): n < 0 replaces all.
    Replace: (text: string, from: string, to: string, count: unknown) => replaceN(String(text), from, to, typeof count === "number" ? count : -1),
    ToUpper: (text: string) => String(text).toUpperCase(),
    ToLower: (text: string) => String(text).toLowerCase(),
    ToInt: (text: string) => Number.parseInt(String(text), 10),
    eq: (a: unknown, b: unknown) => a === b,
    ne: (a: unknown, b: unknown) => a !== b,
    // Go's and/or/not, with its idea of empty: false, 0, "", nothing, an empty list.
    and: (...values: unknown[]) => values[firstIndexOr(values, (value) => !isTrue(value))],
    or: (...values: unknown[]) => values[firstIndexOr(values, isTrue)],
    not: (value: unknown) => !isTrue(value),
  };
  for (const [name, helper] of Object.entries(helpers)) {
    handlebars.registerHelper(name, (...args: unknown[]) => helper(...args.slice(0, -1)));
  }
}

/** The index of the first value that `test` passes, or of the last value: what Go's and/or return. */
function firstIndexOr(values: readonly unknown[], test: (value: unknown) => boolean): number {
  const index = values.findIndex(test);
  return index === -1 ? values.length - 1 : index;
}

function isTrue(value: unknown): boolean {
  return !(value === undefined || value === null || value === false || value === 0 || value === "" || (Array.isArray(value) && value.length === 0));
}

function replaceN(text: string, from: string, to: string, count: number): string {
  if (count < 0) return text.replaceAll(from, to);
  let result = text;
  for (let i = 0; i < count && result.includes(from); i++) result = result.replace(from, to);
  return result;
}

function messageOf(error: unknown): string {
  return errorMessage(error);
}
