import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { nodeHttp } from '../../net/node-http.js';
import type { Duplex } from 'node:stream';
import type { ProxyServer } from 'http-proxy-3';
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
  const { table, logger } = options;
  const agent = new nodeHttp.Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 64, timeout: 30_000 });
  // http-proxy-3 is loaded by the first request that has a route: with node:https, tls and http2
  // it holds several MB, which a router with nothing to route to (the quickstart before its
  // first deploy) does not need. Requests arriving meanwhile wait for the same load.
  let proxy: ProxyServer | undefined;
  let loading: Promise<ProxyServer> | undefined;
  const loadProxy = () =>
    (loading ??= import('http-proxy-3').then(({ createProxyServer }) => {
      const created = createProxyServer({
        agent,
        xfwd: false,
        ws: true,
        proxyTimeout: options.upstreamTimeoutMs,
      });
      created.on('error', () => {}); // each call below passes its own error callback
      // A container that dies mid-response: the client must see the cut, not wait for the rest.
      created.on('proxyRes', (proxyRes, _req, res) => {
        proxyRes.once('close', () => {
          if (!proxyRes.complete) res.destroy();
        });
      });
      return (proxy = created);
    }));
  /** Runs `forward` with the proxy (at once when it is loaded); `unavailable` when it cannot be loaded. */
  function withProxy(forward: (proxy: ProxyServer) => void, unavailable: () => void): void {
    if (proxy) return forward(proxy);
    loadProxy().then(forward, (error: unknown) => {
      loading = undefined;
      logger.error('router: could not load http-proxy-3; the next request tries again', {
        error: String(error),
      });
      unavailable();
    });
  }

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
    const target = table.upstreamOf(route);
    const fail = (error: Error) => {
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
    };
    withProxy(
      (proxy) => {
        if (!res.destroyed) proxy.web(req, res, { target }, fail);
      },
      () => sendPage(res, 502, 'Router unavailable', 'docker-watcher could not load its proxy; see its log.'),
    );
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
    const target = table.upstreamOf(route);
    const fail = () => refuseUpgrade(socket, 502, 'Bad Gateway');
    withProxy((proxy) => {
      if (!socket.destroyed) proxy.ws(req, socket, head, { target }, fail);
    }, fail);
  }

  const server: Server = nodeHttp.createServer(
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
