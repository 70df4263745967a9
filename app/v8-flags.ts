import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings for the server's life, set by `serve` at run time, before the first fetch, and not
 * as node flags: a V8 flag on the command line cost about 40 ms of start (and these two are read
 * when used, not when the heap is set up). `npm start` adds `--max-semi-space-size=1`, a heap size
 * that costs nothing at start (README, Benchmarks).
 */
export function setServeV8Flags(): void {
  for (const flag of SERVE_V8_FLAGS) setFlagsFromString(flag);
}

/**
 * Keeps WebAssembly on V8's baseline compiler (Liftoff). `fetch` (registry polls, NPM, forges)
 * parses answers with undici's llhttp compiled to WebAssembly, and V8's tier-up of its hot
 * functions to optimised code took about 25 MB of compiler memory at its peak (the first poll
 * round of 170 projects), most of which the process then kept; on Liftoff a loop of 170 fetches
 * on loopback took no longer. A tier-up budget no process reaches: the tier-up never triggers
 * (the flag only raises a threshold).
 */
export const WASM_BASELINE_FLAG = '--wasm-tiering-budget=2000000000';

/**
 * Lets the old generation grow to 1.2 times what the last full collection kept before the next
 * one, instead of V8's factor of up to 4 for a small heap. With a 1 MB young generation, what a
 * page render or a poll round holds for a few milliseconds is promoted, and at a live heap of
 * about 14 MB (170 projects, 100,000 deploys) V8 let such garbage pile up to 38 MB of old space
 * before it collected, pages the process then kept: `npm run bench -- scale` measured app RSS
 * 120 -> 112 MB; the overview took about 10-20 ms longer (more collections), refusals per second in
 * the flood and the start did not change measurably.
 */
export const HEAP_GROWING_FLAG = '--heap-growing-percent=20';

export const SERVE_V8_FLAGS = [WASM_BASELINE_FLAG, HEAP_GROWING_FLAG] as const;
