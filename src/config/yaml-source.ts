import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { ConfigIssue } from '../core/errors.js';

/** A parsed YAML config text that can tell the line of any key path. */
export interface YamlSource {
  /** The plain data, or undefined when the text has syntax errors. */
  data: unknown;
  /** Syntax errors, each with its line. */
  issues: ConfigIssue[];
  /** Line (1-based) of the key at `path`, else of its nearest ancestor that exists. */
  lineOf(path: readonly PropertyKey[], at?: 'key' | 'value'): number | undefined;
}

/** Parses YAML keeping node positions, so every later issue can carry a line number. */
export function parseYamlSource(text: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  const issues = doc.errors.map((error) => ({
    path: '',
    line: error.linePos?.[0].line ?? lineAt(error.pos[0]),
    message: `YAML syntax error: ${error.message.split('\n')[0] ?? error.code}`,
  }));
  let data: unknown;
  if (issues.length === 0) {
    try {
      data = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      // yaml throws (a ReferenceError) on an alias bomb; it is a problem of the file, not a crash.
      issues.push({
        path: '',
        line: 1,
        message: `YAML error: ${error instanceof Error ? error.message : String(error)}; expand the aliases (&name / *name) by hand`,
      });
    }
  }
  return {
    data,
    issues,
    lineOf: (path, at = 'key') => {
      const offset = locate(doc, path, at);
      return offset === undefined ? undefined : lineAt(offset);
    },
  };
}

function locate(doc: Document, path: readonly PropertyKey[], at: 'key' | 'value'): number | undefined {
  let node: unknown = doc.contents;
  let offset = doc.contents?.range?.[0];
  for (const [index, segment] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair) return offset;
      const key = pair.key as Node;
      const value = pair.value as Node | null;
      offset =
        at === 'value' && index === path.length - 1 ? (value?.range?.[0] ?? key.range?.[0]) : key.range?.[0];
      node = value;
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)] as Node | undefined;
      if (!item) return offset;
      offset = item.range?.[0];
      node = item;
    } else {
      return offset;
    }
  }
  return offset;
}
