import { MISSING } from "../format.ts";
import type { Summary } from "./chart-scale.ts";

/** A rate per second as people read it: "0", "< 0.1", "12.3", "1,234". */
export function formatRate(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return MISSING;
  if (value === 0) return "0";
  if (value < 0.1) return "< 0.1";
  if (value < 100) return value.toFixed(1);
  return Math.round(value).toLocaleString("en");
}

/** The top of a chart's scale (a round number from niceCeiling): "50", "2.5", "0.5". */
export function formatAxis(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString("en") : String(value);
}

/** Milliseconds: one decimal below 10 ms, whole above. */
export function formatMs(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return MISSING;
  if (value < 10) return `${value.toFixed(1)} ms`;
  return `${Math.round(value).toLocaleString("en")} ms`;
}

/** "15 min", "90 s": how far back a chart reaches. */
export function formatWindow(windowMs: number): string {
  return windowMs >= 60_000 ? `${Math.round(windowMs / 60_000)} min` : `${Math.round(windowMs / 1000)} s`;
}

/** A chart's text alternative, e.g. "Requests per second, last 15 min: now 12.3, peak 40.1, mean 10.2". */
export function describeSeries(what: string, windowMs: number, summary: Summary, format: (value: number | null) => string): string {
  if (summary.now === null) return `${what}, last ${formatWindow(windowMs)}: no data`;
  return `${what}, last ${formatWindow(windowMs)}: now ${format(summary.now)}, peak ${format(summary.peak)}, mean ${format(summary.mean)}`;
}

export function formatRequests(value: number | null): string {
  return `${formatRate(value)} req/s`;
}

export function formatErrors(value: number | null): string {
  return `${formatRate(value)} 5xx/s`;
}
