/**
 * Rewrites docker-watcher.schema.json and the README's configuration reference from the zod
 * schema. Run after changing src/config/schema.ts:
 *   npm run build && node scripts/gen-docs.ts
 * (it imports the compiled dist/ output, since Node's type stripping does not map the `.js`
 * imports inside src to `.ts`). test/unit/config/generated-docs.test.ts fails when they are stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const dist = new URL('dist/src/config/', root);
const { configJsonSchemaText } = (await import(new URL('json-schema.js', dist).href)) as {
  configJsonSchemaText: () => string;
};
const { withReferenceTable } = (await import(new URL('reference-table.js', dist).href)) as {
  withReferenceTable: (readme: string) => string;
};

const schemaFile = new URL('docker-watcher.schema.json', root);
const readmeFile = new URL('README.md', root);
writeFileSync(schemaFile, configJsonSchemaText());
writeFileSync(readmeFile, withReferenceTable(readFileSync(readmeFile, 'utf8')));
console.log('wrote docker-watcher.schema.json and the README configuration reference');
