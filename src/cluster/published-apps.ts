import { gunzipSync, gzipSync } from "node:zlib";
import type { App, AppPort, HealthCheck, Task } from "../marathon/types.ts";

/**
 * The apps one appliance (the leader) publishes in ZooKeeper for the others to route from:
 * a manifest node naming, per bucket of apps, the nodes that hold that bucket. Bucket nodes
 * are named by their content and never rewritten, so a follower that read a manifest reads
 * exactly the apps it names, or finds a node gone (a newer version replaced it) and reads the
 * newer manifest. A task event changes one bucket: one node written, one read by each
 * follower. Pure: encoding, decoding and checking what comes back.
 *
 * @module
 */

export const APPS_FORMAT = "bamboo-apps/1";

/**
 * Apps are spread over this many buckets by id. At 20,000 apps a bucket holds about 80
 * (tens of KB before compression); at 100 apps most are empty and not written at all.
 */
export const BUCKETS = 256;

/** ZooKeeper refuses a node above about 1 MB (`jute.maxbuffer`): a bucket is cut into parts well below it. */
export const MAX_PART_BYTES = 512 * 1024;

/** A bucket decoded grows no larger than this, whatever a node holds: a gzip bomb stops here. */
const MAX_BUCKET_JSON_BYTES = 64 * 1024 * 1024;

/** A bucket's parts, at most (32 MB gzipped): a manifest naming more is refused before anything is read. */
export const MAX_PARTS = 64;

/** What a part node's name looks like (partName): anything else in a manifest is refused, never read. */
const PART_NAME = /^b(\d{1,3})-[0-9a-f]{16}-\d{1,2}$/;

/** Problems of Marathon's list a manifest carries, at most; the rest are counted. */
export const MAX_MANIFEST_PROBLEMS = 200;
const MAX_PROBLEM_CHARS = 500;

/** What the leader says of its own Marathon connection, so followers are not silently stale. */
export interface LeaderMarathon {
  readonly connected: boolean;
  readonly lastError: string | null;
  /** When the leader last applied a change from Marathon (ISO), null before the first. */
  readonly lastSyncAt: string | null;
}

export interface Manifest {
  readonly format: typeof APPS_FORMAT;
  /** Goes up by one with every publication, across leaders. */
  readonly version: number;
  /** The leader's name (its BAMBOO_ENDPOINT), and since when it leads (ISO). */
  readonly leader: string;
  readonly leaderSince: string;
  readonly publishedAt: string;
  readonly apps: number;
  /**
   * Each bucket's nodes, in order; a bucket without apps is absent. The apps are the leader's
   * own: an entry of Marathon's list it could not read keeps its last known version there.
   */
  readonly buckets: Readonly<Record<string, readonly string[]>>;
  /** Why apps of Marathon's list were left out, as the leader reports them. */
  readonly problems: readonly { readonly id: string; readonly message: string }[];
  readonly marathon: LeaderMarathon;
}

/** One bucket, encoded: its key (a hash of its content) and the node bodies that hold it. */
export interface EncodedBucket {
  readonly key: string;
  readonly parts: readonly Uint8Array[];
}

/** The bucket an app id falls in. */
export function bucketOf(id: string): number {
  return Number(Bun.hash.wyhash(id) % BigInt(BUCKETS));
}

/** The name of part `part` of a bucket with this content key: names change whenever content does. */
export function partName(bucket: number, key: string, part: number): string {
  return `b${bucket}-${key}-${part}`;
}

/** A bucket's apps as node bodies: JSON, gzipped, cut at {@link MAX_PART_BYTES}. */
export function encodeBucket(apps: readonly App[]): EncodedBucket {
  const json = JSON.stringify(apps);
  if (json.length > MAX_BUCKET_JSON_BYTES) throw new Error(`${apps.length} apps weigh ${json.length} characters in one bucket, more than the ${MAX_BUCKET_JSON_BYTES} a follower reads`);
  const key = Bun.hash.wyhash(json).toString(16).padStart(16, "0");
  const zipped = gzipSync(json);
  const parts: Uint8Array[] = [];
  for (let at = 0; at < zipped.length || parts.length === 0; at += MAX_PART_BYTES) parts.push(zipped.subarray(at, at + MAX_PART_BYTES));
  if (parts.length > MAX_PARTS) throw new Error(`${apps.length} apps take ${parts.length} nodes in one bucket, more than the ${MAX_PARTS} a follower reads`);
  return { key, parts };
}

