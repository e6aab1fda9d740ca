/**
 * The assistant text of recent Responses answers, so that an `item_reference` to one of our own message items
 * (`msg_…`) can be resolved. The Vercel AI SDK's default `openai(model)` sends earlier assistant turns as
 * such references (it assumes OpenAI stored them): without this, every second turn of a chat would fail.
 * It is not stored responses: text only, per key, in this process, bounded by bytes and age. A reference it
 * cannot resolve (another replica answered, or it aged out) is a 400 that says to send the item itself.
 */
export class ResponseItemMemory {
  private readonly items = new Map<string, { text: string; expiresAt: number }>();
  private bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Keyed by the gateway key too: a request id (and so an item id) may be the caller's own `x-request-id`. */
  private static key(keyId: string, itemId: string): string {
    return `${keyId}\u0000${itemId}`;
  }

  remember(keyId: string, itemId: string, text: string): void {
    const key = ResponseItemMemory.key(keyId, itemId);
    this.forget(key);
    // UTF-16 code units × 2: what the string costs the heap, near enough.
    const size = (key.length + text.length) * 2;
    if (size > this.maxBytes) return;
    this.items.set(key, { text, expiresAt: this.now() + this.ttlMs });
    this.bytes += size;
    // Oldest first (a Map keeps insertion order): they are also the first to expire.
    for (const [oldest] of this.items) {
      if (this.bytes <= this.maxBytes) break;
      this.forget(oldest);
    }
  }

  recall(keyId: string, itemId: string): string | undefined {
    const key = ResponseItemMemory.key(keyId, itemId);
    const item = this.items.get(key);
    if (!item) return undefined;
    if (item.expiresAt <= this.now()) {
      this.forget(key);
      return undefined;
    }
    return item.text;
  }

  private forget(key: string): void {
    const item = this.items.get(key);
    if (!item) return;
    this.items.delete(key);
    this.bytes -= (key.length + item.text.length) * 2;
  }
}
