/**
 * Card numbers are refused in every input, not only in `payment_method` (issue 10, defect 5).
 *
 * The table is read from the app's own OpenAPI document: every operation, and in it every free-text
 * place a client can put a value in — each path parameter, each text query parameter, each text body
 * property (nested ones, metadata values and metadata keys included) and, on every POST, the
 * Idempotency-Key header. A new operation or parameter is covered without anyone listing it. Each
 * place gets a card number in several shapes, written (where the place's documented schema allows)
 * as a value that is otherwise valid there, so that without the refusal it would be accepted and
 * stored. Each must be answered 400 parameter_invalid naming the place and saying why, without
 * echoing the number or a piece of it, and leave nothing behind: the merchant's objects unchanged, no
 * card number in any row of D1, in the intent's own SQLite, in a log line or in a webhook delivery.
 * Then the other side: values that are not card numbers pass.
 */
import { createExecutionContext, env, runInDurableObject, waitOnExecutionContext } from 'cloudflare:test';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import worker from '../../src/index.js';
import { logError } from '../../src/lib/log.js';
import { randomXpub } from '../chain/local-chain-client.js';
import { expectErrorLogs } from '../expected-logs.js';
import {
  ADMIN_TOKEN,
  type ClientRequestInit,
  call as callThroughRuntime,
  clientRequest,
  type TestMerchant,
  waitFor,
  SHARDS,
} from '../helpers.js';
import { openMailbox, type TestMailbox } from '../webhooks/receiver-client.js';
import { expectError } from './validation-support.js';

// --- requests, straight to the worker's fetch handler (see every-route-auth.test.ts for why) --------

async function call(path: string, init: ClientRequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(clientRequest(path, init), env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

async function ok(path: string, init: ClientRequestInit = {}): Promise<any> {
  const res = await call(path, init);
  const text = await res.text();
  expect(res.status, `${init.method ?? 'GET'} ${path}: ${text}`).toBeLessThan(300);
  return JSON.parse(text);
}

// --- card numbers, and how to tell a trace of one ----------------------------------------------------

/** A card number's shapes: as typed, in groups, inside other text. */
const SHAPES: [shape: string, text: string, digits: string][] = [
  ['plain', '4242424242424242', '4242424242424242'],
  ['spaced in fours', '5555 5555 5555 4444', '5555555555554444'],
  ['dashed 4-6-5', '3782-822463-10005', '378282246310005'],
  ['in a sentence', 'pay with 6011 1111 1111 1117 pls', '6011111111111117'],
  ['after an id prefix', 'pm_4000056655665556', '4000056655665556'],
];
const ALL_DIGITS = SHAPES.map(([, , digits]) => digits);

/** The text with spaces and dashes taken out, so that a number is found however it is grouped. */
const compact = (text: string) => text.replace(/[\s-]/g, '');

/** Whether the text holds one of the card numbers, in any grouping. */
function holdsCardNumber(text: string): boolean {
  const flat = compact(text);
  return ALL_DIGITS.some((digits) => flat.includes(digits));
}

/** Whether the text holds six or more consecutive digits of the number (a BIN, or more). */
function holdsPartOf(text: string, digits: string): boolean {
  const flat = compact(text);
  for (let i = 0; i + 6 <= digits.length; i++) if (flat.includes(digits.slice(i, i + 6))) return true;
  return false;
}

// --- everything the app writes: logs, D1, the intent's SQLite, deliveries ----------------------------

const logged: string[] = [];
const consoleSpies: { mockRestore(): void }[] = [];

function captureConsole(): void {
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[method].bind(console);
    consoleSpies.push(
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        logged.push(
          args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? `${a.message} ${a.stack}` : JSON.stringify(a))).join(' '),
        );
        original(...args);
      }),
    );
  }
}

/** Every text cell of every table of every D1 database (the directory and each shard) that holds a card number, as `database.table: value`. */
async function cardNumbersInD1(): Promise<string[]> {
  const found: string[] = [];
  for (const [binding, d1] of Object.entries({ DIRECTORY: env.DIRECTORY, ...SHARDS })) {
    const tables = await d1
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name != 'd1_migrations'",
      )
      .all<{ name: string }>();
    for (const { name } of tables.results) {
      const rows = await d1.prepare(`SELECT * FROM "${name}"`).all<Record<string, unknown>>();
      for (const row of rows.results) {
        for (const value of Object.values(row)) {
          if (typeof value === 'string' && holdsCardNumber(value)) found.push(`${binding}.${name}: ${value}`);
        }
      }
    }
  }
  return found;
}

