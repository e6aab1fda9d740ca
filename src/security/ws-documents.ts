import type { DocumentNode } from 'graphql';

/**
 * Heap a parsed document keeps per character of its text, an upper estimate: measured at 67 (a typical
 * subscription, 187 characters) to 90 bytes (2,000 aliased fields) with Node 20, text included. Documents
 * made of long string literals cost far less; this bounds the dense ones.
 */
const HEAP_BYTES_PER_CHAR = 96;

/** Documents from sockets without a valid key are cached only up to this many characters (~190 KB of heap). */
export const KEYLESS_CACHEABLE_CHARS = 2048;

/**
 * Documents that passed parse and every validation rule, by their text: a client subscribes with the same
 * few documents again and again, and validation (cost and depth analysis included) was most of a stream's
 * start-up CPU. Apollo Server keeps the same kind of cache for HTTP.
 *
 * Bounded by estimated bytes (`WS_DOCUMENT_CACHE_BYTES`), oldest out first, not by a count: 1,000 entries of
 * up to `MAX_BODY_BYTES` each let one keyless socket pin ~1 GB (issue 25). A document is cached only when it
 * comes from a socket with a valid key, or is small (KEYLESS_CACHEABLE_CHARS); and never when it alone would
 * take more than an eighth of the budget. A flood of distinct documents costs their parse and validation and
 * nothing more.
 */
export class ValidatedDocuments {
  private readonly entries = new Map<string, { document: DocumentNode; bytes: number }>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** Estimated heap held now, in bytes. */
  get heldBytes(): number {
    return this.bytes;
  }

  get(query: string): DocumentNode | undefined {
    return this.entries.get(query)?.document;
  }

  remember(query: string, document: DocumentNode, keyed: boolean): void {
    if (!keyed && query.length > KEYLESS_CACHEABLE_CHARS) return;
    const bytes = query.length * HEAP_BYTES_PER_CHAR;
    if (bytes > this.maxBytes / 8 || this.entries.has(query)) return;
    while (this.bytes + bytes > this.maxBytes) {
      const [oldest, entry] = this.entries.entries().next().value!;
      this.entries.delete(oldest);
      this.bytes -= entry.bytes;
    }
    this.entries.set(query, { document, bytes });
    this.bytes += bytes;
  }
}
