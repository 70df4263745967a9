// Listens on the ports a developer's own registry often uses (127.0.0.1:5000 and :5001) and
// records every request, to prove that the test run brings its own services and sends nothing
// there. `node .ci/decoy-ports.mjs FILE` writes one line per request to FILE; ends on SIGTERM.
import { appendFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [file = 'test-results/decoy-requests.log'] = process.argv.slice(2);
writeFileSync(file, '');
for (const port of [5000, 5001]) {
  createServer((req, res) => {
    appendFileSync(file, `${port} ${req.method} ${req.url}\n`);
    res.writeHead(418).end('not a registry: the tests must not send anything here\n');
  })
    .on('error', (error) => {
      console.error(`decoy: cannot listen on 127.0.0.1:${port}: ${error.message}`);
      process.exit(1);
    })
    .listen(port, '127.0.0.1');
}
process.on('SIGTERM', () => process.exit(0));
