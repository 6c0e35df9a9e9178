/**
 * The generated requests. For each operation of the OpenAPI document: its parameters (path, query,
 * body fields down to nested ones and map entries, the Idempotency-Key header), and fast-check
 * arbitraries of one mutation each of a valid request — or of the request as a whole (content
 * types, encodings, bytes). Each case knows what the document makes of it: `refuse` (invalid by the
 * document, so a 4xx), `any` (valid, or not decided by the document), `card` (a card number in a
 * free-text input, which issue 10 says must be refused).
 */
import fc from 'fast-check';
import type { ApiRequest, OpenApiDocument, Operation } from '../route-fixtures.js';
import { writtenPan } from './cards.js';
import { conforms, isObject, resolve, type Schema } from './schema.js';

export type Kind = 'refuse' | 'any' | 'card';
export type Encoding = 'json' | 'form';

export interface Param {
  in: 'path' | 'query' | 'body' | 'header';
  /** Stripe's spelling: metadata[order_id], payment_method_options[crypto][network]. */
  name: string;
  /** Where it sits in the body, for a body parameter. */
  path: string[];
  schema: Schema;
  required: boolean;
  /** A map such as metadata: the schema of its values (its keys are any strings). */
  mapValues?: Schema;
}

/** A value too deep to build as an object: written straight into either encoding. */
export class Deep {
  constructor(
    readonly shape: 'array' | 'object',
    readonly depth: number,
  ) {}

  /** What the schema check sees instead: the same shape, three levels deep. */
  standIn(): unknown {
    return this.shape === 'array' ? [[['1']]] : { a: { a: { a: '1' } } };
  }
}

interface Generated {
  label: string;
  value: unknown;
}

/** What a case does to the valid request. */
type Mutation =
  | { kind: 'set'; param: Param; value: Generated }
  | { kind: 'remove'; param: Param }
  | { kind: 'raw'; param: Param; raw: string }
  | { kind: 'duplicate'; param: Param; second: Generated }
  | { kind: 'unknown'; in: 'body' | 'query'; path: string[]; value: Generated }
  | { kind: 'entry'; param: Param; key: string; value: Generated }
  | { kind: 'header'; name: string; value: string }
  | { kind: 'card'; param: Param; key?: string; text: string; digits: string; form: string }
  | { kind: 'request'; variant: RequestVariant };

type RequestVariant =
  | { type: 'content-type'; value: string | null }
  | { type: 'multipart' }
  | { type: 'bytes'; name: 'bom' | 'utf-16' | 'invalid utf-8' | 'overlong utf-8' | 'surrogate utf-8' | 'nul byte' }
  | { type: 'json-text'; name: string; text: (json: string) => string }
  | { type: 'form-text'; name: string; text: (form: string) => string; reads: 'nothing' | 'as-sent' | 'unknown-parameter' | 'undecided' }
  | { type: 'query-text'; name: string; raw: string; valid: boolean }
  | { type: 'header'; name: string; value: string };

/** One generated request: printed by fast-check as its label. */
export class Case {
  constructor(
    readonly label: string,
    readonly kind: Kind,
    readonly encoding: Encoding,
    /** The one parameter mutated, in Stripe's spelling; null for the request as a whole. */
    readonly param: string | null,
    readonly mutation: Mutation,
    readonly idempotencyKey: boolean,
    /** The card number's digits and as written, for a card case. */
    readonly card?: { digits: string; text: string },
  ) {}

  [fc.toStringMethod](): string {
    return `${this.kind} · ${this.encoding} · ${this.label}${this.idempotencyKey ? ' · with Idempotency-Key' : ''}`;
  }

  toString(): string {
    return this[fc.toStringMethod]();
  }
}

// --- the operation's parameters, from the document ------------------------------------------------

export function bodySchema(op: Operation): Schema | undefined {
  return op.spec.requestBody?.content['application/json']?.schema;
}

/** Every parameter of the operation, nested body fields and map entries included. */
export function parametersOf(doc: OpenApiDocument, op: Operation): Param[] {
  const params: Param[] = [];
  for (const p of [...op.pathParams, ...op.queryParams]) {
    params.push({ in: p.in as 'path' | 'query', name: p.name, path: [p.name], schema: p.schema ?? {}, required: p.required === true });
  }
  const body = bodySchema(op);
  if (body) walkBody(doc, resolve(doc, body), [], params);
  return params;
}

function walkBody(doc: OpenApiDocument, schema: Schema, path: string[], out: Param[]): void {
  const properties: Record<string, Schema> = schema.properties ?? {};
  for (const [name, property] of Object.entries(properties)) {
    const at = [...path, name];
    const resolved = resolve(doc, property);
    const objectBranch = [resolved, ...(resolved.anyOf ?? []).map((b: Schema) => resolve(doc, b))].find(
      (b: Schema) => b.type === 'object' || b.properties,
    );
    out.push({
      in: 'body',
      name: stripeName(at),
      path: at,
      schema: property,
      required: (schema.required ?? []).includes(name),
      ...(isObject(objectBranch?.additionalProperties) ? { mapValues: objectBranch.additionalProperties as Schema } : {}),
    });
    if (objectBranch?.properties) walkBody(doc, objectBranch, at, out);
  }
}

export function stripeName(path: readonly string[]): string {
  const [head, ...rest] = path;
  return (head ?? '') + rest.map((p) => `[${p}]`).join('');
}

/** The names a refusal may give as `param` for this operation: its parameters and what lies under them. */
export function documentedNames(params: Param[], op: Operation): string[] {
  const names = params.map((p) => p.name);
  if (op.method === 'POST') names.push('Idempotency-Key');
  return names;
}

// --- values ---------------------------------------------------------------------------------------

const g = (label: string, value: unknown): Generated => ({ label, value });

const TWO_POW_256 = (2n ** 256n).toString();
const UINT256_MAX = (2n ** 256n - 1n).toString();

const WRONG_TYPES: Generated[] = [
  g('0', 0),
  g('-1', -1),
  g('1.5', 1.5),
  g('true', true),
  g('false', false),
  g('null', null),
  g('""', ''),
  g('[]', []),
  g('{}', {}),
  g('["x"]', ['x']),
  g('{"x":"y"}', { x: 'y' }),
  g('[null]', [null]),
  g('[[]]', [[]]),
  g('[{}]', [{}]),
];

