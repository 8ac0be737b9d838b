import type { ACL } from "node-zookeeper-client";
import { errorMessage } from "../system/error-message.ts";
import { SerialRetry } from "../system/serial-retry.ts";
import type { StoreLog } from "../store/types.ts";
import { ensureBasePath } from "../store/zk-layout.ts";
import type { SessionUser, ZkKeeper } from "../store/zk-keeper.ts";
import type { ZkSession } from "../store/zk-session.ts";

/**
 * Which appliance watches Marathon for all: ZooKeeper's standard election recipe. Each
 * appliance adds an ephemeral sequential node under the election's path; the lowest number
 * leads, and every other one watches only the node just before its own, so a leader's death
 * (its session ending) wakes one appliance, not all of them. A node lives as long as its
 * session: a leader that dies or is cut off for a session timeout loses the lead by
 * ZooKeeper's word, not by anyone's guess.
 *
 * @module
 */

/** `candidate`: not in the election (no session yet, or entering it); the others as they say. */
export type ElectionRole = "candidate" | "leader" | "follower";

export interface ElectionOptions {
  readonly keeper: ZkKeeper;
  /** The node under which candidates enter, e.g. `/marathon-haproxy/state-cluster/election`. */
  readonly path: string;
  readonly acl: ACL[];
  /** This appliance's name as others see it (its BAMBOO_ENDPOINT). */
  readonly name: string;
  readonly log?: StoreLog;
}

export interface ElectionStatus {
  readonly role: ElectionRole;
  /** When the current role began (ISO). */
  readonly since: string;
  /** This appliance's node, null outside the election. */
  readonly node: string | null;
  readonly lastError: string | null;
}

const CANDIDATE_PREFIX = "c-";
const MAX_RETRY_MS = 10_000;

export class LeaderElection {
  readonly #options: ElectionOptions;
  readonly #onRole: (role: ElectionRole) => void;
  readonly #user: SessionUser;
  #detach: (() => void) | null = null;
  #session: ZkSession | null = null;
  #node: string | null = null;
  #role: ElectionRole = "candidate";
  #since = new Date().toISOString();
  #lastError: string | null = null;
  readonly #checks = new SerialRetry(
    () => this.#check(),
    (error) => {
      this.#lastError = `leader election under ${this.#options.path}: ${errorMessage(error)}`;
      this.#options.log?.warn("leader election step failed; trying again", { error: this.#lastError });
      return "later";
    },
    { initialMs: 250, maxMs: MAX_RETRY_MS },
  );
  /** The predecessor's watch, one function for the session so re-arming does not stack watches. */
  readonly #predecessorGone = () => this.#checks.request();

  constructor(options: ElectionOptions, onRole: (role: ElectionRole) => void) {
    this.#options = options;
    this.#onRole = onRole;
    this.#user = {
      probePath: options.path,
      opened: () => {
        // A new session: the old one's node is gone with it (or soon will be).
        this.#session = null;
        this.#node = null;
        this.#checks.cancel();
        this.#become("candidate");
      },
      connected: (session) => {
        this.#session = session;
        this.#checks.request();
      },
      disconnected: () => {
        // Still in the election until the session expires: a leader keeps leading meanwhile.
      },
      lost: (reason) => {
        this.#session = null;
        this.#node = null;
        this.#lastError = reason;
        this.#become("candidate");
      },
    };
  }

  start(): void {
    this.#detach ??= this.#options.keeper.attach(this.#user);
  }

  /** Leaves the election at once (removing its node, so the next candidate need not wait for a session timeout). */
  async close(): Promise<void> {
    this.#checks.cancel();
    const [session, node] = [this.#session, this.#node];
    this.#session = null;
    this.#node = null;
    if (session !== null && node !== null) await session.remove(node).catch(() => undefined);
    this.#detach?.();
    this.#detach = null;
    this.#become("candidate");
  }

  status(): ElectionStatus {
    return { role: this.#role, since: this.#since, node: this.#node, lastError: this.#lastError };
  }

  /** One step of the election on the current session; a failure of a session gone since is no failure. */
  async #check(): Promise<void> {
    const session = this.#session;
    if (session === null) return;
    try {
      await this.#step(session);
      this.#lastError = null;
    } catch (error) {
      if (session === this.#session) throw error;
    }
  }

  /** Enters the election if this session has not, then leads or watches the candidate just before. */
  async #step(session: ZkSession): Promise<void> {
    const { path, acl, name, log } = this.#options;
    if (this.#node === null) {
      await ensureBasePath(session, path, acl, log);
      const body = Buffer.from(JSON.stringify({ name, joinedAt: new Date().toISOString() }));
      const node = await session.createEphemeralSequential(`${path}/${CANDIDATE_PREFIX}`, body, acl);
      if (session !== this.#session) return;
      this.#node = node;
    }
    const mine = this.#node.slice(path.length + 1);
    const candidates = (await session.getChildren(path)).filter((child) => child.startsWith(CANDIDATE_PREFIX)).sort(bySequence);
    if (session !== this.#session) return;
    const at = candidates.indexOf(mine);
    if (at < 0) {
      // Our node is gone though the session lives (removed by hand): enter again.
      this.#node = null;
      this.#checks.request();
      return;
    }
    if (at === 0) {
      this.#become("leader");
      return;
    }
    this.#become("follower");
    // Only the node before ours: when it goes, this appliance may be next.
    const before = await session.watchExists(`${path}/${candidates[at - 1]}`, this.#predecessorGone);
    if (!before) this.#checks.request();
  }

  #become(role: ElectionRole): void {
    if (role === this.#role) return;
    this.#role = role;
    this.#since = new Date().toISOString();
    this.#options.log?.info(role === "leader" ? "leading: this appliance watches Marathon for the others" : `leader election: ${role}`, { name: this.#options.name });
    this.#onRole(role);
  }
}

/** ZooKeeper's sequence is the last 10 digits of the name; candidates are ordered by it alone. */
function bySequence(a: string, b: string): number {
  return sequenceOf(a) - sequenceOf(b);
}

function sequenceOf(node: string): number {
  return Number(node.slice(-10));
}
