import type { ReplayItemView, ReplayView } from '../../../../src/routes/replays-routes.ts';
import { linkClick } from '../../router.ts';
import { ratio, replayPath, runPath, score, usdOfMicros } from './replay-figures.ts';

function RunLink({ runId, label }: { runId: string; label: string }) {
  return (
    <a href={`/console${runPath(runId)}`} onClick={linkClick(runPath(runId))} title={runId}>
      {label}
    </a>
  );
}

function ItemRow({ view, item, selected }: { view: ReplayView; item: ReplayItemView; selected: boolean }) {
  const { summary } = item;
  const path = replayPath(view.id, { item: item.position, candidate: item.candidate });
  return (
    <tr class={selected ? 'selected' : ''} data-item={item.position}>
      <td>
        <a href={`/console${path}`} onClick={linkClick(path)} aria-current={selected ? 'true' : undefined}>
          item {item.position}
        </a>
      </td>
      <td><span class={`status status-${item.status}`}>{item.status}</span></td>
      <td>{summary.pass ? <span class="verdict pass">pass</span> : <span class="verdict fail">fail</span>}</td>
      <td class="num">{summary.passedSteps}/{summary.steps}</td>
      <td class="num">{score(summary.toolChoice)}</td>
      <td class="num">{score(summary.toolArguments)}</td>
      <td class="num">{score(summary.answer)}</td>
      <td class="num">{usdOfMicros(summary.costMicros)} <span class="muted small">{ratio(summary.costMicros, summary.recordedCostMicros)}</span></td>
      <td class="small">
        {summary.divergence === null ? (summary.failedCalls === 0 ? '' : <span class="bad">{summary.failedCalls} failed call{summary.failedCalls === 1 ? '' : 's'}</span>) : (
          <span>step {summary.divergence.step}: {summary.divergence.differences[0] ?? ''}</span>
        )}
      </td>
      <td class="small">
        {item.source_run_id === null ? '—' : <RunLink runId={item.source_run_id} label="recorded" />}
        {' · '}
        <RunLink runId={item.run_id} label="replayed" />
      </td>
    </tr>
  );
}

/** The ended items of one candidate, by position, with their roll-ups; each links to its diff. */
export function ReplayItems({ view, candidate, selected }: { view: ReplayView; candidate: number; selected: number | undefined }) {
  const items = view.items.filter((item) => item.candidate === candidate).sort((a, b) => a.position - b.position);
  if (items.length === 0) return <p class="muted">No item has ended for this candidate yet.</p>;
  return (
    <div class="replay-items">
      <table>
        <thead>
          <tr>
            <th>item</th>
            <th>status</th>
            <th>verdict</th>
            <th class="num">steps passed</th>
            <th class="num">tool choice</th>
            <th class="num">arguments</th>
            <th class="num">answer</th>
            <th class="num">cost (vs recorded)</th>
            <th>divergence</th>
            <th>runs</th>
          </tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <ItemRow key={item.position} view={view} item={item} selected={item.position === selected} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
