/**
 * Marathon's event stream, parsed incrementally and reduced to what bamboo acts on: which
 * app to refetch, or "refetch everything". Pure: the watcher feeds it text, and the HTTP
 * layer feeds it callback bodies. Event bodies are never applied as state; event order is
 * not guaranteed, so every event only invalidates.
 */
import { absoluteId, isObject, type JsonObject } from "./json-read.ts";
import type { MarathonChange } from "./types.ts";

/** One event from the stream or a callback. */
export interface MarathonEvent {
  /** `eventType` of the body, else the SSE `event:` field, else "message". */
  readonly eventType: string;
  /** The JSON body; `{}` when it was not a JSON object. */
  readonly body: JsonObject;
  /** True when the data could not be parsed: the safe reaction is a full resync. */
  readonly malformed: boolean;
}

/** Events that name one app: refetch that app. */
const APP_EVENTS: ReadonlySet<string> = new Set([
  "status_update_event",
  "health_status_changed_event",
  "instance_health_changed_event",
  "instance_changed_event",
  "unknown_instance_terminated_event",
  "failed_health_check_event",
  "add_health_check_event",
  "remove_health_check_event",
  "unhealthy_task_kill_event",
  "unhealthy_instance_kill_event",
  "app_terminated_event",
  "api_post_event",
]);

/** Events after which only a full refetch is safe, at once. */
const URGENT_ALL_EVENTS: ReadonlySet<string> = new Set(["event_stream_attached"]);

/**
 * Deployment events: their plan names the apps they touch (a deployment's end is what makes
 * tasks `Ready`, with no task event to say so). One without a readable plan may touch
 * anything and is treated like a group change.
 */
const DEPLOYMENT_EVENTS: ReadonlySet<string> = new Set([
  "deployment_info",
  "deployment_success",
  "deployment_failed",
  "deployment_step_success",
  "deployment_step_failure",
]);

/** Events that may touch many apps, none urgently: refetch everything, lazily. */
const LAZY_ALL_EVENTS: ReadonlySet<string> = new Set(["group_change_success", "group_change_failed"]);

/** The `event_type` filter bamboo asks the stream for: exactly the events {@link changeOf} acts on. */
export const WATCHED_EVENT_TYPES: readonly string[] = [...URGENT_ALL_EVENTS, ...DEPLOYMENT_EVENTS, ...LAZY_ALL_EVENTS, ...APP_EVENTS];

/**
 * Incremental `text/event-stream` parser. Tolerates LF, CRLF and lone CR line ends, chunks
 * split anywhere (even between CR and LF), comments, bare heartbeats, and Marathon's habit
 * of putting several JSON objects into one data field separated by CRLF.
 */
export class SseParser {
  #buffer = "";
  #eventField = "";
  #data: string[] = [];

  /** Feeds a chunk of decoded text; returns every event it completed. */
  feed(chunk: string): MarathonEvent[] {
    this.#buffer += chunk;
    const events: MarathonEvent[] = [];
    for (;;) {
      const end = this.#lineEnd();
      if (end === null) break;
      const line = this.#buffer.slice(0, end.at);
      this.#buffer = this.#buffer.slice(end.at + end.length);
      this.#line(line, events);
    }
    return events;
  }

  /** Finds the first complete line end; a trailing CR waits, since an LF may follow in the next chunk. */
  #lineEnd(): { at: number; length: number } | null {
    const buf = this.#buffer;
    for (let i = 0; i < buf.length; i++) {
      const c = buf.charCodeAt(i);
      if (c === 10) return { at: i, length: 1 };
      if (c === 13) {
        if (i + 1 === buf.length) return null;
        return { at: i, length: buf.charCodeAt(i + 1) === 10 ? 2 : 1 };
      }
    }
    return null;
  }

  #line(line: string, events: MarathonEvent[]): void {
    if (line === "") {
      this.#dispatch(events);
      return;
    }
    if (line.startsWith(":")) return;
    // A bare JSON line right after a data line is Marathon's second object in the same field.
    if (this.#data.length > 0 && (line.startsWith("{") || line.startsWith("["))) {
      this.#data.push(line);
      return;
    }
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.#eventField = value;
    else if (field === "data") this.#data.push(value);
  }

  #dispatch(events: MarathonEvent[]): void {
    const data = this.#data;
    const field = this.#eventField;
    this.#data = [];
    this.#eventField = "";
    if (data.length === 0) return;
    for (const parsed of parseData(data)) events.push(toEvent(parsed, field));
  }
}

