import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { ApiClient } from "./api.ts";

/** The page's one ApiClient, provided by main.tsx. */
export const ApiContext = createContext<ApiClient | null>(null);

export function useApi(): ApiClient {
  const api = useContext(ApiContext);
  if (api === null) throw new Error("useApi outside ApiContext: main.tsx provides it");
  return api;
}
