import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ForgeSpec, SpecOperation } from './forge-api-spec.js';

/** An error the fake answers with; `status` and message go into the forge's own error shape. */
export class ForgeHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface ForgeRequestRecord {
  method: string;
  path: string;
  query: string;
  status: number;
  operationId?: string;
  body?: unknown;
}

export interface ForgeAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ForgeHttpOptions {
  spec: ForgeSpec;
  /** Throws a ForgeHttpError when the request's credentials are refused (`op`: what it asks for). */
  authorize(req: IncomingMessage, op: SpecOperation): void;
  /** Status for a body or parameter the spec refuses (GitHub 422, Gitea 422). */
  invalidStatus: number;
  errorBody(error: ForgeHttpError): unknown;
  handle(op: SpecOperation, body: unknown, query: URLSearchParams, baseUrl: string): ForgeAnswer;
}

/**
 * The HTTP side shared by the fake GitHub and Gitea: every request is matched to an operation of
 * the real API description and checked against it before the fake's state is touched. Test
 * controls: down (connections dropped), fail the next N requests with any status.
 */
export async function startForgeHttp(options: ForgeHttpOptions) {
  const requests: ForgeRequestRecord[] = [];
  const rejections: string[] = [];
  const failures: ForgeHttpError[] = [];
  let down = false;

  const answer = async (
    req: IncomingMessage,
    baseUrl: string,
  ): Promise<ForgeAnswer & { record: Partial<ForgeRequestRecord> }> => {
    const url = new URL(req.url ?? '/', baseUrl);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString();
    const record: Partial<ForgeRequestRecord> = {};
    try {
      const failure = failures.shift();
      if (failure) throw failure;
      const op = options.spec.match(req.method ?? 'GET', url.pathname);
      if (!op) throw new ForgeHttpError(404, 'Not Found');
      record.operationId = op.operationId;
      options.authorize(req, op);
      let body: unknown;
      if (text !== '') {
        if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
          throw new ForgeHttpError(
            415,
            `content-type must be application/json, got ${req.headers['content-type']}`,
          );
        }
        try {
          body = record.body = JSON.parse(text);
        } catch {
          throw new ForgeHttpError(400, 'Problems parsing JSON');
        }
      }
      const invalid = op.checkRequest(url.searchParams, body);
      if (invalid) {
        rejections.push(`${req.method} ${url.pathname}: ${invalid}`);
        throw new ForgeHttpError(options.invalidStatus, invalid);
      }
      return { ...options.handle(op, body, url.searchParams, baseUrl), record };
    } catch (error) {
      const known = error instanceof ForgeHttpError ? error : new ForgeHttpError(500, String(error));
      return { status: known.status, body: options.errorBody(known), headers: known.headers, record };
    }
  };

  let baseUrl = '';
  const server = createServer((req, res) => {
    if (down) return void req.socket.destroy();
    answer(req, baseUrl)
      .then(({ status, body, headers, record }) => {
        const url = new URL(req.url ?? '/', baseUrl);
        requests.push({
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.search,
          status,
          ...record,
        });
        const payload = body === undefined ? '' : JSON.stringify(body);
        res
          .writeHead(status, {
            ...(payload ? { 'content-type': 'application/json; charset=utf-8' } : {}),
            ...headers,
          })
          .end(payload);
      })
      .catch((error: unknown) => res.writeHead(500).end(String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: baseUrl,
    /** Every request answered, in order (bodies as sent). */
    requests,
    /** Requests refused because they broke the API description. */
    rejections,
    /** While down, connections are dropped without an answer (as a forge outage looks). */
    setDown: (value: boolean) => void (down = value),
    /** The next `count` requests fail with `status` (default 500) before anything is checked. */
    failNext(count: number, status = 500, message = 'Server Error', headers: Record<string, string> = {}) {
      for (let i = 0; i < count; i++) failures.push(new ForgeHttpError(status, message, {}, headers));
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
