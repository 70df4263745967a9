import { describe, expect, it } from 'vitest';
import { SseParser } from '../../../src/protocol/sse-parser.js';

describe('SseParser', () => {
  it('parses events split across chunks, with comments, ids and multi-line data', () => {
    const parser = new SseParser();
    const text = ': heartbeat\n\nid: 1\ndata: {"a":\r\ndata: 1}\n\nevent: end\ndata: done\r\n\r\n';
    const messages = [];
    for (let i = 0; i < text.length; i += 3) messages.push(...parser.feed(text.slice(i, i + 3)));
    expect(messages).toEqual([
      { event: 'message', data: '{"a":\n1}', id: '1' },
      { event: 'end', data: 'done', id: '1' },
    ]);
  });

  it('holds back an incomplete event', () => {
    const parser = new SseParser();
    expect(parser.feed('data: x\n')).toEqual([]);
    expect(parser.feed('\n')).toEqual([{ event: 'message', data: 'x' }]);
  });
});
