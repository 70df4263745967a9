import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseEnvFile, readEnvFile } from '../../../src/config/env-file.js';
import { ConfigError } from '../../../src/core/errors.js';

const scratch = mkdtempSync(join(tmpdir(), 'dw-envfile-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('parseEnvFile', () => {
  it('reads KEY=value lines with comments, quotes and export', () => {
    const text = [
      '# a comment',
      '',
      'export NODE_ENV=production',
      'GREETING="hello \\"world\\"\\nbye"',
      "LITERAL='a $b # c'",
      'PLAIN=value # trailing comment',
      'EMPTY=',
      'URL=http://x/#anchor',
    ].join('\n');
    expect(parseEnvFile(text)).toEqual({
      values: {
        NODE_ENV: 'production',
        GREETING: 'hello "world"\nbye',
        LITERAL: 'a $b # c',
        PLAIN: 'value',
        EMPTY: '',
        URL: 'http://x/#anchor',
      },
      problems: [],
    });
  });

  it('names the line of each problem without echoing its value', () => {
    const { problems } = parseEnvFile('OK=1\nsecret-password-line\n1BAD=x\nQ="unterminated secret\n');
    expect(problems.map((p) => p.line)).toEqual([2, 3, 4]);
    expect(JSON.stringify(problems)).not.toContain('secret');
  });
});

describe('readEnvFile', () => {
  it('reads the file of the valid fixture', () => {
    const file = new URL('../../../test/fixtures/config/shop.env', import.meta.url).pathname;
    expect(readEnvFile(file)).toMatchObject({ NODE_ENV: 'production', PLAIN: 'value' });
  });

  it('throws a ConfigError naming the file and line', () => {
    const file = join(scratch, 'bad.env');
    writeFileSync(file, 'A=1\nnot a pair\n');
    expect(() => readEnvFile(file)).toThrow(ConfigError);
    try {
      readEnvFile(file);
    } catch (error) {
      expect((error as ConfigError).issues[0]?.message).toBe(
        `${file}:2: expected KEY=value, found a line without "="`,
      );
    }
    expect(() => readEnvFile(join(scratch, 'missing.env'))).toThrow(/missing\.env cannot be read \(ENOENT\)/);
  });
});
