import { describe, expect, it } from 'vitest';
import { ResponseItemMemory } from '../../src/rest/response-items.ts';

/** The bounds of the Responses item memory (a plain data structure: its clock is injected). */
describe('ResponseItemMemory', () => {
  it('recalls per key, forgets after its TTL', () => {
    let now = 0;
    const memory = new ResponseItemMemory(1_000_000, 60_000, () => now);
    memory.remember('k1', 'msg_a', 'hello');
    expect(memory.recall('k1', 'msg_a')).toBe('hello');
    expect(memory.recall('k2', 'msg_a')).toBeUndefined();
    now = 59_999;
    expect(memory.recall('k1', 'msg_a')).toBe('hello');
    now = 60_000;
    expect(memory.recall('k1', 'msg_a')).toBeUndefined();
  });

  it('stays within its byte bound by forgetting the oldest first; a text larger than the bound is not kept', () => {
    const memory = new ResponseItemMemory(1000, 60_000, () => 0);
    for (let i = 0; i < 10; i++) memory.remember('k', `msg_${i}`, 'x'.repeat(90));
    // Each entry costs (key + text) × 2 bytes ≈ 200: only the newest few fit.
    expect(memory.recall('k', 'msg_0')).toBeUndefined();
    expect(memory.recall('k', 'msg_9')).toBe('x'.repeat(90));
    const kept = Array.from({ length: 10 }, (_, i) => memory.recall('k', `msg_${i}`)).filter((t) => t !== undefined).length;
    expect(kept).toBeGreaterThan(0);
    expect(kept * 2 * (90 + 'k\u0000msg_0'.length)).toBeLessThanOrEqual(1000);
    memory.remember('k', 'msg_big', 'y'.repeat(600));
    expect(memory.recall('k', 'msg_big')).toBeUndefined();
    expect(memory.recall('k', 'msg_9')).toBe('x'.repeat(90));
  });
});
