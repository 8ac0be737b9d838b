import { linePath, niceCeiling, shownSpanMs, summarise } from "./chart-scale.ts";
import { describeSeries, formatAxis, formatWindow } from "./traffic-format.ts";

/** SVG units; the chart stretches to its box and `vector-effect` keeps the lines' width. */
const WIDTH = 600;
const HEIGHT = 120;

export interface ChartLine {
  readonly key: string;
  /** What the legend and the text alternative call the line. */
  readonly label: string;
  readonly values: readonly (number | null)[];
  /** Its colour: `line-requests`, `line-errors`, `line-response`, `line-total`, `series-0`… */
  readonly className: string;
}

/**
 * A larger chart over the window (or the part of it that has points): one or more lines on one scale, the current value of the
 * first line as text beside the title, the top of the scale and the time span as HTML text
 * (an SVG stretched to its box would distort its own), and a legend when there are several.
 * Its text alternative gives now, peak and mean of every line.
 */
export function TrafficChart(props: {
  title: string;
  times: readonly number[];
  windowMs: number;
  lines: readonly ChartLine[];
  format: (value: number | null) => string;
  /** The unit the scale's top is labelled in: "req/s", "ms". */
  unit: string;
  /** The smallest top of the scale, so an idle chart is not stretched to its full height. */
  floor: number;
  className?: string;
}) {
  const { title, times, lines, format, floor } = props;
  const end = times[times.length - 1] ?? 0;
  const spanMs = shownSpanMs(times, props.windowMs);
  const summaries = lines.map((line) => summarise(line.values));
  const top = niceCeiling(Math.max(0, ...summaries.map((summary) => summary.peak ?? 0)), floor);
  const frame = { width: WIDTH, height: HEIGHT, start: end - spanMs, end, top };
  const label = lines.map((line, i) => describeSeries(lines.length > 1 ? `${title}, ${line.label}` : title, spanMs, summaries[i]!, format)).join("; ");
  return (
    <figure class={`chart ${props.className ?? ""}`}>
      <figcaption>
        <span class="chart-title">{title}</span>
        <strong class="chart-now">{format(summaries[0]?.now ?? null)}</strong>
      </figcaption>
      <div class="chart-plot">
        <div class="chart-y" aria-hidden="true">
          <span>
            {formatAxis(top)} {props.unit}
          </span>
          <span>0</span>
        </div>
        <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-label={label}>
          <line class="grid" x1="0" x2={WIDTH} y1="0.5" y2="0.5" />
          <line class="grid" x1="0" x2={WIDTH} y1={HEIGHT / 2} y2={HEIGHT / 2} />
          <line class="grid" x1="0" x2={WIDTH} y1={HEIGHT - 0.5} y2={HEIGHT - 0.5} />
          {lines.map((line) => (
            <path key={line.key} class={`line ${line.className}`} data-line={line.key} d={linePath(times, line.values, frame)} />
          ))}
        </svg>
      </div>
      <div class="chart-x" aria-hidden="true">
        <span>{formatWindow(spanMs)} ago</span>
        <span>now</span>
      </div>
      {lines.length > 1 && (
        <ul class="legend">
          {lines.map((line, i) => (
            <li key={line.key}>
              <span class={`swatch ${line.className}`} aria-hidden="true" />
              <span class="legend-label">{line.label}</span> <span class="legend-now">{format(summaries[i]!.now)}</span>
            </li>
          ))}
        </ul>
      )}
    </figure>
  );
}
