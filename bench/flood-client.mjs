// The flood benchmark's client, run in its own process (so its work is not counted in the app's):
// reads {url, path, headers, body, connections, seconds} as JSON on stdin, keeps `connections`
// keep-alive connections each sending the same request again as soon as the last answer ended,
// and prints {requests, byStatus, seconds} as JSON. The request bytes are built once: the
// client spends its time on the wire, not on building requests.
import { Buffer } from 'node:buffer';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';

const input = JSON.parse(
  await new Promise((done) => {
    let text = '';
    process.stdin.on('data', (chunk) => (text += chunk));
    process.stdin.on('end', () => done(text));
  }),
);
const target = new URL(input.url);
const body = Buffer.from(input.body);
const head = [
  `POST ${input.path} HTTP/1.1`,
  `Host: ${target.host}`,
  'Connection: keep-alive',
  `Content-Length: ${body.length}`,
  ...Object.entries(input.headers).map(([name, value]) => `${name}: ${value}`),
  '',
  '',
].join('\r\n');
const request = Buffer.concat([Buffer.from(head), body]);
const byStatus = {};
let requests = 0;
const started = performance.now();
const until = started + input.seconds * 1000;

/** One connection: send, read one answer (status line, Content-Length body), repeat until the end. */
function client() {
  return new Promise((done, fail) => {
    const socket = connect(Number(target.port), target.hostname);
    let buffered = Buffer.alloc(0);
    const send = () => {
      if (performance.now() >= until) {
        socket.end();
        done();
        return;
      }
      socket.write(request);
    };
    socket.on('connect', send);
    socket.on('error', fail);
    // The app closed the connection (it should not, for a 401): this client stops, its count shows it.
    socket.on('close', () => done());
    socket.on('data', (chunk) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const headText = buffered.subarray(0, end).toString('latin1');
        const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(headText)?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        const status = headText.slice(9, 12);
        byStatus[status] = (byStatus[status] ?? 0) + 1;
        requests++;
        buffered = buffered.subarray(end + 4 + length);
        send();
      }
    });
  });
}

await Promise.all(Array.from({ length: input.connections }, client));
process.stdout.write(
  JSON.stringify({ requests, byStatus, seconds: (performance.now() - started) / 1000 }) + '\n',
);
