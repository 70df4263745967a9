import { configJsonSchema, type JsonSchemaNode } from './json-schema.js';

export const REFERENCE_START = '<!-- config-reference:start -->';
export const REFERENCE_END = '<!-- config-reference:end -->';

interface Row {
  path: string;
  type: string;
  default: string;
  description: string;
}

function typeOf(node: JsonSchemaNode): string {
  if (node.enum) return node.enum.map((value) => `\`${JSON.stringify(value)}\``).join(' \\| ');
  if (node.const !== undefined) return `\`${JSON.stringify(node.const)}\``;
  if (node.anyOf) return node.anyOf.map(typeOf).join(' \\| ');
  if (node.type === 'array') return `list of ${node.items ? typeOf(node.items) : 'any'}`;
  if (node.type === 'object' && !node.properties && typeof node.additionalProperties === 'object') {
    const values = node.additionalProperties;
    return values.properties ? 'map of objects' : `map of ${typeOf(values)}`;
  }
  return node.type ?? 'any';
}

function defaultOf(node: JsonSchemaNode, required: boolean): string {
  if (required) return '**required**';
  if (node.default === undefined) return '';
  if (node.type === 'object' && node.properties) return '';
  return `\`${JSON.stringify(node.default)}\``;
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

function rows(node: JsonSchemaNode, prefix: string, required: boolean, out: Row[]): void {
  if (prefix !== '') {
    out.push({
      path: prefix,
      type: typeOf(node),
      default: defaultOf(node, required),
      description: node.description ?? '',
    });
  }
  if (node.properties) {
    for (const [key, child] of Object.entries(node.properties)) {
      if (key === '$schema') continue;
      rows(child, prefix ? `${prefix}.${key}` : key, node.required?.includes(key) ?? false, out);
    }
  } else if (typeof node.additionalProperties === 'object' && node.additionalProperties.properties) {
    const name = prefix.endsWith('stages') ? '<stage>' : prefix.endsWith('projects') ? '<project>' : '<name>';
    rows(node.additionalProperties, `${prefix}.${name}`, false, out);
  }
}

/** The Markdown table of every config key: path, type, default and description. */
export function configReferenceTable(): string {
  const out: Row[] = [];
  rows(configJsonSchema(), '', false, out);
  const lines = out.map(
    (row) => `| \`${row.path}\` | ${row.type} | ${row.default} | ${cell(row.description)} |`,
  );
  return ['| Key | Type | Default | Description |', '| --- | --- | --- | --- |', ...lines].join('\n');
}

/**
 * `readme` with the text between the config-reference markers replaced by the current table.
 * @throws Error when the markers are missing
 */
export function withReferenceTable(readme: string): string {
  const start = readme.indexOf(REFERENCE_START);
  const end = readme.indexOf(REFERENCE_END);
  if (start < 0 || end < start) {
    throw new Error(
      `README has no ${REFERENCE_START} ... ${REFERENCE_END} markers; add them where the table goes`,
    );
  }
  const before = readme.slice(0, start + REFERENCE_START.length);
  return `${before}\n\n${configReferenceTable()}\n\n${readme.slice(end)}`;
}
