/**
 * What the action's bundle uses in place of the `undici` package: the part of undici's `request`
 * that `src/protocol` calls (method, headers, body, signal, headersTimeout, bodyTimeout; an answer
 * with statusCode, headers and a body to read as text, iterate or dump), carried by the runner's
 * built-in `fetch` (Node 24's own undici). It keeps about 700 KB of undici out of
 * action/dist/index.js (scripts/build-action.mjs aliases `undici` to this file); the app and
 * the CLI keep the real package.
 */

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** Time allowed until the answer's headers arrive. */
  headersTimeout?: number;
  /** Time allowed between two pieces of the body. */
  bodyTimeout?: number;
}

export interface ResponseBody extends AsyncIterable<Uint8Array> {
  text(): Promise<string>;
  json(): Promise<unknown>;
  dump(): Promise<void>;
}

export interface ResponseData {
  statusCode: number;
  headers: Record<string, string>;
  body: ResponseBody;
}

/** Sends one request the way undici's `request` does, through the global fetch. */
export async function request(url: string, options: RequestOptions = {}): Promise<ResponseData> {
  const timeouts = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, timeouts.signal]) : timeouts.signal;
  const expire = (what: string, ms: number) =>
    setTimeout(() => timeouts.abort(new Error(`${what} timeout: nothing for ${ms} ms`)), ms);
  const headersTimer = options.headersTimeout ? expire('headers', options.headersTimeout) : undefined;
  let response: Response;
  try {
    response = await fetch(url, {
      method: options.method ?? 'GET',
      redirect: 'manual',
      signal,
      ...(options.headers ? { headers: options.headers } : {}),
      ...(options.body === undefined ? {} : { body: options.body }),
    });
  } finally {
    clearTimeout(headersTimer);
  }
  const stream = response.body;
  const chunks = async function* (): AsyncGenerator<Uint8Array> {
    if (!stream) return;
    const reader = stream.getReader();
    try {
      for (;;) {
        const timer = options.bodyTimeout ? expire('body', options.bodyTimeout) : undefined;
        let piece: ReadableStreamReadResult<Uint8Array>;
        try {
          piece = await reader.read();
        } finally {
          clearTimeout(timer);
        }
        if (piece.done) return;
        yield piece.value;
      }
    } finally {
      reader.releaseLock();
    }
  };
  const text = async () => {
    const decoder = new TextDecoder();
    let all = '';
    for await (const chunk of chunks()) all += decoder.decode(chunk, { stream: true });
    return all + decoder.decode();
  };
  return {
    statusCode: response.status,
    headers: Object.fromEntries(response.headers),
    body: {
      [Symbol.asyncIterator]: () => chunks(),
      text,
      json: async () => JSON.parse(await text()) as unknown,
      dump: async () => {
        await stream?.cancel();
      },
    },
  };
}
