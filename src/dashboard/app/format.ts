/** How numbers read on the page. Only formatting: every value shown comes from the API as it is. */
const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

export const formatCount = (n: number): string => grouped.format(n);

/** Dollars: cents above $1, four significant digits below (a call costs fractions of a cent). */
export function formatUsd(n: number): string {
  if (n === 0) return '$0';
  if (Math.abs(n) >= 1) return `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  return `$${n.toLocaleString('en-US', { maximumSignificantDigits: 4 })}`;
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  if (ms >= 10_000) return `${oneDecimal.format(ms / 1000)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return `${ms >= 100 ? grouped.format(ms) : oneDecimal.format(ms)} ms`;
}

export const formatPercent = (ratio: number): string => `${(ratio * 100).toLocaleString('en-US', { maximumFractionDigits: ratio > 0 && ratio < 0.01 ? 2 : 1 })} %`;

export const formatTime = (d: Date): string => d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** A bucket's start, as precise as its size needs. */
export function formatBucket(epochSeconds: number, bucketSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  if (bucketSeconds >= 86_400) return d.toLocaleDateString([], { month: 'short', day: 'numeric' });
  return d.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** `meta-llama/Llama-3.3-70B-Instruct-Turbo` → `Llama-3.3-70B-Instruct-Turbo` (the full id stays in tables and tooltips). */
export const shortModel = (id: string): string => id.slice(id.lastIndexOf('/') + 1);
