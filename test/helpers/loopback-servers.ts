import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An answer as a test reads it off the socket. */
export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** http://127.0.0.1:PORT of a listening server. */
export const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

/** Listens on a free loopback port. */
export const listen = (server: Server) => new Promise<void>((done) => server.listen(0, '127.0.0.1', done));

/** Closes the servers and every connection still open to them. */
export async function closeServers(...servers: Server[]): Promise<void> {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  }
}