const NUMBERS: Generated[] = [
  g('2^53', 2 ** 53),
  g('2^53+1 (loses a digit)', 2 ** 53 + 1),
  g('-2^53', -(2 ** 53)),
  g('2^64', 2 ** 64),
  g('2^256', 2 ** 256),
  g('1e21', 1e21),
  g('1e308', 1e308),
  g('-0', -0),
  g('5e-324', 5e-324),
  g('NaN (null in JSON)', Number.NaN),
  g('"0"', '0'),
  g('"-1"', '-1'),
  g('"9007199254740992"', '9007199254740992'),
  g('"9007199254740993"', '9007199254740993'),
  g('"2^64"', '18446744073709551616'),
  g('"2^256"', TWO_POW_256),
  g('"2^256-1"', UINT256_MAX),
  g('a 79-digit number', `1${'0'.repeat(78)}`),
  g('79 nines', '9'.repeat(79)),
  g('"1e3"', '1e3'),
  g('"1.0"', '1.0'),
  g('"0x10"', '0x10'),
  g('"+1"', '+1'),
  g('" 1"', ' 1'),
  g('"1 "', '1 '),
  g('"01"', '01'),
  g('Arabic-Indic digits', '١٢٣'),
  g('"NaN"', 'NaN'),
  g('"Infinity"', 'Infinity'),
  g('"-0"', '-0'),
];

const STRINGS: Generated[] = [
  g('" "', ' '),
  g('5000 characters', 'x'.repeat(5000)),
  g('70,000 characters (past the body limit)', 'x'.repeat(70_000)),
  g('NUL', '\u0000'),
  g('NUL inside', 'a\u0000b'),
  g('a lone high surrogate', '\ud800'),
  g('a lone low surrogate inside', 'a\udfffb'),
  g('half an emoji', 'x\ud83d'),
  g('emoji', '😀💳'.repeat(5)),
  g('right-to-left override', 'abc\u202edef'),
  g('zero-width space', 'a\u200bb'),
  g('CRLF', 'a\r\nb'),
  g('line separator', 'a\u2028b'),
  g('a BOM character', '\ufeffabc'),
  g('combining accent', 'e\u0301'),
  g('HTML', '<script>alert(1)</script>'),
  g('SQL', "' OR '1'='1' --"),
  g('percent-escapes', '%00%ZZ%'),
  g('template syntax', '$'.concat('{7*7}{{7*7}}')),
  g('"__proto__"', '__proto__'),
  g('"constructor"', 'constructor'),
  g('"prototype"', 'prototype'),
  g('"toString"', 'toString'),
  g('"hasOwnProperty"', 'hasOwnProperty'),
  g('"null"', 'null'),
  g('"undefined"', 'undefined'),
  g('"[object Object]"', '[object Object]'),
];

const PROTOTYPE_OBJECTS: Generated[] = [
  g('{"__proto__":{"polluted":"yes"}}', JSON.parse('{"__proto__":{"polluted":"yes"}}')),
  g('{"constructor":{"prototype":{"polluted":"yes"}}}', { constructor: { prototype: { polluted: 'yes' } } }),
];

/** Code units that trouble decoders, for random strings. */
const NASTY_UNITS = [
  '\u0000',
  '\ud800',
  '\udfff',
  '\ufeff',
  '\u202e',
  '%',
  '&',
  '=',
  '[',
  ']',
  '"',
  '\\',
  '+',
  ' ',
  '\n',
  'é',
  '😀',
  'a',
  '1',
];

/** The keywords of a schema and of each of its anyOf/oneOf branches. */
function branches(doc: OpenApiDocument, schema: Schema): Schema[] {
  const s = resolve(doc, schema);
  return [s, ...[...(s.anyOf ?? []), ...(s.oneOf ?? [])].map((b: Schema) => resolve(doc, b))];
}

/** Values at and just past the schema's own limits, its enum members bent, and valid samples. */
function schemaValues(doc: OpenApiDocument, param: Param): fc.Arbitrary<Generated>[] {
  const out: fc.Arbitrary<Generated>[] = [];
  const fixed: Generated[] = [];
  for (const s of branches(doc, param.schema)) {
    if (typeof s.maxLength === 'number') {
      fixed.push(g(`maxLength ${s.maxLength} characters`, 'a'.repeat(s.maxLength)), g(`maxLength+1`, 'a'.repeat(s.maxLength + 1)));
    }
    if (typeof s.minLength === 'number' && s.minLength > 0) {
      fixed.push(g('minLength-1', 'a'.repeat(s.minLength - 1)), g('minLength', 'A'.repeat(s.minLength)));
    }
    for (const bound of ['minimum', 'maximum'] as const) {
      if (typeof s[bound] !== 'number') continue;
      const n: number = s[bound];
      for (const v of [n - 1, n, n + 1]) fixed.push(g(`${v} (${bound} ${n})`, v), g(`"${v}" (${bound} ${n})`, String(v)));
    }
    if (Array.isArray(s.enum)) {
      for (const member of s.enum) {
        fixed.push(g(JSON.stringify(member), member));
        if (typeof member === 'string' && member !== '') {
          fixed.push(
            g(`${JSON.stringify(member)} upper-cased`, member.toUpperCase()),
            g(`${JSON.stringify(member)} + space`, `${member} `),
          );
        }
      }
    }
    if (typeof s.example !== 'undefined') fixed.push(g('the documented example', s.example));
    if (typeof s.pattern === 'string') {
      const pattern = new RegExp(s.pattern);
      out.push(fc.stringMatching(pattern, { size: 'small' }).map((v) => g(`${JSON.stringify(v)} (matches its pattern)`, v)));
    }
    if (typeof s.minItems === 'number' || typeof s.maxItems === 'number' || s.type === 'array') {
      const item = s.items ? sample(doc, s.items) : 'x';
      fixed.push(g('an empty array', []), g(`${(s.maxItems ?? 3) + 1} items`, Array((s.maxItems ?? 3) + 1).fill(item)));
      fixed.push(g('the same item twice', [item, item]), g('1,000 items', Array(1000).fill(item)));
    }
  }
  if (fixed.length > 0) out.push(fc.constantFrom(...fixed));
  return out;
}

/** Huge and deep: nesting past any parser's patience, a valid value wrapped in an array or an object. */
function structural(doc: OpenApiDocument, param: Param): fc.Arbitrary<Generated> {
  const valid = sample(doc, param.schema);
  return fc.oneof(
    fc.integer({ min: 3, max: 20_000 }).map((depth) => g(`an array nested ${depth} deep`, new Deep('array', depth))),
    fc.integer({ min: 3, max: 10_000 }).map((depth) => g(`an object nested ${depth} deep`, new Deep('object', depth))),
    fc.constant(g('the valid value inside an array', [valid])),
    fc.constant(g('the valid value inside an object', { value: valid })),
    fc.constant(g('1,000 keys', Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, 'v'])))),
    fc.constantFrom(...PROTOTYPE_OBJECTS),
  );
}

function randomStrings(): fc.Arbitrary<Generated> {
  return fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }).map((v) => g(`random ${JSON.stringify(v)}`, v)),
    fc.string({ unit: fc.constantFrom(...NASTY_UNITS), maxLength: 12 }).map((v) => g(`random ${JSON.stringify(v)}`, v)),
  );
}

