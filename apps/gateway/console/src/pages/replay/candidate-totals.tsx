import type { ReplayView } from '../../../../src/routes/replays-routes.ts';
import { candidateFigures, meanDuration, percent, ratio, score, usdOfMicros } from './replay-figures.ts';

/**
 * Each candidate's roll-up: pass rate, the mean scores of its items, how often it diverged or
 * failed, and its cost, latency and time to first token beside the recorded ones.
 */
export function CandidateTotals({ view }: { view: ReplayView }) {
  return (
    <div class="table-scroll">
      <table class="candidate-totals">
        <thead>
          <tr>
            <th>candidate</th>
            <th class="num">items</th>
            <th class="num">passed</th>
            <th class="num">pass rate</th>
            <th class="num" title="mean over items of the share of steps calling the same tools">tool choice</th>
            <th class="num" title="mean over items of the tool arguments score">arguments</th>
            <th class="num" title="mean over items of the answer score, where answers were compared">answer</th>
            <th class="num">diverged</th>
            <th class="num">incomplete</th>
            <th class="num">cost</th>
            <th class="num">recorded cost</th>
            <th class="num">cost ratio</th>
            <th class="num">mean latency</th>
            <th class="num">recorded latency</th>
            <th class="num">mean TTFT</th>
            <th class="num">recorded TTFT</th>
          </tr>
        </thead>
        <tbody>
          {view.totals.map((total, index) => {
            const figures = candidateFigures(view, index);
            return (
              <tr key={index} data-candidate={total.candidate}>
                <td><code>{total.candidate}</code></td>
                <td class="num">{total.items}</td>
                <td class="num">{total.passed}</td>
                <td class="num"><strong>{percent(total.pass_rate)}</strong></td>
                <td class="num">{score(figures.toolChoice)}</td>
                <td class="num">{score(figures.toolArguments)}</td>
                <td class="num">{score(figures.answer)}</td>
                <td class="num">{total.diverged}</td>
                <td class={total.incomplete === 0 ? 'num' : 'num bad'}>{total.incomplete}</td>
                <td class="num">{usdOfMicros(total.cost_micros)}</td>
                <td class="num">{usdOfMicros(total.recorded_cost_micros)}</td>
                <td class="num">{ratio(total.cost_micros, total.recorded_cost_micros)}</td>
                <td class="num">{meanDuration(figures.latenciesMs)}</td>
                <td class="num">{meanDuration(figures.recordedLatenciesMs)}</td>
                <td class="num">{meanDuration(figures.ttftsMs)}</td>
                <td class="num">{meanDuration(figures.recordedTtftsMs)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
