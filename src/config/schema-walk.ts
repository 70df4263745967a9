import type { z } from 'zod';

/** The parts of zod's internal definition that walking the config schema needs. */
interface SchemaDef {
  type: string;
  innerType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  valueType?: z.ZodType;
  element?: z.ZodType;
}

function defOf(schema: z.ZodType): SchemaDef {
  return schema._zod.def;
}

const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch']);

/** The schema without optional/default/prefault wrappers. */
export function unwrapSchema(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let def = defOf(current); WRAPPERS.has(def.type) && def.innerType; def = defOf(current)) {
    current = def.innerType;
  }
  return current;
}

/** The keys an object schema allows, or undefined when `schema` is not an object. */
export function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  const def = defOf(unwrapSchema(schema));
  return def.type === 'object' ? def.shape : undefined;
}

/** The schema of a record's values or an array's elements, or undefined for other kinds. */
export function childSchema(schema: z.ZodType): z.ZodType | undefined {
  const def = defOf(unwrapSchema(schema));
  if (def.type === 'record') return def.valueType;
  if (def.type === 'array') return def.element;
  return undefined;
}

/** The kind of schema after unwrapping: object, record, array, string, number, ... */
export function schemaKind(schema: z.ZodType): string {
  return defOf(unwrapSchema(schema)).type;
}

/** The schema that checks the value at `path`, or undefined when the path leaves the schema. */
export function schemaAt(root: z.ZodType, path: readonly PropertyKey[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = root;
  for (const segment of path) {
    if (!current) return undefined;
    const shape = objectShape(current);
    current = shape ? shape[String(segment)] : childSchema(current);
  }
  return current;
}