/** Any value a client could put where the parameter goes. */
function valuesFor(doc: OpenApiDocument, param: Param): fc.Arbitrary<Generated> {
  return fc.oneof(
    fc.constantFrom(...WRONG_TYPES),
    fc.constantFrom(...NUMBERS),
    fc.constantFrom(...STRINGS),
    randomStrings(),
    structural(doc, param),
    ...schemaValues(doc, param),
  );
}

/** Strings only: what a path segment, a query value or a header can carry. */
function stringValuesFor(doc: OpenApiDocument, param: Param): fc.Arbitrary<Generated> {
  const strings = (arb: fc.Arbitrary<Generated>) => arb.filter((v) => typeof v.value === 'string');
  const values = fc.oneof(
    fc.constantFrom(...[...NUMBERS, ...STRINGS].filter((v) => typeof v.value === 'string')),
    randomStrings(),
    ...schemaValues(doc, param).map(strings),
  );
  // A path segment the URL parser resolves (".", "..") or a sibling route's name leads to another route.
  return param.in === 'path' ? values.filter((v) => !['', '.', '..', 'search'].includes(v.value as string)) : values;
}

/** A valid value of the schema, for filling what a nested mutation needs around it. */
export function sample(doc: OpenApiDocument, schema: Schema, name = ''): unknown {
  if (Object.hasOwn(SAMPLES, name)) return SAMPLES[name];
  const s = resolve(doc, schema);
  // A copy: the request built around it is changed in place, and the document's example must not be.
  if (s.example !== undefined) return structuredClone(s.example);
  if (Array.isArray(s.enum)) return s.enum[0];
  const branch = s.anyOf?.[0] ?? s.oneOf?.[0];
  if (branch && s.type === undefined) return sample(doc, branch, name);
  // A nullable type (`["object", "null"]`): a sample of what it is when it is not null.
  const type = Array.isArray(s.type) ? s.type.find((t: string) => t !== 'null') : s.type;
  switch (type) {
    case 'integer':
    case 'number':
      return s.minimum ?? 1;
    case 'boolean':
      return true;
    case 'array':
      return [sample(doc, s.items ?? {})];
    case 'object':
      return Object.fromEntries(
        (s.required ?? []).map((key: string) => [key, sample(doc, s.properties?.[key] ?? {}, name ? `${name}[${key}]` : key)]),
      );
    default: {
      // The first of a few common shapes that the string's pattern (or format) takes: hex ids, digits, a URL, an e-mail.
      const plain = 'a'.repeat(Math.max(s.minLength ?? 1, 1));
      const shapes = [
        plain,
        '1',
        `0x${'00'.repeat(32)}`,
        `0x${'11'.repeat(20)}`,
        `0x${'1b'.repeat(65)}`,
        'https://shop.example',
        'a@shop.example',
      ];
      return shapes.find((shape) => conforms(doc, s, shape)) ?? plain;
    }
  }
}

/** Where a generic sample would be refused by the deployment rather than the document. */
const SAMPLES: Record<string, unknown> = {
  'payment_method_options[crypto][network]': 'testnet',
  'payment_method_options[crypto][token]': 'usdc',
};

// --- the cases -----------------------------------------------------------------------------------

const UNKNOWN_NAMES = [
  'no_such_parameter',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'AMOUNT',
  'amount ',
  ' currency',
  'metadata.order_id',
  'x'.repeat(300),
  '💳',
  'a\u0000b',
  '',
];

const MAP_KEYS = [
  '',
  ' ',
  'k'.repeat(40),
  'k'.repeat(41),
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'a[b]',
  'a.b',
  'ключ',
  'a\u0000',
  '\ud800',
  '😀',
];

const CONTENT_TYPES: (string | null)[] = [
  null,
  'text/plain',
  'text/plain;charset=UTF-8',
  'multipart/form-data; boundary=fuzz',
  'application/xml',
  'application/json-patch+json',
  'application/vnd.api+json',
  'application/json, text/plain',
  'application/json; charset=iso-8859-1',
  'application/x-www-form-urlencoded; charset=utf-16',
  'Application/JSON',
  ' application/json ',
  'application/json;',
  'application/x-www-form-urlencoded; charset=utf-8',
  '*/*',
  '',
];

/** JSON bodies as clients mangle them; each is classified by parsing what is sent, as JSON.parse does. */
const JSON_TEXTS: { name: string; text: (json: string) => string }[] = [
  { name: 'no parameters: {}', text: () => '{}' },
  { name: 'no body at all', text: () => '' },
  { name: 'a JSON array', text: (j) => `[${j}]` },
  { name: 'a JSON string', text: () => '"amount=2000"' },
  { name: 'a JSON number', text: () => '2000' },
  { name: 'JSON null', text: () => 'null' },
  { name: 'JSON true', text: () => 'true' },
  { name: 'cut in half', text: (j) => j.slice(0, Math.floor(j.length / 2)) },
  { name: 'a trailing comma', text: (j) => (j === '{}' ? '{,}' : `${j.slice(0, -1)},}`) },
  { name: 'a comment', text: (j) => `/* fuzz */${j}` },
  { name: 'single quotes', text: (j) => j.replaceAll('"', "'") },
  { name: 'trailing garbage', text: (j) => `${j}x` },
  { name: 'two objects', text: (j) => `${j}${j}` },
  { name: 'NaN literal', text: (j) => (j === '{}' ? '{"x":NaN}' : `${j.slice(0, -1)},"x":NaN}`) },
  { name: 'padded with whitespace', text: (j) => `\n\t ${j} \r\n` },
  { name: 'padded past 64 KiB', text: (j) => `${j}${' '.repeat(66_000)}` },
];

/**
 * Form bodies as clients mangle them, with how the server's decoder reads each: as no parameters
 * at all, as the valid request, with an unknown parameter, or in a way the document does not settle.
 */
const FORM_TEXTS: { name: string; text: (form: string) => string; reads: 'nothing' | 'as-sent' | 'unknown-parameter' | 'undecided' }[] = [
  { name: 'no body at all', text: () => '', reads: 'nothing' },
  { name: '"&&&" (no parameters)', text: () => '&&&', reads: 'nothing' },
  { name: '"=1" (a nameless parameter only)', text: () => '=1', reads: 'nothing' },
  { name: 'a nameless parameter added', text: (f) => `${f}&=1`, reads: 'as-sent' },
  { name: 'empty pairs around it', text: (f) => `&&${f}&&`, reads: 'as-sent' },
  { name: 'semicolons for ampersands', text: (f) => f.replaceAll('&', ';'), reads: 'undecided' },
  { name: 'brackets four deep', text: (f) => `${f}&a[b][c][d]=1`, reads: 'unknown-parameter' },
  { name: '1,001 parameters', text: (f) => `${f}${'&p=1'.repeat(1001)}`, reads: 'unknown-parameter' },
  { name: 'a parameter without "="', text: (f) => `${f}&flag`, reads: 'unknown-parameter' },
  { name: '"__proto__[polluted]=yes"', text: (f) => `${f}&__proto__[polluted]=yes`, reads: 'undecided' },
  { name: '"constructor[prototype][polluted]=yes"', text: (f) => `${f}&constructor[prototype][polluted]=yes`, reads: 'unknown-parameter' },
  { name: 'a bad escape in a name', text: (f) => `${f}&%ZZ=1`, reads: 'unknown-parameter' },
];

