/** The range's totals, exactly as `gatewayStats` returned them: `data-value` holds the raw number. */
import type { DashboardQuery } from '../../../client/index.ts';
import { formatCount, formatMs, formatPercent, formatUsd } from './format.ts';

type Stats = DashboardQuery['gatewayStats'];

function Tile({ id, label, value, shown, detail }: { id: string; label: string; value: number | null; shown: string; detail?: string }) {
  return (
    <div class="tile">
      <dt>{label}</dt>
      <dd>
        <span class="big" data-testid={`total-${id}`} data-value={value === null ? '' : String(value)} title={value === null ? 'no data' : String(value)}>
          {shown}
        </span>
        {detail && <span class="detail">{detail}</span>}
      </dd>
    </div>
  );
}

export function Totals({ stats: s }: { stats: Stats }) {
  return (
    <section aria-labelledby="totals-title">
      <h2 id="totals-title" class="visually-hidden">Totals</h2>
      <dl class="tiles">
        <Tile id="requests" label="Requests" value={s.totalRequests} shown={formatCount(s.totalRequests)} detail={`${formatCount(s.cancelledRequests)} cancelled`} />
        <Tile id="cost" label="Cost" value={s.totalCostUsd} shown={formatUsd(s.totalCostUsd)} detail={`${formatCount(s.uniqueModels)} models · ${formatCount(s.uniqueKeys)} keys`} />
        <Tile id="tokens" label="Tokens" value={s.totalTokens} shown={formatCount(s.totalTokens)} detail={`${formatCount(s.promptTokens)} in · ${formatCount(s.completionTokens)} out`} />
        <Tile id="error-rate" label="Error rate" value={s.errorRate} shown={formatPercent(s.errorRate)} />
        <Tile id="latency-p50" label="Latency p50" value={s.latencyP50Ms} shown={formatMs(s.latencyP50Ms)} />
        <Tile id="latency-p95" label="Latency p95" value={s.latencyP95Ms} shown={formatMs(s.latencyP95Ms)} />
        <Tile id="ttft-p50" label="TTFT p50" value={s.ttftP50Ms} shown={formatMs(s.ttftP50Ms)} />
        <Tile id="ttft-p95" label="TTFT p95" value={s.ttftP95Ms} shown={formatMs(s.ttftP95Ms)} />
      </dl>
    </section>
  );
}
