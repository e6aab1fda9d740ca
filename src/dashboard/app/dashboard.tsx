/**
 * The signed-in page. Live by polling (see docs/operations.md for why not a subscription): the Dashboard query
 * again every few seconds while the tab is visible, the time of the last answer always shown.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { type DashboardQuery, DashboardDocument, GatewayError, type TimeRange, createGatewayClient } from '../../../client/index.ts';
import { Chart } from './chart.tsx';
import { formatBucket, formatCount, formatMs, formatPercent, formatTime, formatUsd, shortModel } from './format.ts';
import { KeyTable, ModelTable } from './tables.tsx';
import { Totals } from './totals.tsx';
import { timeline } from './series.ts';

const RANGES: Array<{ value: TimeRange; label: string }> = [
  { value: 'LAST_1H', label: '1 hour' },
  { value: 'LAST_24H', label: '24 hours' },
  { value: 'LAST_7D', label: '7 days' },
  { value: 'LAST_30D', label: '30 days' },
  { value: 'ALL', label: 'All time' },
];
const REFRESH_CHOICES = [
  { seconds: 5, label: 'every 5 s' },
  { seconds: 15, label: 'every 15 s' },
  { seconds: 60, label: 'every minute' },
  { seconds: 0, label: 'paused' },
];
const RANGE_PARAM = 'range';

/** The range is in the URL (`?range=LAST_1H`: shareable, not secret); the key never is. */
function initialRange(): TimeRange {
  const asked = new URLSearchParams(location.search).get(RANGE_PARAM);
  return RANGES.some((r) => r.value === asked) ? (asked as TimeRange) : 'LAST_24H';
}

function useColorScheme(): string {
  const query = useMemo(() => matchMedia('(prefers-color-scheme: dark)'), []);
  const [dark, setDark] = useState(query.matches);
  useEffect(() => {
    const onChange = (): void => setDark(query.matches);
    query.addEventListener('change', onChange);
    return () => query.removeEventListener('change', onChange);
  }, [query]);
  return dark ? 'dark' : 'light';
}

interface Loaded {
  data: DashboardQuery;
  range: TimeRange;
  at: Date;
}