const QUERY_TEXTS: { name: string; raw: string; valid: boolean }[] = [
  { name: '"%ZZ=1"', raw: '%ZZ=1', valid: false },
  { name: '"=1"', raw: '=1', valid: true },
  { name: '"&&"', raw: '&&', valid: true },
  { name: 'a name without a value', raw: 'flag', valid: false },
  { name: '"%00=1"', raw: '%00=1', valid: false },
  { name: '"__proto__[polluted]=yes"', raw: '__proto__[polluted]=yes', valid: false },
  { name: '"constructor=1"', raw: 'constructor=1', valid: false },
  { name: '"a[b][c][d]=1"', raw: 'a[b][c][d]=1', valid: false },
];

const RAW_VALUES = ['%', '%Z', '%ZZ', '%FF', '%C0%80', '%ED%A0%80', '%E2%82', '%00', '+', '%2B', 'a%26b%3Dc', '%25'];

const IDEMPOTENCY_KEYS: string[] = ['', ' ', 'k'.repeat(255), 'k'.repeat(256), 'k'.repeat(5000), 'a b', '\t', 'x'.repeat(100), '"quoted"'];

/** Printable ASCII: what a header value can carry without the runtime re-encoding it (it warns about anything else). */
const headerValue = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 });

export interface OperationCases {
  /** Every parameter. */
  params: Param[];
  /** Cases that mutate one thing, or the request as a whole: refusals, and whatever the document leaves open. */
  all: fc.Arbitrary<Case>;
  /** Sent first in every run: the request with no parameters at all, in each encoding and its degenerate forms. */
  examples: Case[];
  /** Only the refusals. */
  refusals: fc.Arbitrary<Case> | null;
  /** A card number in each free-text input. */
  cards: fc.Arbitrary<Case> | null;
}

/**
 * The arbitraries of one operation. `base` is its valid request (the fixture's): a case's kind is
 * decided against it, by the document alone.
 */
export function casesFor(
  doc: OpenApiDocument,
  op: Operation,
  base: ApiRequest,
  honoursIdempotencyKey: boolean,
  family: FamilyRules = {},
): OperationCases {
  const params = parametersOf(doc, op);
  const context: Context = { doc, op, base, honoursIdempotencyKey, ignoresUnknownParameters: family.ignoresUnknownParameters === true };
  const encoding = op.hasBody ? fc.constantFrom<Encoding>('json', 'form') : fc.constant<Encoding>('json');
  const idempotencyKey = op.method === 'POST' ? fc.boolean() : fc.constant(false);
  const mutations: fc.Arbitrary<Mutation>[] = [];

  for (const param of params) {
    if (param.in === 'body') {
      mutations.push(valuesFor(doc, param).map((value): Mutation => ({ kind: 'set', param, value })));
      mutations.push(fc.constant<Mutation>({ kind: 'remove', param }));
      mutations.push(fc.constantFrom(...RAW_VALUES).map((raw): Mutation => ({ kind: 'raw', param, raw })));
      mutations.push(valuesFor(doc, param).map((second): Mutation => ({ kind: 'duplicate', param, second })));
      if (param.mapValues) {
        const key = fc.oneof(fc.constantFrom(...MAP_KEYS), fc.string({ unit: 'binary', maxLength: 45 }));
        const entryValue = valuesFor(doc, { ...param, schema: param.mapValues });
        mutations.push(fc.tuple(key, entryValue).map(([k, value]): Mutation => ({ kind: 'entry', param, key: k, value })));
      }
      const nested = resolve(doc, param.schema);
      if (nested.properties && nested.additionalProperties === false) {
        mutations.push(
          unknownName.map((name): Mutation => ({ kind: 'unknown', in: 'body', path: [...param.path, name], value: g('"1"', '1') })),
        );
      }
    } else {
      mutations.push(stringValuesFor(doc, param).map((value): Mutation => ({ kind: 'set', param, value })));
      mutations.push(fc.constantFrom(...RAW_VALUES).map((raw): Mutation => ({ kind: 'raw', param, raw })));
      if (param.in === 'query') {
        mutations.push(fc.constant<Mutation>({ kind: 'remove', param }));
        mutations.push(stringValuesFor(doc, param).map((second): Mutation => ({ kind: 'duplicate', param, second })));
      }
    }
  }
  if (op.hasBody) {
    mutations.push(unknownName.map((name): Mutation => ({ kind: 'unknown', in: 'body', path: [name], value: g('"1"', '1') })));
    mutations.push(
      fc.constantFrom(...CONTENT_TYPES).map((value): Mutation => ({ kind: 'request', variant: { type: 'content-type', value } })),
    );
    mutations.push(fc.constant<Mutation>({ kind: 'request', variant: { type: 'multipart' } }));
    mutations.push(
      fc
        .constantFrom('bom', 'utf-16', 'invalid utf-8', 'overlong utf-8', 'surrogate utf-8', 'nul byte')
        .map((name): Mutation => ({ kind: 'request', variant: { type: 'bytes', name } as RequestVariant })),
    );
    mutations.push(fc.constantFrom(...JSON_TEXTS).map((t): Mutation => ({ kind: 'request', variant: { type: 'json-text', ...t } })));
    mutations.push(fc.constantFrom(...FORM_TEXTS).map((t): Mutation => ({ kind: 'request', variant: { type: 'form-text', ...t } })));
  }
  if (op.queryParams.length > 0 || op.method === 'GET') {
    mutations.push(unknownName.map((name): Mutation => ({ kind: 'unknown', in: 'query', path: [name], value: g('"1"', '1') })));
    mutations.push(fc.constantFrom(...QUERY_TEXTS).map((t): Mutation => ({ kind: 'request', variant: { type: 'query-text', ...t } })));
  }
  if (op.method === 'POST') {
    mutations.push(
      fc
        .oneof(fc.constantFrom(...IDEMPOTENCY_KEYS), headerValue)
        .map((value): Mutation => ({ kind: 'header', name: 'Idempotency-Key', value })),
    );
  }
  mutations.push(
    fc
      .constantFrom(
        { name: 'X-HTTP-Method-Override', value: 'DELETE' },
        { name: 'Stripe-Version', value: 'not-a-version' },
        { name: 'Accept', value: 'text/html' },
        { name: 'Accept-Encoding', value: 'gzip, br' },
        { name: 'Origin', value: 'https://evil.example' },
        { name: 'Cookie', value: '__proto__=x' },
      )
      .map((h): Mutation => ({ kind: 'request', variant: { type: 'header', ...h } })),
  );

  const build = (mutationArb: fc.Arbitrary<Mutation>) =>
    fc.tuple(mutationArb, encoding, idempotencyKey).map(([mutation, enc, key]) => makeCase(context, mutation, enc, key));
  const all = build(fc.oneof(...mutations));

  const textParams = params.filter((p) => acceptsText(doc, p));
  const cardMutations: fc.Arbitrary<Mutation>[] = textParams.map((param) =>
    writtenPan.map((w): Mutation => ({ kind: 'card', param, text: w.text, digits: w.digits, form: w.form })),
  );
  for (const param of params.filter((p) => p.mapValues)) {
    cardMutations.push(
      fc.tuple(writtenPan, fc.boolean()).map(
        ([w, asKey]): Mutation => ({
          kind: 'card',
          param,
          // A metadata key holds at most 40 characters: a longer form is sent as the bare digits, so the key still holds the whole number.
          key: asKey ? (w.text.length <= 40 ? w.text : w.digits) : 'note',
          text: asKey ? 'x' : w.text,
          digits: w.digits,
          form: `${w.form}, as a metadata ${asKey ? 'key' : 'value'}`,
        }),
      ),
    );
  }
  if (honoursIdempotencyKey) {
    cardMutations.push(
      writtenPan.map((w): Mutation => ({ kind: 'card', param: IDEMPOTENCY_PARAM, text: w.text, digits: w.digits, form: w.form })),
    );
  }

  const examples = op.hasBody
    ? [
        ...JSON_TEXTS.filter((t) => t.name.startsWith('no ')).map((t) => ({
          variant: { type: 'json-text' as const, ...t },
          encoding: 'json' as const,
        })),
        ...FORM_TEXTS.filter((t) => t.reads === 'nothing').map((t) => ({
          variant: { type: 'form-text' as const, ...t },
          encoding: 'form' as const,
        })),
      ].map(({ variant, encoding: enc }) => makeCase(context, { kind: 'request', variant }, enc, false))
    : [];

  return {
    params,
    examples,
    all,
    // Operations without parameters or a body have nothing the document refuses (filtering for one would never end).
    refusals: fc.sample(all, { numRuns: 300, seed: 0 }).some((c) => c.kind === 'refuse') ? all.filter((c) => c.kind === 'refuse') : null,
    cards: cardMutations.length > 0 ? build(fc.oneof(...cardMutations)) : null,
  };
}

