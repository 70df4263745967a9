import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/**
 * A JSON answer written straight to a node:http response, with its length (for a HEAD request
 * Node sends the headers only).
 */
export function sendJson(
  outgoing: ServerResponse,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  const text = JSON.stringify(body);
  outgoing.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  outgoing.end(text);
}
