import { z } from 'zod';
import { configSchema } from './schema.js';

/** A JSON Schema node, as far as the docs generators read it. */
export interface JsonSchemaNode {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchemaNode[];
  properties?: Record<string, JsonSchemaNode>;
  additionalProperties?: JsonSchemaNode | boolean;
  items?: JsonSchemaNode;
  required?: string[];
  [key: string]: unknown;
}

/**
 * The config's JSON Schema for editors (yaml-language-server), made from the zod schema in
 * input mode: keys with defaults are optional, as they are in the file.
 */
export function configJsonSchema(): JsonSchemaNode {
  const schema = z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' }) as JsonSchemaNode;
  return {
    $schema: schema.$schema,
    title: 'docker-watcher configuration',
    ...schema,
  };
}

/** The JSON Schema as the committed docker-watcher.schema.json holds it. */
export function configJsonSchemaText(): string {
  return JSON.stringify(configJsonSchema(), null, 2) + '\n';
}
