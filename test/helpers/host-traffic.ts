import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One GET to 127.0.0.1:`port` with a Host header, on a fresh connection; resolves status and body. */
export function getWithHost(
  port: number,
  host: string,
  path = '/',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // agent: false -> "Connection: close", so a graceful nginx reload never closes a kept-alive socket under us.
    const req = request(
      { host: '127.0.0.1', port, path, headers: { host }, agent: false, timeout: 5_000 },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

export interface TrafficReport {
  sent: number;
  /** Requests that errored or did not answer 200. */
  failures: string[];
  /** Response bodies in the order they arrived. */
  bodies: string[];
}

/**
 * Sends requests back to back (`concurrency` loops) until stopped or `maxRequests` is reached,
 * recording every failure.
 */
export function startTraffic(
  port: number,
  host: string,
  options: { concurrency?: number; maxRequests?: number } = {},
) {
  const maxRequests = options.maxRequests ?? 20_000;
  const report: TrafficReport = { sent: 0, failures: [], bodies: [] };
  let stopped = false;
  const loop = async () => {
    while (!stopped && report.sent < maxRequests) {
      report.sent++;
      try {
        const res = await getWithHost(port, host);
        if (res.status === 200) report.bodies.push(res.body);
        else report.failures.push(`${res.status} ${res.body.trim()}`);
      } catch (error) {
        report.failures.push((error as Error).message);
      }
    }
  };
  const loops = Array.from({ length: options.concurrency ?? 2 }, loop);
  return {
    report,
    async stop(): Promise<TrafficReport> {
      stopped = true;
      await Promise.all(loops);
      return report;
    },
  };
}

/** A loopback HTTP backend that answers every request with `name`. */
export async function startNamedBackend(
  name: string,
): Promise<{ name: string; port: number; server: Server; close(): Promise<void> }> {
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(name));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    name,
    port: (server.address() as AddressInfo).port,
    server,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