const unknownName = fc.oneof(
  fc.constantFrom(...UNKNOWN_NAMES),
  fc.stringMatching(/^[a-z][a-z0-9_]{0,20}$/).map((name) => `x_${name}`),
);

const IDEMPOTENCY_PARAM: Param = {
  in: 'header',
  name: 'Idempotency-Key',
  path: ['Idempotency-Key'],
  schema: { type: 'string' },
  required: false,
};

/**
 * A string parameter that is neither one of a fixed set of words nor a number spelled as a string:
 * where a person could type a card number.
 */
function acceptsText(doc: OpenApiDocument, param: Param): boolean {
  const bs = branches(doc, param.schema);
  if (bs.some((b) => b.type === 'integer' || b.type === 'number')) return false;
  return bs.some((b) => b.type === 'string' && !Array.isArray(b.enum)) || (bs.length === 1 && bs[0]!.type === undefined && !bs[0]!.enum);
}

// --- what the document makes of a case ------------------------------------------------------------

interface Context {
  doc: OpenApiDocument;
  op: Operation;
  base: ApiRequest;
  /**
   * Whether the operation honours an Idempotency-Key. The document declares no header parameters,
   * so the README's rule applies where it does: a key is 1 to 255 characters.
   */
  honoursIdempotencyKey: boolean;
  /** Parameters the document does not name are ignored, not refused (FamilyRules). */
  ignoresUnknownParameters: boolean;
}

/** What a family decides that its document cannot say. */
export interface FamilyRules {
  /**
   * Undocumented parameters (query names, form keys) are ignored, as a Django REST framework API
   * ignores them; by default they are refused by name, as Stripe refuses them.
   */
  ignoresUnknownParameters?: boolean;
}

/** The request as the server reads it, before encoding: each possible reading of an ambiguous wire. */
interface Reading {
  path: Record<string, unknown>;
  query: Record<string, unknown>;
  body: Record<string, unknown> | undefined;
}

/** A value the form encoding cannot carry unambiguously (the server may read it several ways). */
const UNDECIDABLE = Symbol('undecidable');

function makeCase(context: Context, mutation: Mutation, chosen: Encoding, idempotencyKey: boolean): Case {
  const { label, param } = describe(mutation);
  // A mangled JSON or form text is sent in its own encoding.
  const variant = mutation.kind === 'request' ? mutation.variant.type : undefined;
  const encoding = variant === 'json-text' ? 'json' : variant === 'form-text' ? 'form' : chosen;
  if (mutation.kind === 'card') {
    return new Case(label, 'card', encoding, param, mutation, idempotencyKey, { digits: mutation.digits, text: mutation.text });
  }
  return new Case(label, classify(context, mutation, encoding), encoding, param, mutation, idempotencyKey);
}

function describe(m: Mutation): { label: string; param: string | null } {
  switch (m.kind) {
    case 'set':
      return { label: `${m.param.in} ${m.param.name} ← ${m.value.label}`, param: m.param.name };
    case 'remove':
      return { label: `${m.param.in} ${m.param.name} left out`, param: m.param.name };
    case 'raw':
      return { label: `${m.param.in} ${m.param.name} ← raw ${JSON.stringify(m.raw)} on the wire`, param: m.param.name };
    case 'duplicate':
      return { label: `${m.param.in} ${m.param.name} sent twice, then ← ${m.second.label}`, param: m.param.name };
    case 'unknown':
      return { label: `unknown ${m.in} parameter ${JSON.stringify(stripeName(m.path))}`, param: stripeName(m.path) };
    case 'entry': {
      const name = stripeName([...m.param.path, m.key]);
      return { label: `${m.param.in} entry ${JSON.stringify(name)} ← ${m.value.label}`, param: name };
    }
    case 'header':
      return {
        label: `header ${m.name}: ${JSON.stringify(m.value.length > 40 ? `${m.value.slice(0, 40)}… (${m.value.length})` : m.value)}`,
        param: m.name,
      };
    case 'card': {
      const name = m.key === undefined ? m.param.name : stripeName([...m.param.path, m.key]);
      return { label: `${m.param.in} ${name} ← card number ${m.digits} (${m.form})`, param: name };
    }
    case 'request':
      return { label: requestLabel(m.variant), param: null };
  }
}

