import { MISSING } from "../format.ts";

export type Fact = readonly [label: string, value: string, tone?: "bad" | "good"];

/** A titled list of label/value pairs; a missing value is a dash. */
export function Facts(props: { title: string; facts: readonly Fact[] }) {
  return (
    <section class="card" aria-label={props.title}>
      <h2>{props.title}</h2>
      <dl class="facts">
        {props.facts.map(([label, value, tone]) => (
          <div key={label} class="fact">
            <dt>{label}</dt>
            <dd class={tone ? `tone-${tone}` : undefined}>{value === "" ? MISSING : value}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
