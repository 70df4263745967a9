import { describe, expect, it } from 'vitest';
import { createSlots } from '../../../src/core/slots.js';

/** A job that stays in flight until `release` is called, counting how many are in flight. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((done) => (open = done));
  return { opened, release: () => open() };
}

describe('createSlots', () => {
  it('runs at most `size` jobs at once and every job in the end, in order', async () => {
    const slots = createSlots(2);
    let inFlight = 0;
    let most = 0;
    const started: number[] = [];
    const gates = Array.from({ length: 5 }, gate);
    const runs = gates.map((g, i) =>
      slots.run(async () => {
        started.push(i);
        most = Math.max(most, ++inFlight);
        await g.opened;
        inFlight--;
        return i * 10;
      }),
    );
    await new Promise((done) => setTimeout(done, 0));
    expect(started).toEqual([0, 1]);
    for (const g of gates) {
      g.release();
      await new Promise((done) => setTimeout(done, 0));
    }
    expect(await Promise.all(runs)).toEqual([0, 10, 20, 30, 40]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
  });

  it('gives the slot back when a job fails', async () => {
    const slots = createSlots(1);
    await expect(slots.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(slots.run(() => Promise.resolve('next'))).resolves.toBe('next');
  });

  it('names a bad size', () => {
    expect(() => createSlots(0)).toThrow('size must be a whole number >= 1, not 0');
  });
});