export function Dashboard({ apiKey, onSignOut }: { apiKey: string; onSignOut: (why: string | null) => void }) {
  const client = useMemo(() => createGatewayClient({ url: location.origin, key: apiKey }), [apiKey]);
  const [range, setRange] = useState<TimeRange>(initialRange);
  const [refreshSeconds, setRefreshSeconds] = useState(5);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [failure, setFailure] = useState<{ message: string; at: Date } | null>(null);
  const [busy, setBusy] = useState(false);
  const scheme = useColorScheme();
  const latest = useRef(0);

  const load = useCallback(async () => {
    const ticket = ++latest.current;
    setBusy(true);
    try {
      const data = await client.request(DashboardDocument, { timeRange: range });
      if (ticket !== latest.current) return; // a newer request (another range) is on its way
      setLoaded({ data, range, at: new Date() });
      setFailure(null);
    } catch (err) {
      if (ticket !== latest.current) return;
      const code = err instanceof GatewayError ? err.code : undefined;
      if (code === 'UNAUTHENTICATED' || code === 'FORBIDDEN') {
        onSignOut(`The gateway did not accept that key (${code}): ${(err as Error).message}`);
        return;
      }
      setFailure({ message: err instanceof Error ? err.message : String(err), at: new Date() });
    } finally {
      if (ticket === latest.current) setBusy(false);
    }
  }, [client, range, onSignOut]);

  useEffect(() => {
    void load();
  }, [load]);

  // Poll while visible; on coming back to the tab, refresh at once.
  useEffect(() => {
    const onVisible = (): void => {
      if (document.visibilityState === 'visible') void load();
    };
    document.addEventListener('visibilitychange', onVisible);
    const timer = refreshSeconds > 0 ? setInterval(() => document.visibilityState === 'visible' && void load(), refreshSeconds * 1000) : undefined;
    return () => {
      document.removeEventListener('visibilitychange', onVisible);
      if (timer) clearInterval(timer);
    };
  }, [load, refreshSeconds]);

  const chooseRange = (value: TimeRange): void => {
    setRange(value);
    const url = new URL(location.href);
    url.searchParams.set(RANGE_PARAM, value);
    history.replaceState(null, '', url);
  };

  const stats = loaded?.data.gatewayStats;
  const me = loaded?.data.me;
  return (
    <>
      <header class="top">
        <div class="title">
          <h1>Gateway usage</h1>
          {me && stats && (
            <p class="who" data-testid="who">
              Signed in as <strong>{me.name}</strong> <code>{me.prefix}…</code> ·{' '}
              {stats.scope === 'ALL_KEYS' ? 'admin: every key' : 'your key only'} · gateway <code>{stats.gateway}</code>
            </p>
          )}
        </div>
        <fieldset class="ranges">
          <legend>Range</legend>
          {RANGES.map((r) => (
            <label key={r.value} class={r.value === range ? 'on' : ''}>
              <input type="radio" name="range" value={r.value} checked={r.value === range} onChange={() => chooseRange(r.value)} />
              {r.label}
            </label>
          ))}
        </fieldset>
        <div class="live">
          <label>
            Refresh{' '}
            <select value={String(refreshSeconds)} onChange={(e) => setRefreshSeconds(Number((e.target as HTMLSelectElement).value))}>
              {REFRESH_CHOICES.map((c) => (
                <option key={c.seconds} value={String(c.seconds)}>
                  {c.label}
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={() => void load()} disabled={busy}>
            Refresh now
          </button>
          <span class="updated" role="status" data-testid="updated">
            {loaded ? `Updated ${formatTime(loaded.at)}` : 'Loading…'}
          </span>
          <button type="button" class="quiet" onClick={() => onSignOut(null)}>
            Sign out
          </button>
        </div>
      </header>
      {failure && (
        <p class="error banner" role="alert" data-testid="refresh-error">
          Refresh failed at {formatTime(failure.at)}: {failure.message}. Showing the last numbers received.
        </p>
      )}
      {stats && loaded && <Body stats={stats} range={loaded.range} at={loaded.at} scheme={scheme} />}
      <footer>
        Numbers are the gateway's <code>gatewayStats</code> for the range, as returned (percentiles within about 5 %); times in
        your time zone. <a href="/graphql">Playground</a>
      </footer>
    </>
  );
}

function Body({ stats, range, at, scheme }: { stats: DashboardQuery['gatewayStats']; range: TimeRange; at: Date; scheme: string }) {
  const line = useMemo(() => timeline(stats.series, stats.bucketSeconds, range, at.getTime()), [stats, range, at]);
  const bucket = stats.bucketSeconds;
  const per = bucket === 60 ? 'minute' : bucket === 3600 ? 'hour' : bucket === 86_400 ? 'day' : `${bucket / 3600} hours`;
  const fx = (x: number): string => formatBucket(x, bucket);
  const count = (pick: (p: NonNullable<(typeof line.points)[number]>) => number) => line.points.map((p) => (p ? pick(p) : 0));
  const maybe = (pick: (p: NonNullable<(typeof line.points)[number]>) => number | null) => line.points.map((p) => (p ? pick(p) : null));
  const peak = (values: Array<number | null>, format: (n: number) => string, what: string): string => {
    let best = -1;
    values.forEach((v, i) => {
      if (v !== null && (best < 0 || v > (values[best] as number))) best = i;
    });
    return best < 0 || !values[best] ? `No ${what} in this range.` : `Peak ${format(values[best] as number)} in the ${per} from ${fx(line.x[best] as number)}.`;
  };
  const requests = count((p) => p.requests);
  const errors = count((p) => p.errors);
  const cost = count((p) => p.costUsd);
  const latency50 = maybe((p) => p.latencyP50Ms ?? null);
  const latency95 = maybe((p) => p.latencyP95Ms ?? null);
  const ttft50 = maybe((p) => p.ttftP50Ms ?? null);
  const ttft95 = maybe((p) => p.ttftP95Ms ?? null);
  const models = stats.byModel;
  return (
    <main class="body">
      <Totals stats={stats} />
      <section aria-labelledby="over-time">
        <h2 id="over-time">Over time, per {per}</h2>
        <div class="charts">
          <Chart
            id="requests" title={`Requests per ${per}`} scheme={scheme} x={line.x} formatX={fx} format={formatCount}
            series={[{ label: 'Requests', values: requests, color: '--c-requests', bars: true }, { label: 'Errors', values: errors, color: '--c-errors', bars: true }]}
            summary={peak(requests, (n) => `${formatCount(n)} requests`, 'requests')}
          />
          <Chart
            id="cost" title={`Cost per ${per} (USD)`} scheme={scheme} x={line.x} formatX={fx} format={formatUsd}
            series={[{ label: 'Cost', values: cost, color: '--c-cost', bars: true }]}
            summary={peak(cost, formatUsd, 'cost')}
          />
          <Chart
            id="latency" title="Latency percentiles" scheme={scheme} x={line.x} formatX={fx} format={(n) => formatMs(n)}
            series={[{ label: 'p50', values: latency50, color: '--c-p50' }, { label: 'p95', values: latency95, color: '--c-p95', dash: [6, 4] }]}
            summary={peak(latency95, (n) => `p95 ${formatMs(n)}`, 'calls')}
          />
          <Chart
            id="ttft" title="Time to first token (streamed calls)" scheme={scheme} x={line.x} formatX={fx} format={(n) => formatMs(n)}
            series={[{ label: 'p50', values: ttft50, color: '--c-p50' }, { label: 'p95', values: ttft95, color: '--c-p95', dash: [6, 4] }]}
            summary={peak(ttft95, (n) => `p95 ${formatMs(n)}`, 'streamed calls')}
          />
        </div>
      </section>
      <section aria-labelledby="per-model">
        <h2 id="per-model">Per model</h2>
        {models.length === 0 ? (
          <p class="empty">No calls in this range.</p>
        ) : (
          <div class="split">
            <Chart
              id="models" title="Cost per model (USD)" scheme={scheme} x={models.map((_m, i) => i)} categories={models.map((m) => shortModel(m.model))}
              formatX={(i) => models[i]?.model ?? ''} format={formatUsd}
              series={[{ label: 'Cost', values: models.map((m) => m.costUsd), color: '--c-cost', bars: true }]}
              summary={`${models.length} model${models.length === 1 ? '' : 's'}; most used: ${models[0]?.model} (${formatCount(models[0]?.requests ?? 0)} requests).`}
            />
            <ModelTable models={models} />
          </div>
        )}
      </section>
      <section aria-labelledby="per-key">
        <h2 id="per-key">{stats.scope === 'ALL_KEYS' ? 'Per key' : 'Your key'}</h2>
        <KeyTable usage={stats.byKey} />
      </section>
      <p class="visually-hidden">{`Showing ${formatCount(stats.totalRequests)} requests, ${formatUsd(stats.totalCostUsd)}, error rate ${formatPercent(stats.errorRate)}.`}</p>
    </main>
  );
}
