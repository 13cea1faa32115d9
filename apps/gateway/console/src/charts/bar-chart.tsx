import type { RefObject } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';

/** One bar: its label under the axis, its value, and the hover text (label and value when absent). */
export interface Bar {
  label: string;
  value: number;
  title?: string;
}

/** Approximate width of one character of the chart's 11px text, in px: enough to decide what fits. */
const CHAR_PX = 6.4;
/** Line height of the chart's text, in px: a rotated label needs this much room across. */
const TEXT_PX = 13;
const PLOT_HEIGHT = 220;
const LONGEST_LABEL = 18;

/** Round axis ends, as multiples of a power of ten, with how many equal steps divide each into round figures. */
const AXIS_STEPS: readonly [factor: number, ticks: number][] = [[1, 4], [1.2, 4], [1.5, 3], [2, 4], [2.5, 5], [3, 3], [4, 4], [5, 5], [6, 3], [8, 4], [10, 5]];

/** The value axis for values up to `max`: the smallest round end at or above it, and its tick values from 0. */
export function valueAxis(max: number): { end: number; ticks: number[] } {
  const power = max > 0 ? 10 ** Math.floor(Math.log10(max)) : 1;
  const [factor, steps] = AXIS_STEPS.find(([each]) => each * power >= max * (1 - 1e-9)) ?? [10, 5];
  const end = factor * power;
  return { end, ticks: Array.from({ length: steps + 1 }, (_, index) => (end * index) / steps) };
}

function shorten(label: string): string {
  return label.length <= LONGEST_LABEL ? label : `${label.slice(0, LONGEST_LABEL - 1)}…`;
}

/** The width the chart's box has now, following resizes: text is drawn at its real size, never scaled. */
function useWidth(): [RefObject<HTMLDivElement | null>, number] {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  useLayoutEffect(() => {
    const element = ref.current;
    if (element === null) return;
    setWidth(element.clientWidth);
    const observer = new ResizeObserver(() => setWidth(element.clientWidth));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

/** Where everything goes for `bars` in `width` px: margins, slot per bar, and which texts turn upright. */
function layoutOf(bars: readonly Bar[], width: number, format: (value: number) => string) {
  const { end: axisMax, ticks } = valueAxis(Math.max(...bars.map((bar) => bar.value)));
  const left = Math.max(...ticks.map((tick) => format(tick).length)) * CHAR_PX + 12;
  const slot = Math.max(1, (width - left - 8) / bars.length);
  const labels = bars.map((bar) => shorten(bar.label));
  const values = bars.map((bar) => format(bar.value));
  const longestLabel = Math.max(...labels.map((label) => label.length)) * CHAR_PX;
  const longestValue = Math.max(...values.map((value) => value.length)) * CHAR_PX;
  const uprightLabels = longestLabel > slot - 6;
  const uprightValues = longestValue > slot - 4;
  // Upright texts need TEXT_PX across: with thinner slots only every `every`-th bar is labelled (all have their hover title).
  const every = uprightLabels || uprightValues ? Math.max(1, Math.ceil(TEXT_PX / slot)) : 1;
  const top = uprightValues ? longestValue + 10 : 18;
  const bottom = uprightLabels ? longestLabel + 12 : 20;
  return { axisMax, ticks, left, slot, labels, values, uprightLabels, uprightValues, every, top, bottom, height: top + PLOT_HEIGHT + bottom };
}

type Layout = ReturnType<typeof layoutOf>;

/** One bar's group: a hover target as tall as the plot, the bar, its value above and its label below. */
function BarMark({ bar, index, layout }: { bar: Bar; index: number; layout: Layout }) {
  const slotX = layout.left + index * layout.slot;
  const center = slotX + layout.slot / 2;
  const barWidth = Math.max(1, Math.min(64, layout.slot * 0.72));
  const barHeight = (Math.max(0, bar.value) / layout.axisMax) * PLOT_HEIGHT;
  const base = layout.top + PLOT_HEIGHT;
  const labelled = index % layout.every === 0;
  const valueY = base - barHeight - 4;
  const labelY = base + 6;
  const value = layout.values[index];
  const label = layout.labels[index];
  return (
    <g class="bar-group" data-label={bar.label}>
      <title>{bar.title ?? `${bar.label}: ${layout.values[index]}`}</title>
      <rect class="bar-hit" x={slotX} y={layout.top} width={layout.slot} height={PLOT_HEIGHT} />
      <rect class="bar-rect" x={center - barWidth / 2} y={base - barHeight} width={barWidth} height={barHeight} />
      {!labelled || bar.value === 0 ? null : layout.uprightValues ? (
        <text class="bar-value" x={center} y={valueY} transform={`rotate(-90 ${center} ${valueY})`} dominant-baseline="middle">{value}</text>
      ) : (
        <text class="bar-value" x={center} y={valueY} text-anchor="middle">{value}</text>
      )}
      {!labelled ? null : layout.uprightLabels ? (
        <text x={center} y={labelY} transform={`rotate(-90 ${center} ${labelY})`} text-anchor="end" dominant-baseline="middle">{label}</text>
      ) : (
        <text x={center} y={labelY + 8} text-anchor="middle">{label}</text>
      )}
    </g>
  );
}

/** The value axis: a line per tick across the plot, its figure on the left. */
function Ticks({ layout, width, format }: { layout: Layout; width: number; format: (value: number) => string }) {
  return (
    <>
      {layout.ticks.map((tick) => {
        const y = layout.top + PLOT_HEIGHT - (tick / layout.axisMax) * PLOT_HEIGHT;
        return (
          <g key={tick}>
            <line class={tick === 0 ? 'axis' : 'grid'} x1={layout.left} x2={width - 4} y1={y} y2={y} />
            <text x={layout.left - 6} y={y} text-anchor="end" dominant-baseline="middle">{format(tick)}</text>
          </g>
        );
      })}
    </>
  );
}

/**
 * A bar chart drawn as SVG by hand: bars over a value axis from 0 to a round maximum, each bar's
 * value above it and its label below (turned upright when they do not fit across, and thinned
 * when even that is too tight), and each bar's `title` on hover. Readable at 50 bars on a laptop.
 */
export function BarChart({ bars, format }: { bars: Bar[]; format: (value: number) => string }) {
  const [ref, width] = useWidth();
  const layout = width === 0 || bars.length === 0 ? undefined : layoutOf(bars, width, format);
  return (
    <div class="chart">
      <div ref={ref}>
        {bars.length === 0 ? <p class="muted">Nothing to chart.</p> : null}
        {layout === undefined ? null : (
          <svg width={width} height={layout.height} viewBox={`0 0 ${width} ${layout.height}`} role="img" aria-label={`bar chart of ${bars.length} bars, axis up to ${format(layout.axisMax)}`}>
            <Ticks layout={layout} width={width} format={format} />
            {bars.map((bar, index) => (
              <BarMark key={index} bar={bar} index={index} layout={layout} />
            ))}
          </svg>
        )}
      </div>
    </div>
  );
}