/** Every text cell of the intent's own SQLite (its Durable Object) that holds a card number. */
async function cardNumbersInIntentObject(id: string): Promise<string[]> {
  const found: string[] = [];
  await runInDurableObject(env.INTENTS.get(env.INTENTS.idFromName(id)), async (_instance, state) => {
    const tables = state.storage.sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'")
      .toArray();
    for (const { name } of tables) {
      for (const row of state.storage.sql.exec(`SELECT * FROM "${name}"`).toArray()) {
        for (const value of Object.values(row)) if (typeof value === 'string' && holdsCardNumber(value)) found.push(`${name}: ${value}`);
      }
    }
  });
  return found;
}

// --- the operations and their free-text places, as the document describes them ---------------------

interface JsonSchema {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  example?: unknown;
}

interface DocOperation {
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean; schema?: JsonSchema }[];
  requestBody?: { content: Record<string, { schema: JsonSchema; example?: unknown }> };
}

interface Operation {
  name: string;
  method: string;
  path: string;
  security: string[];
  query: Record<string, string>;
  body?: Record<string, unknown>;
}

/** A place a value can be put in, with the parameter name the refusal must give. */
interface Place {
  in: 'path' | 'query' | 'body' | 'body key' | 'header';
  /** Path parameter, query parameter or header name; for the body, the path into it. */
  at: string[];
  param: string | null;
  /** What the document says a valid value looks like. */
  schema: JsonSchema;
}

const doc = (await (await callThroughRuntime('/openapi.json')).json()) as {
  paths: Record<string, Record<string, DocOperation>>;
  components: { schemas: Record<string, JsonSchema> };
};

function resolve(schema: JsonSchema): JsonSchema {
  return schema.$ref ? resolve(doc.components.schemas[schema.$ref.split('/').at(-1)!]!) : schema;
}

const bracketed = (path: string[]) =>
  path[0]! +
  path
    .slice(1)
    .map((p) => `[${p}]`)
    .join('');

/** The free-text places of a body schema: text properties, however deep, and metadata keys and values. */
function bodyPlaces(schema: JsonSchema, path: string[]): Place[] {
  const branches = (schema.anyOf ?? schema.oneOf ?? [schema]).map(resolve);
  // A number that may come as a digit string (an amount in a token's base units) is not text.
  if (branches.some((b) => b.type === 'number' || b.type === 'integer')) return [];
  const object = branches.find((b) => b.type === 'object');
  if (object) {
    const places = Object.entries(object.properties ?? {}).flatMap(([name, property]) => bodyPlaces(resolve(property), [...path, name]));
    if (typeof object.additionalProperties === 'object') {
      places.push(...bodyPlaces(resolve(object.additionalProperties), [...path, 'note']));
      // Metadata keys: the document does not bound them; the API takes up to 40 characters.
      places.push({
        in: 'body key',
        at: path,
        param: path.length ? bracketed(path) : null,
        schema: object.propertyNames ?? { maxLength: 40 },
      });
    }
    return places;
  }
  const text = branches.find((b) => b.type === 'string' && !b.enum);
  return text ? [{ in: 'body', at: path, param: bracketed(path), schema: text }] : [];
}

function placesOf(op: Operation, spec: DocOperation): Place[] {
  const places: Place[] = [];
  for (const p of spec.parameters ?? []) {
    const schema = resolve(p.schema ?? {});
    if (p.in === 'path') places.push({ in: 'path', at: [p.name], param: p.name, schema });
    else if (p.in === 'query' && schema.type === 'string' && !schema.enum)
      places.push({ in: 'query', at: [p.name], param: p.name, schema });
  }
  const body = spec.requestBody?.content['application/json'];
  if (body) places.push(...bodyPlaces(resolve(body.schema), []));
  if (op.method === 'POST') places.push({ in: 'header', at: ['Idempotency-Key'], param: 'Idempotency-Key', schema: { maxLength: 255 } });
  return places;
}

