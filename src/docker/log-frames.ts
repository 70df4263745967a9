/**
 * Splits a non-TTY container log buffer into lines. The engine multiplexes stdout and stderr as
 * frames of an 8-byte header (stream byte 0/1/2, three zero bytes, big-endian length) and the
 * payload; a TTY container's log is raw text. Lines keep the engine's (chronological) order.
 */
export function logLines(buffer: Buffer): string[] {
  const text = isMultiplexed(buffer) ? demultiplex(buffer) : [buffer.toString('utf8')];
  return text
    .flatMap((chunk) => chunk.split('\n'))
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line !== '');
}

function isMultiplexed(buffer: Buffer): boolean {
  if (buffer.length < 8) return false;
  const stream = buffer[0] ?? 255;
  return stream <= 2 && buffer[1] === 0 && buffer[2] === 0 && buffer[3] === 0;
}

/** Payloads grouped so that each stream's partial lines join up before splitting. */
function demultiplex(buffer: Buffer): string[] {
  const pending = new Map<number, string>();
  const complete: string[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const stream = buffer.readUInt8(offset);
    const length = buffer.readUInt32BE(offset + 4);
    const payload = buffer
      .subarray(offset + 8, Math.min(offset + 8 + length, buffer.length))
      .toString('utf8');
    offset += 8 + length;
    const joined = (pending.get(stream) ?? '') + payload;
    const lastNewline = joined.lastIndexOf('\n');
    if (lastNewline === -1) {
      pending.set(stream, joined);
      continue;
    }
    complete.push(joined.slice(0, lastNewline));
    pending.set(stream, joined.slice(lastNewline + 1));
  }
  return [...complete, ...pending.values()];
}
