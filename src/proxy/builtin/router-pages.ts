import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escape = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** The router's own answers (no stage, nothing live, a container that failed): short HTML pages. */
export function sendPage(res: ServerResponse, status: number, title: string, detail: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = `<!doctype html><title>${status} ${escape(title)}</title><h1>${escape(title)}</h1><p>${escape(detail)}</p><p><small>docker-watcher router</small></p>\n`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...(status === 503 ? { 'retry-after': '5' } : {}),
  });
  res.end(body);
}

/** The same refusal for a WebSocket upgrade, on the raw socket. */
export function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  if (socket.writable)
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  socket.destroy();
}