const OPERATIONS: [Operation, Place[]][] = Object.entries(doc.paths).flatMap(([path, operations]) =>
  Object.entries(operations).map(([method, spec]): [Operation, Place[]] => {
    const query: Record<string, string> = {};
    for (const p of spec.parameters ?? []) if (p.in === 'query' && p.required) query[p.name] = String(p.schema?.example);
    const op: Operation = {
      name: `${method.toUpperCase()} ${path}`,
      method: method.toUpperCase(),
      path,
      security: (spec.security ?? []).flatMap((s) => Object.keys(s)),
      query,
      body: spec.requestBody?.content['application/json']?.example as Record<string, unknown> | undefined,
    };
    return [op, placesOf(op, spec)];
  }),
);

/** Whether a value is what the place's documented schema accepts, so that only the card number can be wrong with it. */
function fits(schema: JsonSchema, value: string): boolean {
  if (schema.enum && !schema.enum.includes(value)) return false;
  if (schema.pattern && !new RegExp(schema.pattern).test(value)) return false;
  if (schema.minLength !== undefined && value.length < schema.minLength) return false;
  if (schema.maxLength !== undefined && value.length > schema.maxLength) return false;
  if (schema.format === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) return false;
  if ((schema.format === 'uri' || /url$/.test(schema.format ?? '')) && (/\s/.test(value) || !URL.canParse(value))) return false;
  return true;
}

/** The shape written as a value the place accepts, if some way of writing it fits; the bare shape otherwise. */
function valueFor(place: Place, shape: string): string {
  const urls = [`${mailbox.url}?ref=${shape}`, `https://shop.example/orders/${shape}`];
  const candidates = [
    ...(/url$/.test(place.at.at(-1)!) ? urls : []),
    shape,
    `Shop ${shape}`,
    `cus_${shape}`,
    `${shape}@example.com`,
    ...urls,
  ];
  return candidates.find((c) => fits(place.schema, c)) ?? shape;
}

// --- fixtures: one merchant, its objects, a mailbox that receives all its events ---------------------

let merchant: TestMerchant;
/** The merchant the admin operations' paths name: a refusal that failed would roll its keys, not those of `merchant`. */
let adminTarget: TestMerchant;
let mailbox: TestMailbox;
let intent: any;
let endpoint: any;

beforeAll(async () => {
  captureConsole();
  merchant = await ok('/v1/admin/merchants', { key: ADMIN_TOKEN, json: { name: 'Card numbers' } });
  adminTarget = await ok('/v1/admin/merchants', { key: ADMIN_TOKEN, json: { name: 'Card numbers (admin target)' } });
  mailbox = await openMailbox({ secrets: [] });
  endpoint = await ok('/v1/webhook_endpoints', { key: merchant.keys.test.secret, json: { url: mailbox.url, enabled_events: ['*'] } });
  intent = await ok('/v1/payment_intents', {
    key: merchant.keys.test.secret,
    json: { amount: 2000, currency: 'usd', description: 'A mug' },
  });
});

afterAll(() => {
  for (const spy of consoleSpies) spy.mockRestore();
});

/** Real objects of the merchant for the path parameters it owns; the document's example ids otherwise. */
function pathValues(op: Operation): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of op.path.match(/\{(\w+)\}/g)?.map((p) => p.slice(1, -1)) ?? []) {
    const collection = op.path.split('/').at(op.path.split('/').indexOf(`{${name}}`) - 1);
    const own: Record<string, string> = { payment_intents: intent.id, webhook_endpoints: endpoint.id, merchants: adminTarget.id };
    const example = doc.paths[op.path]![op.method.toLowerCase()]!.parameters!.find((p) => p.name === name)!.schema!.example;
    values[name] = (name === 'id' && collection && own[collection]) || String(example);
  }
  return values;
}

function keyFor(op: Operation): string | undefined {
  if (op.security.includes('adminToken')) return ADMIN_TOKEN;
  if (op.security.includes('apiKey')) return merchant.keys.test.secret;
  return undefined;
}

function withValue(target: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  const [head, ...rest] = path;
  const inner = target[head!];
  return {
    ...target,
    [head!]:
      rest.length === 0
        ? value
        : withValue(inner !== null && typeof inner === 'object' ? (inner as Record<string, unknown>) : {}, rest, value),
  };
}

