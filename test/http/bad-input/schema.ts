/**
 * Whether a value is invalid by the OpenAPI document's schema: the subset of JSON Schema 2020-12 the
 * document uses (type, enum, const, pattern, min/maxLength, minimum/maximum, min/maxItems, items,
 * properties, required, additionalProperties, anyOf/oneOf/allOf, $ref). It answers "definitely
 * invalid" only: a keyword it does not know (format, …) never makes a value invalid.
 *
 * Both encodings share one schema (src/http/router.ts), and form encoding carries only strings, so
 * a string stands for an integer, number or boolean when it spells one ("2000", "true"); the
 * server takes those spellings in JSON too. A string that can be two things can match two branches
 * of a oneOf, so oneOf is read as anyOf: never stricter than the document.
 */

export type Schema = Record<string, any>;

export interface SchemaDocument {
  components?: { schemas?: Record<string, Schema> };
}

const INTEGER = /^-?\d+$/;
const NUMBER = /^-?\d+(\.\d+)?$/;

export function resolve(doc: SchemaDocument, schema: Schema): Schema {
  let current = schema;
  for (let hops = 0; typeof current.$ref === 'string'; hops += 1) {
    const name = current.$ref.replace('#/components/schemas/', '');
    const target = doc.components?.schemas?.[name];
    if (!target || hops > 10) throw new Error(`unresolvable $ref ${current.$ref}`);
    current = target;
  }
  return current;
}

export function conforms(doc: SchemaDocument, schema: Schema, value: unknown): boolean {
  const s = resolve(doc, schema);
  if (s.allOf && !s.allOf.every((branch: Schema) => conforms(doc, branch, value))) return false;
  if (s.anyOf && !s.anyOf.some((branch: Schema) => conforms(doc, branch, value))) return false;
  if (s.oneOf && !s.oneOf.some((branch: Schema) => conforms(doc, branch, value))) return false;
  if (s.enum && !s.enum.some((allowed: unknown) => sameScalar(allowed, value))) return false;
  if ('const' in s && !sameScalar(s.const, value)) return false;
  if (s.type !== undefined) {
    const types: string[] = Array.isArray(s.type) ? s.type : [s.type];
    if (!types.some((type) => hasType(type, value))) return false;
  }
  if (typeof value === 'string') {
    const length = [...value].length;
    if (typeof s.minLength === 'number' && length < s.minLength) return false;
    if (typeof s.maxLength === 'number' && length > s.maxLength) return false;
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(value)) return false;
  }
  const n = numeric(value);
  if (n !== undefined) {
    if (typeof s.minimum === 'number' && n < s.minimum) return false;
    if (typeof s.maximum === 'number' && n > s.maximum) return false;
    if (typeof s.exclusiveMinimum === 'number' && n <= s.exclusiveMinimum) return false;
    if (typeof s.exclusiveMaximum === 'number' && n >= s.exclusiveMaximum) return false;
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === 'number' && value.length < s.minItems) return false;
    if (typeof s.maxItems === 'number' && value.length > s.maxItems) return false;
    if (s.items && !value.every((item) => conforms(doc, s.items, item))) return false;
  }
  if (isObject(value)) {
    const keys = Object.keys(value);
    if (Array.isArray(s.required) && !s.required.every((name: string) => Object.hasOwn(value, name))) return false;
    const properties: Record<string, Schema> = s.properties ?? {};
    for (const key of keys) {
      const property = Object.hasOwn(properties, key) ? properties[key] : undefined;
      if (property) {
        if (!conforms(doc, property, value[key])) return false;
      } else if (s.additionalProperties === false) {
        return false;
      } else if (isObject(s.additionalProperties) && !conforms(doc, s.additionalProperties, value[key])) {
        return false;
      }
    }
  }
  return true;
}

function hasType(type: string, value: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return (typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'string' && INTEGER.test(value));
    case 'number':
      return (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && NUMBER.test(value));
    case 'boolean':
      return typeof value === 'boolean' || value === 'true' || value === 'false';
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isObject(value);
    default:
      return true;
  }
}

function numeric(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && NUMBER.test(value)) return Number(value);
  return undefined;
}

function sameScalar(allowed: unknown, value: unknown): boolean {
  if (allowed === value) return true;
  // A form value spells a boolean or a number enum member as a string.
  return typeof value === 'string' && (typeof allowed === 'boolean' || typeof allowed === 'number') && String(allowed) === value;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