function requestLabel(v: RequestVariant): string {
  switch (v.type) {
    case 'content-type':
      return v.value === null ? 'no Content-Type' : `Content-Type ${JSON.stringify(v.value)}`;
    case 'multipart':
      return 'the parameters as multipart/form-data';
    case 'bytes':
      return `body bytes: ${v.name}`;
    case 'json-text':
      return `JSON body: ${v.name}`;
    case 'form-text':
      return `form body: ${v.name}`;
    case 'query-text':
      return `query: ${v.name}`;
    case 'header':
      return `header ${v.name}: ${v.value}`;
  }
}

function classify(context: Context, m: Mutation, encoding: Encoding): Kind {
  if (m.kind === 'request') return classifyRequest(context, m.variant, encoding);
  if (m.kind === 'header') {
    const length = m.value.trim().length;
    return context.honoursIdempotencyKey && (length === 0 || length > 255) ? 'refuse' : 'any';
  }
  const readings = readingsOf(context, m, encoding);
  return readings.length > 0 && readings.every((r) => r !== UNDECIDABLE && !conformsRequest(context, r)) ? 'refuse' : 'any';
}

function classifyRequest(context: Context, v: RequestVariant, encoding: Encoding): Kind {
  const bodyText = encodeBody(context.base.body ?? {}, encoding);
  switch (v.type) {
    case 'content-type': {
      if (bodyText.trim() === '') return 'any';
      const media = (v.value ?? '').split(';')[0]!.trim().toLowerCase();
      return media === (encoding === 'json' ? 'application/json' : 'application/x-www-form-urlencoded') ? 'any' : 'refuse';
    }
    case 'multipart':
      // Refused unless the operation lists it (Paytree's create does); never empty (the closing boundary).
      return context.op.spec.requestBody?.content['multipart/form-data'] ? 'any' : 'refuse';
    case 'bytes':
      // A NUL byte is only ever wrong in JSON (in a form it is one more character of a value).
      return v.name === 'bom' || (v.name === 'nul byte' && encoding === 'form') ? 'any' : 'refuse';
    case 'json-text': {
      if (encoding !== 'json') return 'any';
      const text = v.text(bodyText);
      const nothing: Reading = { path: context.base.path, query: context.base.query, body: {} };
      // No body is no parameters (the document's requestBody.required decides through the schema's required list).
      if (text.trim() === '') return conformsRequest(context, nothing) && !context.op.bodyRequired ? 'any' : 'refuse';
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return 'refuse';
      }
      if (!isObject(parsed)) return 'refuse';
      return conformsRequest(context, { path: context.base.path, query: context.base.query, body: parsed }) ? 'any' : 'refuse';
    }
    case 'form-text': {
      if (encoding !== 'form' || v.reads === 'undecided' || v.reads === 'as-sent') return 'any';
      if (v.reads === 'unknown-parameter') return context.ignoresUnknownParameters ? 'any' : 'refuse';
      const reading: Reading = { path: context.base.path, query: context.base.query, body: {} };
      return conformsRequest(context, reading) && !context.op.bodyRequired ? 'any' : 'refuse';
    }
    case 'query-text':
      return !v.valid && context.op.queryParams.length > 0 && !context.ignoresUnknownParameters ? 'refuse' : 'any';
    case 'header':
      return 'any';
  }
}

/** Is the request, as read, valid by the document? */
function conformsRequest(context: Context, r: Reading): boolean {
  const { doc, op } = context;
  for (const p of op.pathParams) if (!conforms(doc, p.schema ?? {}, r.path[p.name])) return false;
  const documented = new Map(op.queryParams.map((p) => [p.name, p]));
  for (const [name, value] of Object.entries(r.query)) {
    const p = documented.get(name);
    // Undocumented query parameters are refused by name where the operation documents any (Stripe's parameter_unknown).
    if (!p) {
      if (op.queryParams.length > 0 && !context.ignoresUnknownParameters) return false;
      continue;
    }
    if (!conforms(doc, p.schema ?? {}, value)) return false;
  }
  for (const p of op.queryParams) if (p.required && !Object.hasOwn(r.query, p.name)) return false;
  const schema = bodySchema(op);
  if (schema) return conforms(doc, schema, r.body ?? {});
  return true;
}

/** The possible readings of the mutated request (one, unless the wire is ambiguous). */
function readingsOf(context: Context, m: Mutation, encoding: Encoding): (Reading | typeof UNDECIDABLE)[] {
  const { base } = context;
  const start = (): Reading => ({ path: { ...base.path }, query: { ...base.query }, body: structuredClone(base.body ?? {}) as any });
  const views = (value: unknown, where: Param['in'] | 'body'): unknown[] => {
    if (where === 'body') return encoding === 'json' ? [jsonView(value)] : formViews(value);
    return stringViews(String(value));
  };

  switch (m.kind) {
    case 'set':
      return views(m.value.value, m.param.in).map((v) => {
        if (v === UNDECIDABLE) return UNDECIDABLE;
        const r = start();
        place(context, r, m.param, v);
        return r;
      });
    case 'remove': {
      const r = start();
      if (m.param.in === 'body') removeAt(r.body!, m.param.path);
      else delete r.query[m.param.name];
      return [r];
    }
    case 'raw':
      return (m.param.in === 'body' && encoding === 'json' ? [m.raw] : rawViews(m.raw)).map((v) => {
        const r = start();
        place(context, r, m.param, v);
        return r;
      });
    case 'duplicate': {
      if (m.param.in === 'body' && encoding === 'json') return [UNDECIDABLE]; // last one wins, or the parser refuses
      const first = m.param.in === 'body' ? valueAt(start().body, m.param.path) : base.query[m.param.name];
      if (first === undefined) return [UNDECIDABLE];
      return views(m.second.value, m.param.in).map((v) => {
        if (v === UNDECIDABLE || typeof first !== 'string' || typeof v !== 'string') return UNDECIDABLE;
        const r = start();
        place(context, r, m.param, [first, v]);
        return r;
      });
    }
    case 'unknown': {
      const name = m.path.at(-1)!;
      if (name === '' || (encoding === 'form' && m.in === 'body' && /[[\]]|^__proto__$/.test(name))) return [UNDECIDABLE];
      const r = start();
      if (m.in === 'query') r.query[name] = '1';
      else setAt(r.body!, m.path, '1');
      return [r];
    }
    case 'entry': {
      if (encoding === 'form' && (m.key === '' || /[[\]]|^__proto__$/.test(m.key))) return [UNDECIDABLE];
      return views(m.value.value, 'body').map((v) => {
        if (v === UNDECIDABLE) return UNDECIDABLE;
        const r = start();
        const map = valueAt(r.body, m.param.path);
        setAt(r.body!, m.param.path, { ...(isObject(map) ? map : {}) });
        const holder = valueAt(r.body, m.param.path) as Record<string, unknown>;
        Object.defineProperty(holder, m.key, { value: v, enumerable: true, writable: true, configurable: true });
        return r;
      });
    }
    default:
      return [UNDECIDABLE];
  }
}

