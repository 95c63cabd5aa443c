import { describe, expect, it } from 'vitest';
import { batchKey, RecentBatches } from '../../collector/pipeline/recent-batches.js';

describe('RecentBatches', () => {
  it('remembers batches by agent and id, and forgets the oldest beyond its capacity', () => {
    const recent = new RecentBatches(3);
    const keys = ['b1', 'b2', 'b3', 'b4'].map((id) => batchKey('agent-1', id));
    for (const key of keys.slice(0, 3)) recent.add(key);
    expect(keys.slice(0, 3).every((key) => recent.has(key))).toBe(true);
    recent.add(keys[3]!);
    expect(recent.has(keys[0]!)).toBe(false);
    expect(keys.slice(1).every((key) => recent.has(key))).toBe(true);
    expect(recent.size).toBe(3);
    // Adding a key again does not push another out.
    recent.add(keys[3]!);
    expect(recent.has(keys[1]!)).toBe(true);
  });

  it('keys differ by agent, and are exact in a double', () => {
    expect(batchKey('agent-1', 'b1')).not.toBe(batchKey('agent-2', 'b1'));
    expect(batchKey('agent-1', 'b1')).toBe(batchKey('agent-1', 'b1'));
    // The separator keeps ("ab", "c") and ("a", "bc") apart.
    expect(batchKey('ab', 'c')).not.toBe(batchKey('a', 'bc'));
    const key = batchKey('agent-1', 'b1');
    expect(Number.isSafeInteger(key) && key >= 0 && key < 2 ** 52).toBe(true);
  });
});
