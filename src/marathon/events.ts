/**
 * Marathon's event stream, parsed incrementally and reduced to what bamboo acts on: which
 * app to refetch, or "refetch everything". Pure: the watcher feeds it text, and the HTTP
 * layer feeds it callback bodies. Event bodies are never applied as state; event order is
 * not guaranteed, so every event only invalidates.
 */
import { absoluteId, isObject, type JsonObject } from "./json-read.ts";
import { formatSize } from "./sizes.ts";
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

/** An event grew past the parser's limit before it ended: the stream is not worth reading on. */
export class EventTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`an event on Marathon's stream is larger than ${formatSize(limitBytes)}`);
    this.name = "EventTooLargeError";
  }
}

const LF = 10;
const CR = 13;

/**
 * Incremental `text/event-stream` parser over bytes. Tolerates LF, CRLF and lone CR line ends,
 * chunks split anywhere (even between CR and LF or inside a UTF-8 character), comments, bare
 * heartbeats, and Marathon's habit of putting several JSON objects into one data field
 * separated by CRLF. Each byte is looked at once, so time is linear in the input, and an event
 * (its unfinished line plus the data lines before it) larger than `maxEventBytes` throws
 * {@link EventTooLargeError} instead of growing without bound.
 */
export class SseParser {
  readonly #maxEventBytes: number;
  readonly #decoder = new TextDecoder();
  /** Pieces of the line not ended yet. */
  #partial: Uint8Array[] = [];
  #partialBytes = 0;
  /** The last line ended with a CR at the end of a chunk: an LF opening the next chunk belongs to it. */
  #afterCr = false;
  #eventField = "";
  #data: string[] = [];
  #dataBytes = 0;

  constructor(maxEventBytes: number) {
    this.#maxEventBytes = maxEventBytes;
  }

  /** Feeds the next bytes of the stream; returns every event they completed. */
  feed(chunk: Uint8Array): MarathonEvent[] {
    const events: MarathonEvent[] = [];
    if (chunk.length === 0) return events;
    let start = this.#afterCr && chunk[0] === LF ? 1 : 0;
    this.#afterCr = false;
    for (let i = start; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (c !== LF && c !== CR) continue;
      this.#endLine(chunk.subarray(start, i), events);
      if (c === CR && i + 1 === chunk.length) this.#afterCr = true;
      else if (c === CR && chunk[i + 1] === LF) i++;
      start = i + 1;
    }
    if (start < chunk.length) {
      // A copy: the rest of the chunk need not stay alive for the sake of a line's beginning.
      this.#partial.push(chunk.slice(start));
      this.#partialBytes += chunk.length - start;
      this.#checkSize();
    }
    return events;
  }

  #endLine(tail: Uint8Array, events: MarathonEvent[]): void {
    const bytes = this.#partialBytes + tail.length;
    const line = this.#partial.length === 0 ? this.#decoder.decode(tail) : this.#decoder.decode(Buffer.concat([...this.#partial, tail]));
    this.#partial = [];
    this.#partialBytes = 0;
    if (this.#line(line, events)) {
      this.#dataBytes += bytes;
      this.#checkSize();
    }
  }

  #checkSize(): void {
    if (this.#dataBytes + this.#partialBytes > this.#maxEventBytes) throw new EventTooLargeError(this.#maxEventBytes);
  }

  /** Reads one line; true when it added to the event's data. */
  #line(line: string, events: MarathonEvent[]): boolean {
    if (line === "") {
      this.#dispatch(events);
      return false;
    }
    if (line.startsWith(":")) return false;
    // A bare JSON line right after a data line is Marathon's second object in the same field.
    if (this.#data.length > 0 && (line.startsWith("{") || line.startsWith("["))) {
      this.#data.push(line);
      return true;
    }
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.#eventField = value;
    else if (field === "data") this.#data.push(value);
    return field === "data";
  }

  #dispatch(events: MarathonEvent[]): void {
    const data = this.#data;
    const field = this.#eventField;
    this.#data = [];
    this.#dataBytes = 0;
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