/** Sets a parameter in a reading, filling the objects around a nested one with valid samples. */
function place(context: Context, r: Reading, param: Param, value: unknown): void {
  if (param.in === 'path') r.path[param.name] = value;
  else if (param.in === 'query') r.query[param.name] = value;
  else {
    fillAncestors(context, r.body!, param.path);
    setAt(r.body!, param.path, value);
  }
}

/** A nested parameter needs its parents, with their other required fields valid. */
export function fillAncestors(context: Pick<Context, 'doc' | 'op'>, body: Record<string, unknown>, path: string[]): void {
  let schema = resolve(context.doc, bodySchema(context.op) ?? {});
  let holder: Record<string, unknown> = body;
  for (let i = 0; i < path.length - 1; i += 1) {
    const key = path[i]!;
    const child = schema.properties?.[key] ?? {};
    if (!isObject(holder[key])) holder[key] = sample(context.doc, child, stripeName(path.slice(0, i + 1)));
    holder = holder[key] as Record<string, unknown>;
    schema = resolve(context.doc, child);
    const objectBranch = [schema, ...(schema.anyOf ?? []).map((b: Schema) => resolve(context.doc, b))].find((b: Schema) => b.properties);
    if (objectBranch) schema = objectBranch;
  }
}

export function setAt(body: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let holder = body;
  for (const key of path.slice(0, -1)) {
    if (!isObject(holder[key])) holder[key] = {};
    holder = holder[key] as Record<string, unknown>;
  }
  Object.defineProperty(holder, path.at(-1)!, { value, enumerable: true, writable: true, configurable: true });
}

export function removeAt(body: Record<string, unknown>, path: readonly string[]): void {
  const holder = valueAt(body, path.slice(0, -1));
  if (isObject(holder)) delete holder[path.at(-1)!];
}

export function valueAt(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

/** What JSON carries of a value: NaN becomes null, -0 becomes 0, and deep values their stand-in. */
function jsonView(value: unknown): unknown {
  if (value instanceof Deep) return value.standIn();
  return JSON.parse(JSON.stringify(value, (_k, v) => (v instanceof Deep ? v.standIn() : v)) ?? 'null');
}

/**
 * What form encoding carries of a value, as the server's decoder reads it: strings everywhere, null
 * as "", empty arrays and objects as nothing; what it cannot carry unambiguously is UNDECIDABLE.
 */
function formViews(value: unknown): unknown[] {
  if (typeof value === 'string') return stringViews(value);
  const view = formView(value);
  return [view];
}

function formView(value: unknown): unknown {
  if (value instanceof Deep) return value.standIn();
  if (value === null) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return hasLoneSurrogate(value) ? UNDECIDABLE : value;
  if (Array.isArray(value)) {
    if (value.length === 0 || value.length > 100) return UNDECIDABLE;
    const items = value.map(formView);
    return items.includes(UNDECIDABLE) ? UNDECIDABLE : items;
  }
  if (isObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 0 || keys.some((k) => k === '' || /[[\]]/.test(k) || k === '__proto__')) return UNDECIDABLE;
    const entries = keys.map((k) => [k, formView(value[k])] as const);
    return entries.some(([, v]) => v === UNDECIDABLE) ? UNDECIDABLE : Object.fromEntries(entries);
  }
  return UNDECIDABLE;
}

/** A string read as sent, and — when it has a lone surrogate — as its raw escapes (a decoder's fallback). */
function stringViews(value: string): unknown[] {
  return hasLoneSurrogate(value) ? [value, percentEncode(value)] : [value];
}

/** A raw wire value read as is, or decoded when it can be. */
function rawViews(raw: string): string[] {
  try {
    return [raw, decodeURIComponent(raw.replaceAll('+', ' '))];
  } catch {
    return [raw];
  }
}

export function hasLoneSurrogate(value: string): boolean {
  return /\p{Surrogate}/u.test(value.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''));
}

// --- encoding -------------------------------------------------------------------------------------

/** Percent-encodes a string's UTF-8 (lone surrogates as the three bytes a careless encoder writes). */
export function percentEncode(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i += 1) {
    const unit = value.charCodeAt(i);
    const ch = value[i]!;
    if (/[A-Za-z0-9\-_.!~*'()]/.test(ch)) {
      out += ch;
      continue;
    }
    let codePoint = unit;
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        codePoint = 0x10000 + ((unit - 0xd800) << 10) + (next - 0xdc00);
        i += 1;
      }
    }
    for (const byte of utf8Bytes(codePoint)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function utf8Bytes(cp: number): number[] {
  if (cp < 0x80) return [cp];
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 63)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
}

/** JSON text of a body; deep values are written out directly. */
export function jsonText(body: unknown): string {
  const deep: Deep[] = [];
  const text = JSON.stringify(body, (_k, v) => {
    if (!(v instanceof Deep)) return v;
    deep.push(v);
    return `\u0000deep${deep.length - 1}`;
  });
  return deep.reduce((out, d, i) => {
    const nested =
      d.shape === 'array' ? `${'['.repeat(d.depth)}${']'.repeat(d.depth)}` : `${'{"a":'.repeat(d.depth)}1${'}'.repeat(d.depth)}`;
    return out.replace(`"\\u0000deep${i}"`, nested);
  }, text ?? '');
}

/** Form pairs of a body, Stripe's way: `a[b]=c`, arrays by index, null as "". */
export function formPairs(body: unknown, prefix = ''): [string, string][] {
  if (body instanceof Deep) {
    const key = body.shape === 'array' ? '[0]'.repeat(body.depth) : '[a]'.repeat(body.depth);
    return [[`${prefix}${key}`, '1']];
  }
  if (Array.isArray(body)) return body.flatMap((item, i) => formPairs(item, `${prefix}[${i}]`));
  if (isObject(body)) {
    return Object.keys(body).flatMap((k) => formPairs(body[k], prefix === '' ? percentEncode(k) : `${prefix}[${percentEncode(k)}]`));
  }
  if (prefix === '') return [];
  return [[prefix, body === null || body === undefined ? '' : percentEncode(String(body))]];
}

