import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_FLAG, WASM_BASELINE_FLAG } from '../../../app/v8-flags.js';

const MB = 1024 * 1024;

/**
 * Runs `body` (an ES module's code that writes one number) in a fresh node, with `flag` set at
 * run time as serve sets it, or not; answers the number.
 */
function inFreshNode(flag: string | undefined, body: string, nodeOptions: string[] = []): number {
  const script = `
    import v8 from 'node:v8';
    ${flag === undefined ? '' : `v8.setFlagsFromString(${JSON.stringify(flag)});`}
    ${body}
  `;
  return Number(
    execFileSync(process.execPath, [...nodeOptions, '--input-type=module', '-e', script], {
      encoding: 'utf8',
    }),
  );
}

/** 170 fetches on loopback (a poll round of 170 projects); V8's peak of compiler (zone) memory, in bytes. */
const PEAK_MALLOC_AFTER_FETCHES = `
  import { createServer } from 'node:http';
  const server = createServer((req, res) => res.end(JSON.stringify({ tags: ['build-1', 'build-2'] })));
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  const url = 'http://127.0.0.1:' + server.address().port + '/v2/x/tags/list';
  for (let i = 0; i < 170; i++) await (await fetch(url)).arrayBuffer();
  server.close();
  // A tier-up compiles on a background thread: give it time to run before the peak is read.
  await new Promise((done) => setTimeout(done, 300));
  process.stdout.write(String(v8.getHeapStatistics().peak_malloced_memory));
`;

/** 60 bursts of short-lived objects beside a live heap; the old space's largest committed size, in bytes. */
const PEAK_OLD_SPACE_AFTER_BURSTS = `
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
  // live is read last, so it stays live through every burst.
  process.stdout.write(String(live.length > 0 ? peak : 0));
`;

describe('the V8 flags serve sets at run time', () => {
  it("keeps fetch's WebAssembly parser off the optimising compiler and its memory", () => {
    const tieredUp = inFreshNode(undefined, PEAK_MALLOC_AFTER_FETCHES);
    const baseline = inFreshNode(WASM_BASELINE_FLAG, PEAK_MALLOC_AFTER_FETCHES);
    // Measured on Node 24: about 25 MB with the tier-up, about 2.5 MB without.
    expect(tieredUp).toBeGreaterThan(12 * MB);
    expect(baseline).toBeLessThan(8 * MB);
  });

  it('collects the old generation before promoted garbage piles up', () => {
    // npm start's 1 MB young generation, which promotes what a burst holds.
    const grown = inFreshNode(undefined, PEAK_OLD_SPACE_AFTER_BURSTS, ['--max-semi-space-size=1']);
    const bounded = inFreshNode(HEAP_GROWING_FLAG, PEAK_OLD_SPACE_AFTER_BURSTS, ['--max-semi-space-size=1']);
    // Measured on Node 24: about 60 MB of old space without the flag, about 25-30 MB with it.
    expect(grown).toBeGreaterThan(45 * MB);
    expect(bounded).toBeLessThan(38 * MB);
  });
});
