/** The test-only exposition-format parser (npm parse-prometheus-text-format), which ships no types. */
declare module "parse-prometheus-text-format" {
  interface MetricFamily {
    readonly name: string;
    readonly help: string;
    readonly type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
    readonly metrics: readonly { readonly value?: string; readonly count?: string; readonly sum?: string; readonly labels?: Readonly<Record<string, string>>; readonly buckets?: Readonly<Record<string, string>> }[];
  }
  export default function parse(text: string): MetricFamily[];
}