/** The operation's request with `value` in `place`. */
function send(op: Operation, place: Place, value: string): Promise<Response> {
  const pathValuesNow = pathValues(op);
  const query = { ...op.query };
  const headers: Record<string, string> = {};
  let body = op.body;
  if (place.in === 'path') pathValuesNow[place.at[0]!] = value;
  if (place.in === 'query') query[place.at[0]!] = value;
  if (place.in === 'header') headers[place.at[0]!] = value;
  if (place.in === 'body') body = withValue(body ?? {}, place.at, value);
  if (place.in === 'body key') body = place.at.length ? withValue(body ?? {}, place.at, { [value]: 'x' }) : { ...body, [value]: 'x' };
  const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(pathValuesNow[name]!));
  const search = new URLSearchParams(query).toString();
  return call(search ? `${path}?${search}` : path, { method: op.method, key: keyFor(op), headers, json: body });
}

/** What the merchant sees: its intents, events and endpoints. */
async function merchantState(): Promise<unknown> {
  const key = merchant.keys.test.secret;
  return Promise.all(
    ['/v1/payment_intents?limit=100', '/v1/events?limit=100', '/v1/webhook_endpoints?limit=100'].map((p) => ok(p, { key })),
  );
}

// --- the table -----------------------------------------------------------------------------------

const CASES = OPERATIONS.flatMap(([op, places]) =>
  places.flatMap((place) =>
    SHAPES.map(([shape, text, digits]) => ({
      name: `${op.name}: ${place.in} ${place.param ?? '(a name)'}, ${shape}`,
      op,
      place,
      text,
      digits,
    })),
  ),
);

describe('the table read from /openapi.json', () => {
  it('covers every operation that takes an input, and the places the issue lists', () => {
    const covered = new Set(CASES.map((c) => `${c.op.name} ${c.place.in} ${c.place.param}`));
    for (const place of [
      'POST /v1/payment_intents body description',
      'POST /v1/payment_intents body metadata[note]',
      'POST /v1/payment_intents body key metadata',
      'POST /v1/payment_intents body statement_descriptor',
      'POST /v1/payment_intents body receipt_email',
      'POST /v1/payment_intents body customer',
      'POST /v1/payment_intents body notification_url',
      'POST /v1/payment_intents body return_url',
      'POST /v1/payment_intents body payment_method',
      'POST /v1/payment_intents header Idempotency-Key',
      'POST /v1/payment_intents/{id} body description',
      'POST /v1/payment_intents/{id}/confirm body return_url',
      'GET /v1/payment_intents/{id} path id',
      'GET /v1/payment_intents/search query query',
      'POST /v1/webhook_endpoints body url',
      'POST /v1/webhook_endpoints body description',
      'POST /v1/webhook_endpoints body metadata[note]',
      'POST /v1/webhook_endpoints body key metadata',
      'POST /v1/webhook_endpoints/{id} body url',
      'POST /v1/admin/merchants body name',
    ]) {
      expect(covered, place).toContain(place);
    }
    const withInputs = OPERATIONS.filter(([op]) => op.path.includes('{') || op.method === 'POST').map(([op]) => op.name);
    expect(withInputs.filter((name) => !CASES.some((c) => c.op.name === name))).toEqual([]);
  });
});

describe('a card number in any free-text place is refused: 400 naming the place, not echoing the number, leaving nothing stored or logged', () => {
  /** What the merchant sees before the table: every refusal must leave it exactly so. */
  let stateBeforeTheTable: unknown;
  beforeAll(async () => {
    stateBeforeTheTable = await merchantState();
  });

  for (const { name, op, place, text, digits } of CASES)
    it(name, async () => {
      const value = valueFor(place, text);
      const logsBefore = logged.length;

      const res = await send(op, place, value);
      const answer = await res.clone().text();
      const error = await expectError(res, { status: 400, code: 'parameter_invalid', param: place.param });
      expect(error.message).toMatch(/card number/);
      expect(holdsPartOf(answer, digits), answer).toBe(false);

      expect(await merchantState()).toEqual(stateBeforeTheTable);
      expect(logged.slice(logsBefore).filter(holdsCardNumber)).toEqual([]);
    });
});

