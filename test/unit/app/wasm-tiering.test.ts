import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { WASM_BASELINE_FLAG } from '../../../app/wasm-tiering.js';

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

describe('keepWasmOnBaseline', () => {
  it("keeps fetch's WebAssembly parser off the optimising compiler and its memory", () => {
    const MB = 1024 * 1024;
    const tieredUp = peakMallocAfterFetches(undefined);
    const baseline = peakMallocAfterFetches(WASM_BASELINE_FLAG);
    // Measured on Node 24: about 25 MB with the tier-up, about 2.5 MB without.
    expect(tieredUp).toBeGreaterThan(12 * MB);
    expect(baseline).toBeLessThan(8 * MB);
  });
});