export function formText(body: unknown): string {
  return formPairs(body)
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

export function encodeBody(body: unknown, encoding: Encoding): string {
  return encoding === 'json' ? jsonText(body) : formText(body);
}

// --- the request on the wire ------------------------------------------------------------------------

const BASE_URL = 'http://pay.test';
const MEDIA_TYPES: Record<Encoding, string> = { json: 'application/json', form: 'application/x-www-form-urlencoded' };

/**
 * The case's request against the valid request `base` (which may be a newer fixture than the one
 * the case was classified against: only ids differ). `headers` carries the credentials.
 */
export function buildRequest(context: Pick<Context, 'doc' | 'op'>, base: ApiRequest, c: Case, headers: Record<string, string>): Request {
  const { op } = context;
  const m = c.mutation;
  const path: Record<string, string> = { ...base.path };
  const rawPath: Record<string, string> = {};
  let query: [string, string][] = Object.entries(base.query);
  const rawQuery: string[] = [];
  const body = structuredClone(base.body ?? {}) as Record<string, unknown>;
  const formExtra: string[] = [];
  let jsonPrefix = '';
  const sent = new Headers(headers);
  const setParam = (param: Param, value: unknown) => {
    if (param.in === 'path') path[param.name] = String(value);
    else if (param.in === 'query') query = [...query.filter(([k]) => k !== param.name), [param.name, String(value)]];
    else if (param.in === 'header') sent.set(param.name, String(value));
    else {
      fillAncestors(context, body, param.path);
      setAt(body, param.path, value);
    }
  };

  switch (m.kind) {
    case 'set':
      setParam(m.param, m.value.value);
      break;
    case 'remove':
      if (m.param.in === 'body') removeAt(body, m.param.path);
      else query = query.filter(([k]) => k !== m.param.name);
      break;
    case 'raw':
      if (m.param.in === 'path') rawPath[m.param.name] = m.raw;
      else if (m.param.in === 'query') {
        query = query.filter(([k]) => k !== m.param.name);
        rawQuery.push(`${percentEncode(m.param.name)}=${m.raw}`);
      } else if (c.encoding === 'json') setParam(m.param, m.raw);
      else {
        fillAncestors(context, body, m.param.path);
        removeAt(body, m.param.path);
        formExtra.push(`${formKey(m.param.path)}=${m.raw}`);
      }
      break;
    case 'duplicate':
      if (m.param.in === 'query') {
        if (!query.some(([k]) => k === m.param.name)) query.push([m.param.name, 'a']);
        query.push([m.param.name, String(m.second.value)]);
      } else if (c.encoding === 'form') {
        if (valueAt(body, m.param.path) === undefined) setParam(m.param, sample(context.doc, m.param.schema, m.param.name));
        formExtra.push(...formPairs(m.second.value, formKey(m.param.path)).map(([k, v]) => `${k}=${v}`));
      } else {
        // JSON: the same top-level key twice, the first time holding the second value.
        if (valueAt(body, m.param.path) === undefined) setParam(m.param, sample(context.doc, m.param.schema, m.param.name));
        const top = m.param.path[0]!;
        const first = structuredClone({ [top]: body[top] }) as Record<string, unknown>;
        setAt(first, m.param.path, m.second.value);
        jsonPrefix = `${JSON.stringify(top)}:${jsonText(first[top])},`;
      }
      break;
    case 'unknown':
      if (m.in === 'query') query.push([m.path.at(-1)!, '1']);
      else {
        fillAncestors(context, body, m.path);
        setAt(body, m.path, m.value.value);
      }
      break;
    case 'entry': {
      fillAncestors(context, body, [...m.param.path, m.key]);
      if (!isObject(valueAt(body, m.param.path))) setAt(body, m.param.path, {});
      setAt(body, [...m.param.path, m.key], m.value.value);
      break;
    }
    case 'header':
      sent.set(m.name, m.value);
      break;
    case 'card':
      if (m.key !== undefined) {
        fillAncestors(context, body, [...m.param.path, m.key]);
        if (!isObject(valueAt(body, m.param.path))) setAt(body, m.param.path, {});
        setAt(body, [...m.param.path, m.key], m.text);
      } else setParam(m.param, m.text);
      break;
    case 'request':
      if (m.variant.type === 'query-text') rawQuery.push(m.variant.raw);
      if (m.variant.type === 'header') sent.set(m.variant.name, m.variant.value);
      break;
  }

  const url = op.path.replace(/\{(\w+)\}/g, (_, name: string) => rawPath[name] ?? percentEncode(path[name] ?? ''));
  const search = [...query.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`), ...rawQuery].join('&');
  const init: RequestInit = { method: op.method, headers: sent };
  if (op.hasBody) {
    let text = c.encoding === 'json' ? jsonText(body) : [formText(body), ...formExtra].filter((part) => part !== '').join('&');
    if (jsonPrefix) text = text === '{}' ? `{${jsonPrefix.slice(0, -1)}}` : `{${jsonPrefix}${text.slice(1)}`;
    let contentType: string | null = MEDIA_TYPES[c.encoding];
    if (m.kind === 'request') {
      const v = m.variant;
      if (v.type === 'content-type') contentType = v.value;
      if (v.type === 'multipart') {
        contentType = 'multipart/form-data; boundary=fuzz';
        text = multipart(formPairs(body));
      }
      if (v.type === 'json-text' && c.encoding === 'json') text = v.text(text);
      if (v.type === 'form-text' && c.encoding === 'form') text = v.text(formText(body));
    }
    let bytes = new TextEncoder().encode(text);
    if (m.kind === 'request' && m.variant.type === 'bytes') bytes = mangle(bytes, text, m.variant.name);
    if (contentType !== null) sent.set('Content-Type', contentType);
    init.body = bytes;
  }
  return new Request(`${BASE_URL}${url}${search ? `?${search}` : ''}`, init);
}

/** A body parameter's name as a form key: each segment percent-encoded, brackets as they are. */
function formKey(path: readonly string[]): string {
  const [head, ...rest] = path.map(percentEncode);
  return (head ?? '') + rest.map((p) => `[${p}]`).join('');
}

/** The form pairs as multipart/form-data parts (names and values decoded), as a browser's FormData sends them. */
function multipart(pairs: [string, string][]): string {
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      return text;
    }
  };
  const parts = pairs.map(([k, v]) => `--fuzz\r\nContent-Disposition: form-data; name="${decode(k)}"\r\n\r\n${decode(v)}\r\n`);
  return `${parts.join('')}--fuzz--\r\n`;
}

function mangle(bytes: Uint8Array, text: string, name: string): Uint8Array {
  const middle = Math.floor(bytes.length / 2);
  const insert = (extra: number[]) => new Uint8Array([...bytes.slice(0, middle), ...extra, ...bytes.slice(middle)]);
  switch (name) {
    case 'bom':
      return new Uint8Array([0xef, 0xbb, 0xbf, ...bytes]);
    case 'utf-16': {
      const out = [0xff, 0xfe];
      for (let i = 0; i < text.length; i += 1) out.push(text.charCodeAt(i) & 0xff, text.charCodeAt(i) >> 8);
      return new Uint8Array(out);
    }
    case 'invalid utf-8':
      return insert([0xff]);
    case 'overlong utf-8':
      return insert([0xc0, 0xaf]);
    case 'surrogate utf-8':
      return insert([0xed, 0xa0, 0x80]);
    default:
      return insert([0x00]);
  }
}
