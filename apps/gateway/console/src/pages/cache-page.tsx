import { useState } from 'preact/hooks';
import type { CalibrationListView, CalibrationView } from '../../../src/routes/cache-calibrations-routes.ts';
import { apiGet } from '../api.ts';
import { CurveChart } from '../charts/curve-chart.tsx';
import { when } from '../format.ts';
import { navigate } from '../router.ts';
import { usePolling } from '../use-polling.ts';

const percent = (value: number | null) => (value === null ? '—' : `${(value * 100).toFixed(1)}%`);

/** Where the pairs came from: the file, or the recorded traffic's window and how its pairs were judged. */
function sourceOf(view: CalibrationView): string {
  const { traffic } = view;
  if (traffic === null) return view.source;
  const judge = traffic.judge_model === null ? traffic.judge : `${traffic.judge} (${traffic.judge_model})`;
  return `recorded traffic ${when(traffic.since)} → ${when(traffic.until)}, judged ${judge} on ${traffic.replay ? 'replayed' : 'recorded'} answers`;
}

/** One calibration: the static-threshold curve, the threshold it picks, and the per-entry policy beside it. */
function Calibration({ view }: { view: CalibrationView }) {
  const { policy } = view;
  return (
    <section class="calibration" data-calibration={view.id}>
      <h3 data-source={view.traffic === null ? 'pairs' : 'traffic'}>
        {sourceOf(view)} <span class="muted small">· {view.model} · {view.pairs} {view.traffic === null ? 'labelled' : 'judged'} pairs · {when(view.created_at)}</span>
      </h3>
      <CurveChart
        xLabel="similarity threshold"
        curves={[
          { name: 'hit rate', className: 'curve-hits', points: view.rows.map((row) => ({ x: row.threshold, y: row.hit_rate })) },
          { name: 'precision', className: 'curve-precision', points: view.rows.map((row) => ({ x: row.threshold, y: row.precision })) },
          { name: 'precision, 95% lower bound', className: 'curve-bound', points: view.rows.map((row) => ({ x: row.threshold, y: 1 - row.error_upper })) },
        ]}
        marks={view.static_threshold === null ? [] : [{ x: view.static_threshold, label: `static ${view.static_threshold.toFixed(2)}` }]}
      />
      <table class="policy-compare">
        <thead>
          <tr><th /><th class="num">hit rate</th><th class="num">precision</th><th class="num">errors</th><th class="num">error (95% upper)</th></tr>
        </thead>
        <tbody>
          <tr>
            <th>static threshold {view.static_threshold === null ? `(none reaches ${percent(view.target_precision)} precision)` : view.static_threshold.toFixed(2)}</th>
            {(() => {
              const row = view.rows.find((each) => each.threshold === view.static_threshold);
              return row === undefined ? <td colSpan={4} class="muted">no threshold qualifies</td> : (
                <>
                  <td class="num">{percent(row.hit_rate)}</td><td class="num">{percent(row.precision)}</td><td class="num">{row.errors}</td><td class="num">{percent(row.error_upper)}</td>
                </>
              );
            })()}
          </tr>
          <tr data-policy>
            <th>per-entry policy (δ {policy.delta}, {policy.passes} passes)</th>
            <td class="num">{percent(policy.hit_rate)}</td><td class="num">{percent(policy.precision)}</td><td class="num">{policy.errors}</td><td class="num">{percent(policy.error_upper)}</td>
          </tr>
        </tbody>
      </table>
    </section>
  );
}

/**
 * The semantic cache's calibrations (`gantry cache calibrate`): threshold → hit rate and
 * precision on labelled pairs, the static threshold that meets the target precision (if any), and
 * what the per-entry policy did on the same data.
 */
export function CachePage({ query }: { query: URLSearchParams }) {
  const [list, setList] = useState<CalibrationListView>();
  const [error, setError] = useState<string>();
  usePolling(
    (signal) =>
      apiGet<CalibrationListView>('/v1/cache/calibrations?limit=50', { signal })
        .then((result) => {
          setList(result);
          return false;
        })
        .catch((failure: Error) => {
          if (!signal.aborted) setError(failure.message);
          return false;
        }),
    0,
    [],
  );
  if (error !== undefined) return <p class="bad" role="alert">{error}</p>;
  if (list === undefined) return <p class="muted">loading…</p>;
  const chosen = list.data.find((view) => view.id === query.get('id')) ?? list.data[0];
  return (
    <section class="cache-page">
      <h2>Cache calibration</h2>
      {list.data.length === 0 ? (
        <p class="muted">
          No calibration yet. Run <code>pnpm gantry cache calibrate --pairs evals/cache-calibration.jsonl --model &lt;embeddings model&gt;</code>, or{' '}
          <code>pnpm gantry cache calibrate --traffic --since 7d --model &lt;embeddings model or local&gt;</code> on recorded traffic, and it appears here.
        </p>
      ) : (
        <>
          {list.data.length > 1 ? (
            <label>
              calibration{' '}
              <select value={chosen!.id} onChange={(event) => navigate(`/cache?id=${encodeURIComponent((event.target as HTMLSelectElement).value)}`, { replace: true })}>
                {list.data.map((view) => (
                  <option key={view.id} value={view.id}>{`${when(view.created_at)} · ${view.traffic === null ? view.source : 'recorded traffic'} · ${view.model}`}</option>
                ))}
              </select>
            </label>
          ) : null}
          <Calibration view={chosen!} />
        </>
      )}
    </section>
  );
}
