// The flood benchmark's reference: the least a Node server can do per refused request (read the
// 64 KB body, HMAC it, answer 401 with a small JSON body) and a /healthz, with no framework, no
// routing, no logging. What docker-watcher reaches is compared with this on the same machine.
// Usage: node bench/flood-ceiling.mjs PORT; prints "listening" when ready.
import { createHmac } from 'node:crypto';
import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';

const refusal = JSON.stringify({
  error: { code: 'unauthorized', message: 'signed request refused: signature does not match' },
});
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"ok"}');
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    createHmac('sha256', 'the-secret').update(Buffer.concat(chunks)).digest('hex');
    res.writeHead(401, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(refusal) });
    res.end(refusal);
  });
});
server.listen(Number(process.argv[2]), '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