describe('after the table', () => {
  it('left no card number in any row of D1 (idempotency records, events, endpoints, merchants included)', async () => {
    expect(await cardNumbersInD1()).toEqual([]);
  });

  it("left no card number in the intent's own storage", async () => {
    expect(await cardNumbersInIntentObject(intent.id)).toEqual([]);
  });

  it('delivered no card number: every event of the merchant reached the mailbox, none carrying one', async () => {
    const events = await ok('/v1/events?limit=100', { key: merchant.keys.test.secret });
    await waitFor(async () => (await mailbox.received()).length >= events.data.length, 10_000);
    const received = await mailbox.received();
    expect(received.filter((r) => holdsCardNumber(JSON.stringify(r)))).toEqual([]);
  });
});

// --- the other encodings and entrances -------------------------------------------------------------

describe('card numbers in form-encoded bodies, in places no schema has, and before authentication', () => {
  it.each([
    ['a description', 'amount=2000&currency=usd&description=card+4242+4242+4242+4242', 'description'],
    ['a metadata value', 'amount=2000&currency=usd&metadata[card]=4242-4242-4242-4242', 'metadata[card]'],
    ['a metadata key', 'amount=2000&currency=usd&metadata[4242424242424242]=x', 'metadata'],
    ['a parameter name', 'amount=2000&currency=usd&4242424242424242=x', null],
  ])('refuses %s, form-encoded', async (_name, form, param) => {
    const before = await merchantState();
    const res = await call('/v1/payment_intents', { key: merchant.keys.test.secret, form });
    const answer = await res.clone().text();
    const error = await expectError(res, { status: 400, code: 'parameter_invalid', param });
    expect(error.message).toMatch(/card number/);
    expect(holdsPartOf(answer, '4242424242424242'), answer).toBe(false);
    expect(await merchantState()).toEqual(before);
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      'as card details in place of a PaymentMethod id',
      { payment_method: { card: { number: '4242424242424242' } } },
      'payment_method[card][number]',
    ],
    ['in an unknown parameter', { amount: 2000, currency: 'usd', notes: ['fine', 'card 4242424242424242'] }, 'notes[1]'],
    ['deep in nested arrays', { amount: 2000, currency: 'usd', x: [[[[{ y: '4242424242424242' }]]]] }, 'x[0][0][0][0][y]'],
  ])('refuses a card number %s, naming where it is', async (_name, json, param) => {
    const res = await call('/v1/payment_intents', { key: merchant.keys.test.secret, json: { amount: 2000, currency: 'usd', ...json } });
    const answer = await res.clone().text();
    const error = await expectError(res, { status: 400, code: 'parameter_invalid', param });
    expect(error.message).toMatch(/card number/);
    expect(holdsPartOf(answer, '4242424242424242'), answer).toBe(false);
  });

  it('answers a body nested as deep as its size allows without failing', async () => {
    const deep = `{"amount":2000,"currency":"usd","x":${'['.repeat(20_000)}"4242424242424242"${']'.repeat(20_000)}}`;
    const res = await call('/v1/payment_intents', {
      key: merchant.keys.test.secret,
      method: 'POST',
      body: deep,
      headers: { 'Content-Type': 'application/json' },
    });
    await expectError(res, { status: 400, code: 'parameter_invalid', param: expect.stringMatching(/^x\[0\]/) as unknown as string });
  });

  it('refuses GET /v1/payment_intents/<card number> naming id, with or without a key, logging nothing of it', async () => {
    const logsBefore = logged.length;
    for (const key of [merchant.keys.test.secret, undefined]) {
      const res = await call('/v1/payment_intents/4242424242424242', { key });
      const answer = await res.clone().text();
      const error = await expectError(res, { status: 400, code: 'parameter_invalid', param: 'id' });
      expect(error.message).toMatch(/card number/);
      expect(holdsPartOf(answer, '4242424242424242'), answer).toBe(false);
    }
    expect(logged.slice(logsBefore).filter(holdsCardNumber)).toEqual([]);
  });

  it('refuses a query parameter whose name is a card number', async () => {
    const res = await call('/v1/payment_intents?4242424242424242=1', { key: merchant.keys.test.secret });
    const answer = await res.clone().text();
    const error = await expectError(res, { status: 400, code: 'parameter_invalid', param: null });
    expect(error.message).toMatch(/card number/);
    expect(holdsPartOf(answer, '4242424242424242'), answer).toBe(false);
  });

  it('does not echo a card number sent as an API key (401, no piece of it in the message)', async () => {
    for (const key of ['4242424242424242', 'sk_test_4242424242424242']) {
      const res = await call('/v1/payment_intents', { key });
      const answer = await res.clone().text();
      await expectError(res, { status: 401, type: 'authentication_error', code: 'api_key_invalid', param: null });
      expect(holdsPartOf(answer, '4242424242424242'), answer).toBe(false);
    }
  });

  it('does not echo a card number in the path of an unknown route', async () => {
    const res = await call('/v1/payment_intents/4242424242424242/refund', { key: merchant.keys.test.secret });
    const answer = await res.clone().text();
    await expectError(res, { status: 404, code: 'route_not_found', param: null });
    expect(holdsPartOf(answer, '4242424242424242'), answer).toBe(false);
  });
});

