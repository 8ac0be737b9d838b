import { lookup } from "node:dns/promises";
import type { HostAnswer } from "../compile/agent-addresses.ts";
import { errorMessage } from "../system/error-message.ts";

export type Lookup = (host: string) => Promise<string>;

const TTL_MS = 60_000;

/**
 * Asks DNS for agents' addresses, at most once per name per minute. A name that stops
 * resolving keeps its last address while DNS is unwell: an agent does not move that often,
 * and leaving its tasks out would cost more than a stale answer.
 */
export class HostResolver {
  readonly #cache = new Map<string, HostAnswer & { readonly at: number }>();
  /** The last answer, handed out again while it holds: compile keeps its work for the same answers (compile/agent-addresses.ts). */
  #last: ReadonlyMap<string, HostAnswer> | null = null;

  constructor(
    private readonly resolve: Lookup = async (host) => (await lookup(host)).address,
    private readonly now: () => number = Date.now,
  ) {}

  /** The current answer for each name. */
  async lookupAll(names: Iterable<string>): Promise<ReadonlyMap<string, HostAnswer>> {
    const unique = [...new Set(names)];
    await Promise.all(unique.map((name) => this.#lookup(name)));
    const last = this.#last;
    if (last !== null && last.size === unique.length && unique.every((name) => last.get(name) === this.#cache.get(name))) return last;
    this.#last = new Map(unique.map((name) => [name, this.#cache.get(name)!]));
    return this.#last;
  }

  async #lookup(name: string): Promise<void> {
    const cached = this.#cache.get(name);
    if (cached && this.now() - cached.at < TTL_MS) return;
    try {
      this.#cache.set(name, { address: await this.resolve(name), error: "", at: this.now() });
    } catch (error) {
      // Keep routing to the last address a name had while DNS is unwell.
      if (cached?.address) this.#cache.set(name, { ...cached, at: this.now() });
      else this.#cache.set(name, { address: null, error: errorMessage(error), at: this.now() });
    }
  }
}
