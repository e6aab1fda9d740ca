/**
 * One uPlot chart, made usable without a mouse or without sight:
 *  - the canvas is decorative (aria-hidden); the figure is a focusable group named by its title and described by
 *    a one-line summary (the range's peak), and every chart has its numbers as a table under "Data table";
 *  - with focus, ←/→ move the cursor bucket by bucket (Home/End: first/last, Esc: hide), uPlot's legend shows the
 *    values and a polite live region reads them out;
 *  - colours come from CSS custom properties, read again when the colour scheme changes; p95 lines are dashed
 *    so no series is told apart by colour alone.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';

export interface ChartSeries {
  label: string;
  values: Array<number | null>;
  /** A CSS custom property holding the colour, e.g. `--c-requests`. */
  color: string;
  dash?: number[];
  bars?: boolean;
}

export interface ChartProps {
  id: string;
  title: string;
  /** Time charts: epoch seconds; categorical charts: 0..n-1 with `categories` as labels. */
  x: number[];
  categories?: string[];
  series: ChartSeries[];
  format: (value: number) => string;
  formatX: (x: number) => string;
  summary: string;
  /** Changes when the colour scheme does: the chart is drawn again with the new colours. */
  scheme: string;
  height?: number;
}

export function Chart(props: ChartProps) {
  const { id, title, x, categories, series, format, formatX, summary, scheme, height = 220 } = props;
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const cursorIdx = useRef<number | null>(null);
  const [readout, setReadout] = useState('');
  const describe = (idx: number): string =>
    `${formatX(x[idx] ?? 0)}: ${series.map((s) => `${s.label} ${s.values[idx] == null ? 'no data' : format(s.values[idx] as number)}`).join(', ')}`;

  // Shape (series, categories, colours) → a new uPlot; data alone → setData (keeps the cursor where it is).
  const shape = JSON.stringify([scheme, series.map((s) => [s.label, s.color, s.bars ?? false]), categories ?? null]);
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const css = getComputedStyle(el);
    const color = (name: string): string => css.getPropertyValue(name).trim() || '#888';
    const axisColor = color('--muted');
    const grid = { stroke: color('--grid'), width: 1 };
    const categorical = categories !== undefined;
    // Points on a line whose values are few (not whose axis is short): a value between two empty buckets has no
    // neighbour to draw a segment to, so without its point it was invisible (a range of 40+ buckets with two streams
    // showed an empty time-to-first-token chart).
    const sparse = (u: uPlot, seriesIdx: number): boolean => {
      let values = 0;
      for (const v of u.data[seriesIdx] ?? []) if (v != null && ++values >= 40) return false;
      return true;
    };
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      scales: categorical ? { x: { time: false, range: () => [-0.6, Math.max(0, x.length - 1) + 0.6] } } : { x: { time: true } },
      axes: [
        {
          stroke: axisColor,
          grid: { ...grid, show: !categorical },
          ticks: { ...grid, show: !categorical },
          ...(categorical
            ? { splits: () => x, values: (_u: uPlot, splits: number[]) => splits.map((i) => categories?.[i] ?? ''), rotate: x.length > 4 ? -20 : 0, size: x.length > 4 ? 70 : 40 }
            : {}),
        },
        { stroke: axisColor, grid, ticks: grid, size: 72, values: (_u: uPlot, splits: number[]) => splits.map((v) => format(v)) },
      ],
      series: [
        { label: categorical ? 'Model' : 'Time', value: (_u, v) => (v == null ? '' : formatX(v)) },
        ...series.map<uPlot.Series>((s) => ({
          label: s.label,
          stroke: color(s.color),
          width: 2,
          ...(s.dash ? { dash: s.dash } : {}),
          ...(s.bars ? { fill: color(s.color), paths: uPlot.paths.bars?.({ size: [0.7, 48] }), points: { show: false } } : { points: { show: sparse, size: 7, fill: color(s.color) } }),
          spanGaps: false,
          value: (_u, v) => (v == null ? '–' : format(v)),
        })),
      ],
      cursor: { focus: { prox: 24 }, points: { size: 8 } },
      legend: { live: true },
      hooks: {
        setCursor: [
          (u) => {
            cursorIdx.current = u.cursor.idx ?? null;
          },
        ],
      },
    };
    const u = new uPlot(opts, [x, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    plot.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `shape` stands for series/categories/scheme
  }, [shape, height]);

  useEffect(() => {
    plot.current?.setData([x, ...series.map((s) => s.values)] as uPlot.AlignedData);
    const idx = cursorIdx.current;
    if (idx !== null && idx < x.length) moveTo(idx, false);
  });

  const moveTo = (idx: number, announce = true): void => {
    const u = plot.current;
    if (!u || x.length === 0) return;
    const i = Math.max(0, Math.min(x.length - 1, idx));
    const first = series.find((s) => s.values[i] != null)?.values[i];
    const top = first == null ? u.over.clientHeight / 2 : u.valToPos(first, 'y');
    u.setCursor({ left: u.valToPos(x[i] as number, 'x'), top });
    cursorIdx.current = i;
    if (announce) setReadout(describe(i));
  };

  const onKeyDown = (e: KeyboardEvent): void => {
    const current = cursorIdx.current;
    const next =
      e.key === 'ArrowRight' ? (current === null ? 0 : current + 1)
      : e.key === 'ArrowLeft' ? (current === null ? x.length - 1 : current - 1)
      : e.key === 'Home' ? 0
      : e.key === 'End' ? x.length - 1
      : null;
    if (e.key === 'Escape') {
      plot.current?.setCursor({ left: -10, top: -10 });
      cursorIdx.current = null;
      setReadout('');
      return;
    }
    if (next === null) return;
    e.preventDefault();
    moveTo(next);
  };

  return (
    <figure class="chart" data-testid={`chart-${id}`}>
      <figcaption id={`${id}-title`}>{title}</figcaption>
      <div
        class="chart-canvas"
        ref={host}
        tabIndex={0}
        role="group"
        aria-labelledby={`${id}-title`}
        aria-describedby={`${id}-summary ${id}-keys`}
        onKeyDown={onKeyDown}
      />
      <p class="chart-summary" id={`${id}-summary`}>{summary}</p>
      <p class="visually-hidden" id={`${id}-keys`}>Use the left and right arrow keys to read the chart bucket by bucket.</p>
      <p class="visually-hidden" aria-live="polite" data-testid={`chart-${id}-readout`}>{readout}</p>
      <details class="chart-table">
        <summary>Data table</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">{categories ? 'Model' : 'Bucket start'}</th>
              {series.map((s) => (
                <th scope="col" key={s.label}>{s.label}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {x.map((xv, i) =>
              series.every((s) => s.values[i] == null || (!categories && s.values[i] === 0)) ? null : (
                <tr key={xv}>
                  <th scope="row">{formatX(xv)}</th>
                  {series.map((s) => (
                    <td key={s.label}>{s.values[i] == null ? '–' : format(s.values[i] as number)}</td>
                  ))}
                </tr>
              ),
            )}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
