import type { DashboardQuery } from '../../../client/index.ts';
import { formatCount, formatMs, formatPercent, formatUsd } from './format.ts';

type Stats = DashboardQuery['gatewayStats'];

export function ModelTable({ models }: { models: Stats['byModel'] }) {
  return (
    <div class="scroll" tabIndex={0} role="region" aria-label="Usage per model">
      <table data-testid="models-table">
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col" class="num">Requests</th>
            <th scope="col" class="num">Tokens</th>
            <th scope="col" class="num">Cost</th>
            <th scope="col" class="num">Avg latency</th>
            <th scope="col" class="num">Error rate</th>
          </tr>
        </thead>
        <tbody>
          {models.map((m) => (
            <tr key={m.model} data-testid="model-row">
              <th scope="row"><code>{m.model}</code></th>
              <td class="num">{formatCount(m.requests)}</td>
              <td class="num">{formatCount(m.totalTokens)}</td>
              <td class="num" title={String(m.costUsd)}>{formatUsd(m.costUsd)}</td>
              <td class="num">{formatMs(m.avgLatencyMs)}</td>
              <td class="num">{formatPercent(m.errorRate)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Per key: the range's calls and cost, and the key's all-time spend against its budget. */
export function KeyTable({ usage }: { usage: Stats['byKey'] }) {
  if (usage.length === 0) return <p class="empty">No calls in this range.</p>;
  return (
    <div class="scroll" tabIndex={0} role="region" aria-label="Usage per key">
      <table data-testid="keys-table">
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col" class="num">Requests</th>
            <th scope="col" class="num">Tokens</th>
            <th scope="col" class="num">Cost in range</th>
            <th scope="col" class="num">Error rate</th>
            <th scope="col">Budget used (all time)</th>
          </tr>
        </thead>
        <tbody>
          {usage.map((u) => (
            <tr key={u.key.id} data-testid="key-row" data-key-name={u.key.name}>
              <th scope="row">
                {u.key.name} <code>{u.key.prefix}…</code>
                {u.key.isAdmin && <span class="badge">admin</span>}
                {u.revoked && <span class="badge warn">revoked</span>}
              </th>
              <td class="num">{formatCount(u.requests)}</td>
              <td class="num">{formatCount(u.totalTokens)}</td>
              <td class="num" title={String(u.costUsd)}>{formatUsd(u.costUsd)}</td>
              <td class="num">{formatPercent(u.errorRate)}</td>
              <td>
                <Budget spend={u.key.spendUsd} budget={u.key.budgetUsd} name={u.key.name} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Budget({ spend, budget, name }: { spend: number; budget: number | null; name: string }) {
  if (budget === null) return <span class="muted">{formatUsd(spend)} · no budget</span>;
  const used = budget > 0 ? spend / budget : 1;
  return (
    <span class="budget">
      <meter min={0} max={budget} low={budget * 0.75} high={budget * 0.9} optimum={0} value={Math.min(spend, budget)} aria-label={`Budget used by ${name}`} />
      <span>
        {formatUsd(spend)} of {formatUsd(budget)} ({formatPercent(used)})
      </span>
    </span>
  );
}
