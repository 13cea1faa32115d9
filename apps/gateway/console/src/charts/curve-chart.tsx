/** One line of a curve chart: points in data units, y between 0 and 1. */
export interface Curve {
  name: string;
  /** A CSS class giving the stroke colour. */
  className: string;
  points: { x: number; y: number | null }[];
}

const WIDTH = 720;
const HEIGHT = 280;
const PAD = { left: 44, right: 16, top: 12, bottom: 32 };

/**
 * Lines of shares (0 to 1) over x, hand-written SVG: the calibration curve of the cache, threshold
 * against hit rate and precision. `marks` draws vertical lines (the chosen static threshold).
 */
export function CurveChart({ curves, xLabel, marks = [] }: { curves: Curve[]; xLabel: string; marks?: { x: number; label: string }[] }) {
  const xs = curves.flatMap((curve) => curve.points.map((point) => point.x));
  const [minX, maxX] = [Math.min(...xs), Math.max(...xs)];
  const sx = (x: number) => PAD.left + ((x - minX) / Math.max(maxX - minX, 1e-9)) * (WIDTH - PAD.left - PAD.right);
  const sy = (y: number) => PAD.top + (1 - y) * (HEIGHT - PAD.top - PAD.bottom);
  const path = (curve: Curve) =>
    curve.points
      .filter((point) => point.y !== null)
      .map((point, index) => `${index === 0 ? 'M' : 'L'}${sx(point.x).toFixed(1)},${sy(point.y!).toFixed(1)}`)
      .join(' ');
  // Ticks on round tenths (0.5, 0.6, …) across the range.
  const xTicks = Array.from({ length: Math.floor(maxX * 10) - Math.ceil(minX * 10) + 1 }, (_, index) => (Math.ceil(minX * 10) + index) / 10);
  return (
    <div class="chart curve-chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${curves.map((curve) => curve.name).join(' and ')} by ${xLabel}`}>
        {[0, 0.25, 0.5, 0.75, 1].map((y) => (
          <g key={y}>
            <line class="grid" x1={PAD.left} x2={WIDTH - PAD.right} y1={sy(y)} y2={sy(y)} />
            <text x={PAD.left - 6} y={sy(y) + 4} text-anchor="end">{`${Math.round(y * 100)}%`}</text>
          </g>
        ))}
        {xTicks.map((x) => (
          <text key={x} x={sx(x)} y={HEIGHT - 12} text-anchor="middle">{x.toFixed(1)}</text>
        ))}
        <text x={(PAD.left + WIDTH - PAD.right) / 2} y={HEIGHT - 1} text-anchor="middle">{xLabel}</text>
        {marks.map((mark) => (
          <g key={mark.label} class="mark">
            <line x1={sx(mark.x)} x2={sx(mark.x)} y1={PAD.top} y2={HEIGHT - PAD.bottom} />
            <text x={sx(mark.x) + 4} y={PAD.top + 10}>{mark.label}</text>
          </g>
        ))}
        {curves.map((curve) => (
          <path key={curve.name} class={`curve ${curve.className}`} d={path(curve)} data-curve={curve.name}>
            <title>{curve.name}</title>
          </path>
        ))}
      </svg>
      <div class="legend">
        {curves.map((curve) => (
          <span key={curve.name} class={`swatch ${curve.className}`}>{curve.name}</span>
        ))}
      </div>
    </div>
  );
}