const MALFORMED = Symbol("malformed");

/** The data field as one JSON value, or, failing that, one JSON value per line. */
function parseData(lines: readonly string[]): unknown[] {
  const whole = tryJson(lines.join("\n"));
  if (whole !== MALFORMED) return [whole];
  return lines.filter((l) => l.trim() !== "").map(tryJson);
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return MALFORMED;
  }
}

function toEvent(parsed: unknown, field: string): MarathonEvent {
  if (!isObject(parsed)) return { eventType: field || "message", body: {}, malformed: true };
  const type = typeof parsed.eventType === "string" && parsed.eventType !== "" ? parsed.eventType : field || "message";
  return { eventType: type, body: parsed, malformed: false };
}

/** What an event invalidates, or null when bamboo does not care (framework messages, subscriptions, pods). */
export function changeOf(event: MarathonEvent): MarathonChange | null {
  if (event.malformed) return { kind: "all", reason: `unreadable ${event.eventType} event` };
  if (URGENT_ALL_EVENTS.has(event.eventType)) return { kind: "all", reason: event.eventType };
  if (DEPLOYMENT_EVENTS.has(event.eventType)) {
    const appIds = deployedApps(event.body);
    if (appIds.length > 0) return { kind: "apps", appIds, reason: event.eventType };
  }
  if (LAZY_ALL_EVENTS.has(event.eventType) || DEPLOYMENT_EVENTS.has(event.eventType)) return { kind: "all", reason: event.eventType, lazy: true };
  const appId = appIdOf(event.body);
  if (APP_EVENTS.has(event.eventType)) {
    // An app event that names no app (a group PUT posts no appDefinition) may touch anything.
    return appId === null ? { kind: "all", reason: `${event.eventType} without an app id` } : { kind: "app", appId };
  }
  return null;
}

/**
 * Apps a deployment event's plan acts on: `plan.steps[].actions[].app` (older Marathons
 * write a step as the action itself) and `currentStep.actions[].app`. Sorted, distinct.
 */
function deployedApps(body: JsonObject): string[] {
  const plan = isObject(body.plan) ? body.plan : {};
  const steps = [...(Array.isArray(plan.steps) ? plan.steps : []), body.currentStep];
  const actions = steps.flatMap((step) => (isObject(step) ? (Array.isArray(step.actions) ? step.actions : [step]) : []));
  const ids = actions.flatMap((action) => (isObject(action) && typeof action.app === "string" && action.app.replace(/\//g, "") !== "" ? [absoluteId(action.app)] : []));
  return [...new Set(ids)].sort();
}

/** The app an event body is about: `appId`, `runSpecId` (instance events) or `appDefinition.id`. */
function appIdOf(body: JsonObject): string | null {
  const definition = body.appDefinition;
  const candidates = [body.appId, body.runSpecId, isObject(definition) ? definition.id : undefined];
  for (const c of candidates) if (typeof c === "string" && c.replace(/\//g, "") !== "") return absoluteId(c);
  return null;
}

/**
 * The change a posted callback event (legacy `http_callback` mode) asks for. Accepts the parsed
 * JSON body or its raw text; an unreadable body asks for a full resync.
 */
export function changeFromCallback(body: unknown): MarathonChange | null {
  const parsed = typeof body === "string" ? tryJson(body) : body;
  return changeOf(toEvent(parsed === MALFORMED ? null : parsed, "callback"));
}
