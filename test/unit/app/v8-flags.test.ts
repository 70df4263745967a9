import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_FLAG, WASM_BASELINE_FLAG } from '../../../app/v8-flags.js';

/**
 * 170 fetches on loopback (a poll round of 170 projects) in a fresh node, with the flag set at
 * run time as serve sets it, or not; answers V8's peak of compiler (zone) memory, in bytes.
 */
function peakMallocAfterFetches(flag: string | undefined): number {
  const script = `
    import { createServer } from 'node:http';
    import v8 from 'node:v8';
    ${flag === undefined ? '' : `v8.setFlagsFromString(${JSON.stringify(flag)});`}
    const server = createServer((req, res) => res.end(JSON.stringify({ tags: ['build-1', 'build-2'] })));
    await new Promise((done) => server.listen(0, '127.0.0.1', done));
    const url = 'http://127.0.0.1:' + server.address().port + '/v2/x/tags/list';
    for (let i = 0; i < 170; i++) await (await fetch(url)).arrayBuffer();
    server.close();
    // A tier-up compiles on a background thread: give it time to run before the peak is read.
    await new Promise((done) => setTimeout(done, 300));
    process.stdout.write(String(v8.getHeapStatistics().peak_malloced_memory));
  `;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
}

describe('the V8 flags serve sets at run time', () => {
  it("keeps fetch's WebAssembly parser off the optimising compiler and its memory", () => {
    const MB = 1024 * 1024;
    const tieredUp = peakMallocAfterFetches(undefined);
    const baseline = peakMallocAfterFetches(WASM_BASELINE_FLAG);
    // Measured on Node 24: about 25 MB with the tier-up, about 2.5 MB without.
    expect(tieredUp).toBeGreaterThan(12 * MB);
    expect(baseline).toBeLessThan(8 * MB);
  });

  it('collects the old generation before promoted garbage piles up', () => {
    const MB = 1024 * 1024;
    const grown = peakOldSpaceAfterBursts(undefined);
    const bounded = peakOldSpaceAfterBursts(HEAP_GROWING_FLAG);
    // Measured on Node 24: about 60 MB of old space without the flag, about 25-30 MB with it.
    expect(grown).toBeGreaterThan(45 * MB);
    expect(bounded).toBeLessThan(38 * MB);
  });
});

/**
 * 60 bursts of short-lived objects beside a live heap, in a fresh node with npm start's 1 MB
 * young generation and the flag set at run time as serve sets it, or not; answers the old
 * space's largest committed size, in bytes.
 */
function peakOldSpaceAfterBursts(flag: string | undefined): number {
  const script = `
    import v8 from 'node:v8';
    ${flag === undefined ? '' : `v8.setFlagsFromString(${JSON.stringify(flag)});`}
    const live = Array.from({ length: 100_000 }, (_, i) => ({ i, name: 'stage-' + i }));
    let peak = 0;
    for (let round = 0; round < 60; round++) {
      // Held across a turn of the event loop (a page render, a poll round): promoted, then dropped.
      let burst = Array.from({ length: 20_000 }, (_, i) => ({ round, i, text: 'row ' + round + ' ' + i }));
      await new Promise((done) => setImmediate(done));
      burst = undefined;
      const old = v8.getHeapSpaceStatistics().find((space) => space.space_name === 'old_space');
      peak = Math.max(peak, old.physical_space_size);
    }
    process.stdout.write(String(live.length > 0 ? peak : 0));
  `;
  return Number(
    execFileSync(process.execPath, ['--max-semi-space-size=1', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    }),
  );
}
