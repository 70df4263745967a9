import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configJsonSchemaText } from '../../../src/config/json-schema.js';
import { REFERENCE_END, REFERENCE_START, withReferenceTable } from '../../../src/config/reference-table.js';

// Fails when the committed docs lag behind src/config/schema.ts. To regenerate them:
//   DW_UPDATE_DOCS=1 npx vitest run test/unit/config/generated-docs.test.ts
// (or `npm run build && node scripts/gen-docs.ts`).
const update = process.env.DW_UPDATE_DOCS === '1';
const schemaFile = new URL('../../../docker-watcher.schema.json', import.meta.url);
const readmeFile = new URL('../../../README.md', import.meta.url);

describe('generated config docs', () => {
  it('docker-watcher.schema.json matches the zod schema', () => {
    const expected = configJsonSchemaText();
    if (update) writeFileSync(schemaFile, expected);
    expect(readFileSync(schemaFile, 'utf8')).toBe(expected);
  });

  it('the README configuration reference matches the zod schema', () => {
    const readme = readFileSync(readmeFile, 'utf8');
    const expected = withReferenceTable(readme);
    if (update) writeFileSync(readmeFile, expected);
    // Compared modulo whitespace and dash runs, so `prettier --write README.md` may align the table.
    const section = (text: string) =>
      text
        .slice(text.indexOf(REFERENCE_START), text.indexOf(REFERENCE_END))
        .replace(/-{3,}/g, '---')
        .replace(/\s+/g, ' ');
    expect(section(readFileSync(readmeFile, 'utf8'))).toBe(section(expected));
  });

  it('documents every key with its default and description', () => {
    const table = withReferenceTable(`${REFERENCE_START}\n${REFERENCE_END}`);
    expect(table).toMatch(
      /\| `projects.<project>.port` \| integer \| \*\*required\*\* \| Port the app listens on/,
    );
    expect(table).toMatch(/\| `global.keep_versions` \| integer \| `2` \|/);
    expect(table).toMatch(
      /\| `projects.<project>.stages.<stage>.tag_pattern` \| string \| \*\*required\*\* \|/,
    );
  });

  it('the JSON Schema treats defaulted keys as optional and unknown keys as errors', () => {
    const schema = JSON.parse(configJsonSchemaText());
    const stage = schema.properties.projects.additionalProperties.properties.stages.additionalProperties;
    expect(stage.required).toEqual(['tag_pattern']);
    expect(stage.additionalProperties).toBe(false);
    expect(schema.required ?? []).toEqual([]);
  });
});
