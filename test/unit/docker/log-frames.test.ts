import { describe, expect, it } from 'vitest';
import { logLines } from '../../../src/docker/log-frames.js';

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8);
  header.writeUInt8(stream, 0);
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('logLines', () => {
  it('demultiplexes stdout and stderr frames in order', () => {
    const buffer = Buffer.concat([frame(1, 'out 1\n'), frame(2, 'err 1\n'), frame(1, 'out 2\nout 3\n')]);
    expect(logLines(buffer)).toEqual(['out 1', 'err 1', 'out 2', 'out 3']);
  });

  it('joins a line split over two frames of the same stream', () => {
    const buffer = Buffer.concat([frame(1, 'hel'), frame(2, 'err\n'), frame(1, 'lo\n'), frame(1, 'tail')]);
    expect(logLines(buffer)).toEqual(['err', 'hello', 'tail']);
  });

  it('reads a TTY log as raw text', () => {
    expect(logLines(Buffer.from('plain 1\r\nplain 2\n'))).toEqual(['plain 1', 'plain 2']);
  });

  it('returns nothing for an empty log', () => {
    expect(logLines(Buffer.alloc(0))).toEqual([]);
  });
});
