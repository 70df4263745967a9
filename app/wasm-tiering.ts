import { setFlagsFromString } from 'node:v8';

/**
 * Keeps WebAssembly on V8's baseline compiler (Liftoff) for the server's life. `fetch` (registry
 * polls, NPM, forges) parses answers with undici's llhttp compiled to WebAssembly, and V8's
 * tier-up of its hot functions to optimised code took about 25 MB of compiler memory at its peak
 * (the first poll round of 170 projects), most of which the process then kept; on Liftoff a
 * loop of 170 fetches on loopback took no longer. Set at run time, before the first fetch, and
 * not as a node flag: a V8 flag on the command line cost about 40 ms of start.
 */
export function keepWasmOnBaseline(): void {
  setFlagsFromString(WASM_BASELINE_FLAG);
}

/** A tier-up budget no process reaches: the tier-up never triggers (the flag only raises a threshold). */
export const WASM_BASELINE_FLAG = '--wasm-tiering-budget=2000000000';
