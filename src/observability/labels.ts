/**
 * Bounded Prometheus label values. Every series costs memory for the process's life and bytes in every scrape,
 * so a label fed by a client-chosen string (a GraphQL operationName, a model id) must come from a bounded set:
 * anyone could otherwise grow /metrics and the heap without limit (issue 25: 10,000 operation names made 10,000
 * series; 300 names of 200 KB made a 60 MB scrape).
 *
 * The rule: the values named at construction (known operations, the catalog's models) always pass; after them,
 * the first `maxDistinct` other values seen are kept as they are; every later new value, and any value longer than
 * `maxLength` or with characters outside a conservative set, becomes `OTHER_LABEL`. The counts of a value that
 * became "other" are still counted, just not apart.
 */
export const OTHER_LABEL = 'other';

export interface BoundedLabelOptions {
  /** Distinct values kept beyond the known ones; later new values become "other". */
  maxDistinct: number;
  /** Longer values become "other" (a name this long is not one an operator needs apart). */
  maxLength: number;
}

/** Printable ASCII without the quote and backslash prom-client would escape: ids, names, slashes, dots. */
const SAFE = /^[\x20-\x7e]*$/;

export class BoundedLabel {
  private readonly seen = new Set<string>();
  private readonly known: Set<string>;

  constructor(
    private readonly options: BoundedLabelOptions,
    known: Iterable<string> = [],
  ) {
    this.known = new Set(known);
  }

  /** The label value to use for `raw`. */
  of(raw: string): string {
    if (this.known.has(raw) || this.seen.has(raw)) return raw;
    if (raw.length > this.options.maxLength || !SAFE.test(raw) || raw.includes('"') || raw.includes('\\')) return OTHER_LABEL;
    if (this.seen.size >= this.options.maxDistinct) return OTHER_LABEL;
    this.seen.add(raw);
    return raw;
  }

  /** Values that always pass (e.g. models the catalog lists), added as they become known. */
  allow(values: Iterable<string>): void {
    for (const v of values) if (v.length <= this.options.maxLength) this.known.add(v);
  }

  /** Distinct values kept apart so far (known ones excluded). */
  get distinct(): number {
    return this.seen.size;
  }
}
