import { afterEach, describe, expect, it, vi } from 'vitest';
import { RequestHold } from '../../../src/proxy/builtin/request-hold.js';

describe('RequestHold', () => {
  afterEach(() => vi.useRealTimers());

  it('releases a held request when its domain stops waiting, others stay held', () => {
    const waiting = new Set(['a', 'b']);
    const hold = new RequestHold({
      holdMs: 5000,
      maxHeld: 10,
      policy: { shouldWait: (d) => waiting.has(d) },
    });
    const released: string[] = [];
    hold.hold('a', () => released.push('a'));
    hold.hold('b', () => released.push('b'));
    hold.hold('c', () => released.push('c')); // not waited for: at once
    expect(released).toEqual(['c']);
    waiting.delete('a');
    hold.recheck('a');
    expect(released).toEqual(['c', 'a']);
    expect(hold.size).toBe(1);
    hold.releaseAll();
    expect(released).toEqual(['c', 'a', 'b']);
  });

  it('lets a request wait at most holdMs and at most maxHeld requests wait', () => {
    vi.useFakeTimers();
    const hold = new RequestHold({ holdMs: 2000, maxHeld: 2, policy: { shouldWait: () => true } });
    const released: number[] = [];
    for (const n of [1, 2, 3]) hold.hold('a', () => released.push(n));
    expect(released).toEqual([3]);
    vi.advanceTimersByTime(1999);
    expect(released).toEqual([3]);
    vi.advanceTimersByTime(1);
    expect(released).toEqual([3, 1, 2]);
    expect(hold.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps nothing of requests whose client went away (no growth over many)', () => {
    vi.useFakeTimers();
    const hold = new RequestHold({ holdMs: 2000, maxHeld: 100, policy: { shouldWait: () => true } });
    let released = 0;
    for (let i = 0; i < 10_000; i++) hold.hold('a', () => released++).gone();
    expect(hold.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(5000);
    expect(released).toBe(0);
  });

  it('holds nothing with holdMs 0', () => {
    const hold = new RequestHold({ holdMs: 0, maxHeld: 10, policy: { shouldWait: () => true } });
    let released = 0;
    hold.hold('a', () => released++);
    expect(released).toBe(1);
    expect(hold.size).toBe(0);
  });
});
