// The router benchmark's client, in its own process (its work is not counted in the proxy's):
// reads {port, host, connections, seconds, rate} as JSON on stdin; with `rate` it paces that many
// GETs per second over kept-alive connections, without it each connection sends again as soon as
// the last answer ended (saturation). Prints {requests, failed, errors, p50, p99, rps} as JSON;
// with `track`, also `answers`: [when the request was made, when its answer ended (ms, wall
// clock), the body] for each answer, so the caller can tell which container took the requests
// made after a switch (made after it, a request is written after it too; when a write ended
// would be seen late by a busy event loop).
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout } from 'node:timers';

const input = JSON.parse(
  await new Promise((done) => {
    let text = '';
    process.stdin.on('data', (chunk) => (text += chunk));
    process.stdin.on('end', () => done(text));
  }),
);
const agent = new Agent({ keepAlive: true, maxSockets: input.connections });
const latencies = [];
const answers = [];
/** Wall-clock milliseconds, comparable with the parent process's (sub-millisecond resolution). */
const wallNow = () => performance.timeOrigin + performance.now();
const errors = {};
let failed = 0;
let sent = 0;
const started = performance.now();
const until = started + input.seconds * 1000;

function once() {
  sent++;
  const at = performance.now();
  const madeAt = input.track ? wallNow() : 0;
  return new Promise((done) => {
    const req = request(
      { host: '127.0.0.1', port: input.port, path: '/', headers: { host: input.host }, agent, timeout: 5000 },
      (res) => {
        let body = '';
        if (input.track) res.on('data', (chunk) => (body += chunk));
        else res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - at);
          if (input.track) answers.push([madeAt, wallNow(), body.trim()]);
          if (res.statusCode !== 200) {
            failed++;
            errors[res.statusCode] = (errors[res.statusCode] ?? 0) + 1;
          }
          done();
        });
        res.on('error', (error) => fail(error, done));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => fail(error, done));
    req.end();
  });
}

function fail(error, done) {
  failed++;
  const key = error.code ?? error.message;
  errors[key] = (errors[key] ?? 0) + 1;
  done();
}

if (input.rate) {
  const pending = [];
  const interval = 1000 / input.rate;
  for (let next = started; next < until; next += interval) {
    const wait = next - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(once());
  }
  await Promise.all(pending);
} else {
  await Promise.all(
    Array.from({ length: input.connections }, async () => {
      while (performance.now() < until) await once();
    }),
  );
}
const seconds = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const q = (p) => latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)] ?? NaN;
process.stdout.write(
  JSON.stringify({
    requests: sent,
    failed,
    errors,
    p50: q(0.5),
    p99: q(0.99),
    rps: latencies.length / seconds,
    ...(input.track ? { answers } : {}),
  }),
);
agent.destroy();
