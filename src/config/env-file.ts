import { readFileSync } from 'node:fs';
import { ConfigError } from '../core/errors.js';

/** A line of an env file that could not be read; the message never contains the line's value. */
export interface EnvFileProblem {
  line: number;
  message: string;
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\', $: '$' };

function unquote(raw: string): { value: string } | { problem: string } {
  if (raw.startsWith("'")) {
    const end = raw.indexOf("'", 1);
    if (end < 0) return { problem: 'single quote is not closed' };
    return trailing(raw.slice(end + 1)) ?? { value: raw.slice(1, end) };
  }
  if (raw.startsWith('"')) {
    let value = '';
    for (let i = 1; i < raw.length; i++) {
      const char = raw[i] ?? '';
      if (char === '"') return trailing(raw.slice(i + 1)) ?? { value };
      if (char === '\\' && i + 1 < raw.length) {
        const next = raw[++i] ?? '';
        value += ESCAPES[next] ?? `\\${next}`;
      } else {
        value += char;
      }
    }
    return { problem: 'double quote is not closed (values spanning several lines are not supported)' };
  }
  // An unquoted value ends at " #", so `KEY=value # note` works as in shell and Compose.
  const comment = raw.search(/\s#/);
  return { value: (comment >= 0 ? raw.slice(0, comment) : raw).trim() };
}

function trailing(rest: string): { problem: string } | undefined {
  const text = rest.trim();
  return text === '' || text.startsWith('#')
    ? undefined
    : { problem: 'unexpected text after the closing quote' };
}

/**
 * Parses an env file: KEY=value lines, `#` comments, blank lines, an optional `export ` prefix,
 * single quotes (literal) and double quotes (with \n, \t, \" and \\ escapes). Later keys win.
 */
export function parseEnvFile(text: string): { values: Record<string, string>; problems: EnvFileProblem[] } {
  const values: Record<string, string> = {};
  const problems: EnvFileProblem[] = [];
  text.split(/\r?\n/).forEach((rawLine, index) => {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) return;
    const body = line.replace(/^export\s+/, '');
    const eq = body.indexOf('=');
    if (eq < 0) {
      problems.push({ line: index + 1, message: 'expected KEY=value, found a line without "="' });
      return;
    }
    const key = body.slice(0, eq).trim();
    if (!KEY.test(key)) {
      problems.push({
        line: index + 1,
        message: `expected a variable name of letters, digits and "_", found ${JSON.stringify(key.slice(0, 40))}`,
      });
      return;
    }
    const parsed = unquote(body.slice(eq + 1).trim());
    if ('problem' in parsed) problems.push({ line: index + 1, message: `${key}: ${parsed.problem}` });
    else values[key] = parsed.value;
  });
  return { values, problems };
}

/**
 * Reads an env file for a container.
 * @throws ConfigError naming the file and each bad line (never a value), or that the file is missing
 */
export function readEnvFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    const message = `env_file ${file} cannot be read (${reason}); create it or remove env_file`;
    throw new ConfigError(message, [{ path: 'env_file', message }]);
  }
  const { values, problems } = parseEnvFile(text);
  if (problems.length > 0) {
    const issues = problems.map((p) => ({
      path: 'env_file',
      line: p.line,
      message: `${file}:${p.line}: ${p.message}`,
    }));
    throw new ConfigError(`env_file ${file} has ${problems.length} bad line(s)`, issues);
  }
  return values;
}
