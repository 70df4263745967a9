import type { LogLine } from './engine.js';

const STREAMS: Record<number, LogLine['stream']> = { 0: 'stdout', 1: 'stdout', 2: 'stderr' };
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})) ?/;

/**
 * Turns a container log read with timestamps into lines as the bytes arrive. A non-TTY log is
 * multiplexed (8-byte frame header: stream byte, three zero bytes, big-endian length; see
 * log-frames.ts); a TTY log is raw text on stdout. Frames may be cut anywhere by the transport,
 * and a line may span frames, so both bytes and text are held back until complete.
 */
export class LogDemultiplexer {
  #bytes: Buffer = Buffer.alloc(0);
  #multiplexed: boolean | undefined;
  readonly #pending = new Map<LogLine['stream'], string>();

  /** Adds bytes; returns the lines they completed, in order. */
  feed(chunk: Buffer): LogLine[] {
    this.#bytes = this.#bytes.length === 0 ? chunk : Buffer.concat([this.#bytes, chunk]);
    this.#multiplexed ??= this.#decideFormat();
    if (this.#multiplexed === undefined) return [];
    if (!this.#multiplexed) {
      const text = this.#bytes.toString('utf8');
      this.#bytes = Buffer.alloc(0);
      return this.#text('stdout', text);
    }
    const lines: LogLine[] = [];
    while (this.#bytes.length >= 8) {
      const length = this.#bytes.readUInt32BE(4);
      if (this.#bytes.length < 8 + length) break;
      const stream = STREAMS[this.#bytes.readUInt8(0)] ?? 'stdout';
      const payload = this.#bytes.subarray(8, 8 + length).toString('utf8');
      this.#bytes = this.#bytes.subarray(8 + length);
      lines.push(...this.#text(stream, payload));
    }
    return lines;
  }

  /** The log ended: whatever is held back, as lines. */
  end(): LogLine[] {
    const rest = this.#bytes.length > 0 && this.#multiplexed !== true ? this.#bytes.toString('utf8') : '';
    this.#bytes = Buffer.alloc(0);
    const lines = rest === '' ? [] : this.#text('stdout', rest);
    for (const [stream, text] of this.#pending) if (text !== '') lines.push(toLine(stream, text));
    this.#pending.clear();
    return lines;
  }

  #decideFormat(): boolean | undefined {
    if (this.#bytes.length < 8) return undefined;
    const stream = this.#bytes[0] ?? 255;
    return stream <= 2 && this.#bytes[1] === 0 && this.#bytes[2] === 0 && this.#bytes[3] === 0;
  }

  #text(stream: LogLine['stream'], text: string): LogLine[] {
    const joined = (this.#pending.get(stream) ?? '') + text;
    const parts = joined.split('\n');
    this.#pending.set(stream, parts.pop() ?? '');
    return parts.map((part) => toLine(stream, part));
  }
}

function toLine(stream: LogLine['stream'], raw: string): LogLine {
  const line = raw.replace(/\r$/, '');
  const match = TIMESTAMP.exec(line);
  return match
    ? { stream, time: match[1] ?? '', text: line.slice(match[0].length) }
    : { stream, time: '', text: line };
}
