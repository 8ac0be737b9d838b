import { StoreError, StoreUnavailableError } from "../store/types.ts";
import { HttpError } from "./errors.ts";

/**
 * Runs a store write, turning the store's failures into answers that say nothing changed:
 * 503 while the store cannot be reached (try again), `refusedStatus` when it refused the
 * write itself (a rule store's refusal is the server's; a certificate's, its body's).
 */
export async function guardStore<T>(write: () => Promise<T>, what: string, refusedStatus: 400 | 503): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof StoreUnavailableError) throw new HttpError(503, `${what} cannot be changed right now, nothing was changed: ${error.message}`);
    if (error instanceof StoreError) throw new HttpError(refusedStatus, `the store refused the change, nothing was changed: ${error.message}`);
    throw error;
  }
}
