import { Agent, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../log/logger.js';
import type { TrustedProxies } from '../../net/client-address.js';
import { forwardedHeaders } from './forwarded-headers.js';
import type { RequestHold } from './request-hold.js';
import type { RouteTable } from './route-table.js';
import { refuseUpgrade, sendPage } from './router-pages.js';

export interface RouterServerOptions {
  host: string;
  port: number;
  table: RouteTable;
  /** Domain -> "project/stage" of every configured stage, for the 503 page naming the stage. */
  stageOf(domain: string): string | undefined;
  /** Whether the routes were restored after start-up (before that, requests get a 503). */
  ready(): boolean;
  /** Holds requests for a stage whose route is coming (start-up, first deploy); none: answered at once. */
  hold?: RequestHold;
  trusted: TrustedProxies;
  upstreamTimeoutMs: number;
  logger: Logger;
}

export interface RouterServer {
  port: number;
  close(): Promise<void>;
}

const HEADERS_TIMEOUT_MS = 10_000;
const MAX_HEADER_BYTES = 16 * 1024;

function hostOf(req: IncomingMessage): string | undefined {
  const raw = req.headers.host?.trim().toLowerCase();
  if (!raw) return undefined;
  // Strip the port, keeping an IPv6 literal's brackets; a trailing dot is the same domain.
  const host = raw.startsWith('[') ? raw.slice(0, raw.indexOf(']') + 1) : raw.split(':')[0]!;
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

const peerOf = (req: IncomingMessage) => (req.socket.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.)/, '');

/**
 * The built-in router's listener: Node's HTTP server (bounded headers and timeouts, so a slow or
 * huge client costs little) and http-proxy-3 for the proxying, loaded only here. Each request is
 * routed by its Host header through the table, counted against its container while in flight,
 * and closed by the table when a drain times out.
 */
export async function startRouterServer(options: RouterServerOptions): Promise<RouterServer> {
  const { createProxyServer } = await import('http-proxy-3');
  const { table, logger } = options;
  const agent = new Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 64, timeout: 30_000 });
  const proxy = createProxyServer({ agent, xfwd: false, ws: true, proxyTimeout: options.upstreamTimeoutMs });

  /** The route of a request, or why it has none (already answered). */
  function routeOf(req: IncomingMessage, refuse: (status: number, title: string, detail: string) => void) {
    const host = hostOf(req);
    if (!host) return refuse(400, 'No Host header', 'The router routes by the Host header; send one.');
    const route = table.get(host);
    if (route) return route;
    const stage = options.stageOf(host);
    if (!options.ready() && stage !== undefined) {
      return refuse(
        503,
        `Stage ${stage} is starting`,
        'docker-watcher is restoring its routes; try again in a moment.',
      );
    }
    if (stage !== undefined) {
      return refuse(
        503,
        `Stage ${stage} has no live version`,
        `Nothing is deployed to ${host} yet, or it was torn down.`,
      );
    }
    return refuse(404, 'Unknown host', `No stage of docker-watcher has the domain ${host}.`);
  }

  /** Routes the request once its stage's route came or the hold ended (request-hold.ts). */
  function afterHold(req: IncomingMessage, client: Duplex | ServerResponse, next: () => void) {
    const host = options.hold && hostOf(req);
    if (!host) return next();
    const wait = options.hold!.hold(host, next);
    client.once('close', wait.gone);
  }

  function onRequest(req: IncomingMessage, res: ServerResponse) {
    const route = routeOf(req, (status, title, detail) => sendPage(res, status, title, detail));
    if (!route) return;
    const end = table.begin(route.target.containerName, { close: () => res.destroy() });
    res.once('close', end);
    req.headers = forwardedHeaders(req.headers, peerOf(req), options.trusted, false);
    const started = Date.now();
    proxy.web(req, res, { target: table.upstreamOf(route) }, (error) => {
      logger.warn('router: upstream failed', { domain: route.target.domain, error: error.message });
      const stage = `${route.target.project}/${route.target.stage}`;
      // http-proxy-3 ends a hung upstream request as a hang-up once proxyTimeout passed.
      if (Date.now() - started >= options.upstreamTimeoutMs - 50) {
        sendPage(
          res,
          504,
          `Stage ${stage} did not answer`,
          `The container ${route.target.containerName} did not answer in time.`,
        );
      } else {
        sendPage(
          res,
          502,
          `Stage ${stage} is unreachable`,
          `The container ${route.target.containerName} failed: ${error.message}.`,
        );
      }
    });
  }

  const upgraded = new Set<Duplex>();

  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
    socket.on('error', () => socket.destroy());
    const route = routeOf(req, (status, title) => refuseUpgrade(socket, status, title));
    if (!route) return;
    const end = table.begin(route.target.containerName, { close: () => socket.destroy() });
    upgraded.add(socket);
    socket.once('close', () => {
      upgraded.delete(socket);
      end();
    });
    req.headers = forwardedHeaders(req.headers, peerOf(req), options.trusted, true);
    proxy.ws(req, socket, head, { target: table.upstreamOf(route) }, () =>
      refuseUpgrade(socket, 502, 'Bad Gateway'),
    );
  }

  const server: Server = createServer(
    {
      maxHeaderSize: MAX_HEADER_BYTES,
      headersTimeout: HEADERS_TIMEOUT_MS,
      // Bounds the receipt of a whole request body; streamed uploads longer than this are cut.
      requestTimeout: 300_000,
      keepAliveTimeout: 5_000,
      // How often the two timeouts above are enforced (Node's default, 30 s, would let a
      // slowloris client hold a socket for 40 s).
      connectionsCheckingInterval: 1_000,
    },
    (req, res) => afterHold(req, res, () => onRequest(req, res)),
  );
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy()); // also while held
    afterHold(req, socket, () => onUpgrade(req, socket, head));
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable) return socket.destroy();
    const status =
      error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    refuseUpgrade(
      socket,
      status,
      status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request',
    );
  });
  proxy.on('error', () => {}); // each call above passes its own error callback
  // A container that dies mid-response: the client must see the cut, not wait for the rest.
  proxy.on('proxyRes', (proxyRes, _req, res) => {
    proxyRes.once('close', () => {
      if (!proxyRes.complete) res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `the built-in router cannot listen on ${options.host}:${options.port} (${error.code ?? error.message}): ` +
            'free the port or set global.router.host/port',
          { cause: error },
        ),
      ),
    );
    server.listen(options.port, options.host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        options.hold?.releaseAll();
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of upgraded) socket.destroy();
        agent.destroy();
      }),
  };
}