describe('log lines', () => {
  it('never carry a card number, whatever a caller puts in the fields or the error', () => {
    const logs = expectErrorLogs((log) => log.msg === 'unhandled error');
    try {
      logError(
        'unhandled error',
        { method: 'GET', path: '/v1/payment_intents/4242424242424242' },
        new Error('No such pm_5555-5555-5555-4444'),
      );
      expect(logs.caught).toHaveLength(1);
      expect(holdsCardNumber(JSON.stringify(logs.caught))).toBe(false);
      expect(logs.caught[0]).toMatchObject({
        path: '/v1/payment_intents/[card number removed]',
        error: { message: 'No such pm_[card number removed]' },
      });
    } finally {
      logs.restore();
    }
  });
});

// --- what is not a card number passes ----------------------------------------------------------------

describe('values that are not card numbers are accepted and kept as sent', () => {
  const notCardNumbers = {
    description: 'Order 4242424242424241 (16 digits, fails the Luhn check)',
    statement_descriptor: 'ORD4242424242424242',
    metadata: {
      order: '4242424242424241',
      phone: '+1 (415) 555-0100',
      phones: '415-555-0109 415-555-0199',
      phones_spaced: '415 555 0109 415 555 0199',
      invoice: 'Invoice 2024-117, 3 mugs at 12.50, table 42',
      created_ms: '1712345678907',
      long_number: '42424242424242424242',
      uuid: 'a1b2c3d4-5f6e-4a1b-3456-789012345675',
    },
  };

  it('in a create, with an Idempotency-Key that holds digits', async () => {
    for (const idempotencyKey of ['a1b2c3d4-5f6e-4a1b-3456-789012345675', 'order-1712345678907']) {
      const created = await ok('/v1/payment_intents', {
        key: merchant.keys.test.secret,
        headers: { 'Idempotency-Key': idempotencyKey },
        json: { amount: 2000, currency: 'usd', ...notCardNumbers },
      });
      expect(created).toMatchObject(notCardNumbers);
    }
  });

  it('in a form-encoded update', async () => {
    const updated = await ok(`/v1/payment_intents/${intent.id}`, {
      key: merchant.keys.test.secret,
      form: 'description=Order+4242424242424241&metadata[phone]=%2B44+20+7946+0958',
    });
    expect(updated).toMatchObject({ description: 'Order 4242424242424241', metadata: { phone: '+44 20 7946 0958' } });
  });

  it("as an amount: a token's base units are a number, even written as a Luhn-valid digit string", async () => {
    await ok(`/v1/admin/merchants/${merchant.id}/crypto`, { key: ADMIN_TOKEN, json: { xpub: randomXpub() } });
    const crypto = { payment_method_types: ['crypto'], payment_method_options: { crypto: { network: 'testnet', token: 'usdc' } } };
    const created = await ok('/v1/payment_intents', {
      key: merchant.keys.test.secret,
      json: { amount: '4242424242424242', currency: 'usdc', ...crypto },
    });
    expect(created.amount).toBe(4242424242424242);
    const form = await ok('/v1/payment_intents', {
      key: merchant.keys.test.secret,
      form: 'amount=4242424242424242&currency=usdc&payment_method_types[0]=crypto&payment_method_options[crypto][network]=testnet&payment_method_options[crypto][token]=usdc',
    });
    expect(form.amount).toBe(4242424242424242);
    for (const id of [created.id, form.id]) await ok(`/v1/payment_intents/${id}/cancel`, { key: merchant.keys.test.secret, json: {} });
  });
});
