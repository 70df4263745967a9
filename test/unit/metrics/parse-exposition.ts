/** One parsed sample line of the Prometheus text format. */
export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedExposition {
  help: Map<string, string>;
  type: Map<string, string>;
  samples: ParsedSample[];
}

const unescape = (text: string) => text.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));

/**
 * A strict reader of the text exposition format 0.0.4 for tests: every line must be a HELP,
 * a TYPE or a sample, label values are unescaped, and a sample must follow its family's TYPE.
 */
export function parseExposition(text: string): ParsedExposition {
  if (text !== '' && !text.endsWith('\n')) throw new Error('the exposition must end with a line feed');
  const result: ParsedExposition = { help: new Map(), type: new Map(), samples: [] };
  for (const line of text.split('\n').slice(0, -1)) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      (kind === 'HELP' ? result.help : result.type).set(name, kind === 'HELP' ? unescape(rest) : rest);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`not a valid exposition line: ${JSON.stringify(line)}`);
    const [, name, , body, raw] = sample as unknown as [string, string, string, string | undefined, string];
    const labels: Record<string, string> = {};
    const labelPattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;
    let consumed = 0;
    for (const match of (body ?? '').matchAll(labelPattern)) {
      labels[match[1]!] = unescape(match[2]!);
      consumed += match[0].length;
    }
    if (consumed !== (body ?? '').length) throw new Error(`bad labels in ${JSON.stringify(line)}`);
    const family = [...result.type.keys()].find(
      (f) => name === f || (/^_(bucket|sum|count)$/.test(name.slice(f.length)) && name.startsWith(f)),
    );
    if (family === undefined) throw new Error(`sample ${name} comes before its TYPE line`);
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    if (Number.isNaN(value) && raw !== 'NaN') throw new Error(`bad value in ${JSON.stringify(line)}`);
    result.samples.push({ name, labels, value });
  }
  return result;
}