export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/**
 * A bucket's apps from its node bodies, each app checked field by field: ZooKeeper is another
 * process's word. `bytes` is the JSON's length, which a follower adds up over a version.
 */
export function decodeBucket(parts: readonly Uint8Array[]): Decoded<{ readonly apps: App[]; readonly bytes: number }> {
  let json: string;
  try {
    json = gunzipSync(Buffer.concat(parts), { maxOutputLength: MAX_BUCKET_JSON_BYTES }).toString("utf8");
  } catch (error) {
    return { ok: false, message: `not a gzipped bucket of at most ${MAX_BUCKET_JSON_BYTES} bytes: ${(error as Error).message}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    return { ok: false, message: `not JSON: ${(error as Error).message}` };
  }
  if (!Array.isArray(value)) return { ok: false, message: "not a list of apps" };
  const apps: App[] = [];
  for (const [index, entry] of value.entries()) {
    const problem = appProblem(entry);
    if (problem !== null) return { ok: false, message: `app ${index}: ${problem}` };
    apps.push(entry as App);
  }
  return { ok: true, value: { apps, bytes: json.length } };
}

export function encodeManifest(manifest: Manifest): Uint8Array {
  return Buffer.from(JSON.stringify(manifest));
}

/** A manifest from its node's body; a format this version does not read is refused by name. */
export function decodeManifest(body: Uint8Array): Decoded<Manifest> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body).toString("utf8"));
  } catch (error) {
    return { ok: false, message: `not JSON: ${(error as Error).message}` };
  }
  if (!isRecord(value)) return { ok: false, message: "not an object" };
  if (value.format !== APPS_FORMAT) return { ok: false, message: `format ${JSON.stringify(value.format)} is not ${APPS_FORMAT}: is the leader another version of bamboo?` };
  const problem =
    check(value, { version: "count", leader: "string", leaderSince: "string", publishedAt: "string", apps: "count" }) ??
    bucketsProblem(value.buckets) ??
    (Array.isArray(value.problems) && value.problems.every((entry) => isRecord(entry) && check(entry, { id: "string", message: "string" }) === null) ? null : "problems: expected a list of {id, message}") ??
    (isRecord(value.marathon) && typeof value.marathon.connected === "boolean" && isStringOrNull(value.marathon.lastError) && isStringOrNull(value.marathon.lastSyncAt) ? null : "marathon: expected {connected, lastError, lastSyncAt}");
  return problem === null ? { ok: true, value: value as unknown as Manifest } : { ok: false, message: problem };
}

/** What is wrong with a manifest's buckets, or null: each a bucket number and 1 to MAX_PARTS of its own part names. */
function bucketsProblem(buckets: unknown): string | null {
  if (!isRecord(buckets)) return "buckets: expected bucket → list of node names";
  for (const [bucket, parts] of Object.entries(buckets)) {
    if (!/^\d{1,3}$/.test(bucket) || Number(bucket) >= BUCKETS) return `buckets: '${bucket.slice(0, 20)}' is no bucket from 0 to ${BUCKETS - 1}`;
    if (!isStringList(parts) || parts.length === 0 || parts.length > MAX_PARTS) return `buckets: bucket ${bucket} should name 1 to ${MAX_PARTS} nodes`;
    const stray = parts.find((part) => PART_NAME.exec(part)?.[1] !== bucket);
    if (stray !== undefined) return `buckets: bucket ${bucket} names '${stray.slice(0, 40)}', which is none of its nodes`;
  }
  return null;
}

/** Marathon's list problems as a manifest carries them: bounded in number and length, the rest counted. */
export function boundedProblems(problems: readonly { readonly id: string; readonly message: string }[]): { id: string; message: string }[] {
  const kept = problems.slice(0, MAX_MANIFEST_PROBLEMS).map((problem) => ({ id: problem.id, message: problem.message.slice(0, MAX_PROBLEM_CHARS) }));
  if (problems.length > MAX_MANIFEST_PROBLEMS) kept.push({ id: "", message: `${problems.length - MAX_MANIFEST_PROBLEMS} more of Marathon's entries left out (not published)` });
  return kept;
}

type FieldKind = "string" | "count" | "number" | "boolean" | "record" | "numbers" | "stringOrNull" | "numberOrNull";

/** An app's own fields; its lists of ports, checks and tasks are checked entry by entry. */
const APP_FIELDS: Readonly<Record<Exclude<keyof App, "ports" | "healthChecks" | "tasks">, FieldKind>> = {
  id: "string",
  instances: "count",
  env: "record",
  labels: "record",
  readinessCheckPath: "string",
};
const PORT_FIELDS: Readonly<Record<keyof AppPort, FieldKind>> = { servicePort: "count", protocol: "string", name: "string", labels: "record" };
const CHECK_FIELDS: Readonly<Record<keyof HealthCheck, FieldKind>> = {
  protocol: "string",
  path: "string",
  portIndex: "count",
  port: "numberOrNull",
  intervalSeconds: "number",
  timeoutSeconds: "number",
  maxConsecutiveFailures: "number",
};
const TASK_FIELDS: Readonly<Record<keyof Task, FieldKind>> = {
  id: "string",
  appId: "string",
  host: "string",
  ports: "numbers",
  state: "string",
  alive: "boolean",
  healthKnown: "boolean",
  ready: "boolean",
  startedAt: "stringOrNull",
};

function appProblem(value: unknown): string | null {
  if (!isRecord(value)) return "not an object";
  const own = check(value, APP_FIELDS);
  if (own !== null) return own;
  if (typeof value.id !== "string" || !value.id.startsWith("/")) return "id: expected an app id with a leading '/'";
  return listProblem(value.ports, "ports", PORT_FIELDS) ?? listProblem(value.healthChecks, "healthChecks", CHECK_FIELDS) ?? listProblem(value.tasks, "tasks", TASK_FIELDS);
}

function listProblem(value: unknown, name: string, fields: Readonly<Record<string, FieldKind>>): string | null {
  if (!Array.isArray(value)) return `${name}: expected a list`;
  for (const [index, entry] of value.entries()) {
    const problem = isRecord(entry) ? check(entry, fields) : "not an object";
    if (problem !== null) return `${name}[${index}]: ${problem}`;
  }
  return null;
}

/** The first field of `value` that is not of its kind, named; null when all are. */
function check(value: Readonly<Record<string, unknown>>, fields: Readonly<Record<string, FieldKind>>): string | null {
  for (const [field, kind] of Object.entries(fields)) {
    if (!isKind(value[field], kind)) return `${field}: expected ${KIND_WORDS[kind]}`;
  }
  return null;
}

const KIND_WORDS: Readonly<Record<FieldKind, string>> = {
  string: "a string",
  count: "a whole number from 0",
  number: "a number",
  boolean: "true or false",
  record: "an object of strings",
  numbers: "a list of numbers",
  stringOrNull: "a string or null",
  numberOrNull: "a number or null",
};

function isKind(value: unknown, kind: FieldKind): boolean {
  switch (kind) {
    case "string":
      return typeof value === "string";
    case "count":
      return Number.isSafeInteger(value) && (value as number) >= 0;
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "boolean":
      return typeof value === "boolean";
    case "record":
      return isRecord(value) && Object.values(value).every((entry) => typeof entry === "string");
    case "numbers":
      return Array.isArray(value) && value.every((entry) => typeof entry === "number" && Number.isFinite(entry));
    case "stringOrNull":
      return isStringOrNull(value);
    case "numberOrNull":
      return value === null || (typeof value === "number" && Number.isFinite(value));
  }
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isStringList(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((entry) => typeof entry === "string");
}

function isStringOrNull(value: unknown): boolean {
  return value === null || typeof value === "string";
}
