import { createRequire } from 'node:module';
import type * as NodeHttp from 'node:http';

/**
 * node:http, loaded with require. `import ... from 'node:http'` builds the module's ES namespace,
 * which reads every export, the lazy `WebSocket`, `CloseEvent` and `MessageEvent` among them:
 * that loads Node's fetch implementation (undici, with http2 and tls), about 13 MB of RSS for
 * the life of the process, in an app that may never use it (issue 21; `import type` is free).
 */
export const nodeHttp = createRequire(import.meta.url)('node:http') as typeof NodeHttp;
