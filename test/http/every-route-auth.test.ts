/**
 * Every operation the app registers, read from its own OpenAPI document, tried with no key, wrong
 * keys, the wrong kind of key, another merchant's object, the other mode's object, and the right key
 * (in the spirit of unkey's runSharedRoleTests). A new route gets all of this without anyone listing
 * it; a route whose path parameters this file cannot fill, or whose body it cannot write, fails
 * until someone teaches the tables below about it.
 *
 * Access is told from the path alone (/health, /health/ready and /challenge/{id}/{token} are
 * public, /v1/admin/* takes ADMIN_TOKEN, every other path takes an API key), and the document's
 * own `security` of each operation must say the same, so what it tells clients is what is enforced. Each operation gets its own merchant, so "a refusal changed nothing" can
 * compare everything that merchant sees, in both modes, before and after.
 */
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import type { Address, Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import worker from '../../src/index.js';
import { randomXpub } from '../chain/local-chain-client.js';
import { ADMIN_TOKEN, type ClientRequestInit, call as callThroughRuntime, clientRequest, type TestMerchant, waitFor } from '../helpers.js';
import { openMailbox, type TestMailbox } from '../webhooks/receiver-client.js';
import { expectError, type WireError } from './validation-support.js';

// --- requests to the worker ---------------------------------------------------------------------

/**
 * helpers.ts call(), but handing the request to the worker's fetch handler itself rather than
 * through exports.default.fetch: under vitest-pool-workers each request through the runtime is
 * slower than the one before it (cloudflare/workers-sdk#15446: about 6 ms at first, 370 ms after
 * 1,500), and this table sends about 4,800. The handler, its env and bindings are the same.
 */
async function call(path: string, init: ClientRequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(clientRequest(path, init), env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

async function get(key: string, path: string) {
  const res = await call(path, { key });
  return { res, body: (await res.json()) as any };
}

async function post(key: string, path: string, params: Record<string, unknown> = {}) {
  const res = await call(path, { key, json: params });
  return { res, body: (await res.json()) as any };
}

async function createMerchant(name: string): Promise<TestMerchant> {
  const { res, body } = await post(ADMIN_TOKEN, '/v1/admin/merchants', { name });
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body;
}

function createIntent(key: string, params: Record<string, unknown> = {}) {
  return post(key, '/v1/payment_intents', { amount: 2000, currency: 'usd', ...params });
}

// --- the operations, as the document lists them ----------------------------------------------

interface DocParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: { maxLength?: number };
}

interface DocOperation {
  security?: Record<string, string[]>[];
  parameters?: DocParameter[];
  requestBody?: { required?: boolean };
  responses: Record<string, unknown>;
}

type Access = 'public' | 'admin' | 'api_key';

interface Operation {
  /** `METHOD /path`, as the tables below name it. */
  name: string;
  method: string;
  path: string;
  access: Access;
  /** The schemes the document's `security` names for it. */
  documentedSchemes: string[];
  pathParams: DocParameter[];
  queryParams: DocParameter[];
  hasBody: boolean;
  bodyRequired: boolean;
  /** The documented answers below 400. */
  success: number[];
}

const PUBLIC_PATHS = ['/health', '/health/ready', '/challenge/{id}/{token}'];

function accessOf(path: string): Access {
  if (PUBLIC_PATHS.includes(path)) return 'public';
  if (path.startsWith('/v1/admin/')) return 'admin';
  return 'api_key';
}

async function registeredOperations(): Promise<Operation[]> {
  const res = await callThroughRuntime('/openapi.json');
  if (res.status !== 200) throw new Error(`GET /openapi.json answered ${res.status}`);
  const doc = (await res.json()) as { paths: Record<string, Record<string, DocOperation>> };
  return Object.entries(doc.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, spec]) => {
      const parameters = spec.parameters ?? [];
      return {
        name: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        access: accessOf(path),
        documentedSchemes: (spec.security ?? []).flatMap((requirement) => Object.keys(requirement)).sort(),
        pathParams: parameters.filter((p) => p.in === 'path'),
        queryParams: parameters.filter((p) => p.in === 'query'),
        hasBody: spec.requestBody !== undefined,
        bodyRequired: spec.requestBody?.required === true,
        success: Object.keys(spec.responses)
          .map(Number)
          .filter((status) => status < 400),
      };
    }),
  );
}

const OPERATIONS = await registeredOperations();
const byAccess = (access: Access) => OPERATIONS.filter((op) => op.access === access);

/**
 * The operations a publishable key may call, and how a browser shows which intent it holds (the
 * client secret). A publishable key on any other operation must be a 403: each operation's tests
 * check one side or the other, so together they hold this list equal to what the app accepts.
 */
const PUBLISHABLE: Record<string, (request: ApiRequest, intent: any) => ApiRequest> = {
  'GET /v1/payment_intents/{id}': (request, intent) => ({ ...request, query: { ...request.query, client_secret: intent.client_secret } }),
  'POST /v1/payment_intents/{id}/crypto_signature': (request, intent) => ({
    ...request,
    body: { ...(request.body as object), client_secret: intent.client_secret },
  }),
};

// --- requests -----------------------------------------------------------------------------------

interface ApiRequest {
  path: Record<string, string>;
  query: Record<string, string>;
  body?: unknown;
  /** Sent verbatim as application/json instead of `body`. */
  rawBody?: string;
}

/** Where a request names an object: a path parameter, or the list cursor `starting_after`. */
interface ObjectRef {
  in: 'path' | 'query';
  name: string;
  id: string;
}

interface Target {
  request: ApiRequest;
  refs: ObjectRef[];
  /** The intent the request acts on, when it acts on one. */
  intent?: any;
}

function send(op: Operation, request: ApiRequest, key?: string): Promise<Response> {
  const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = request.path[name];
    if (value === undefined) throw new Error(`${op.name}: no value for {${name}}`);
    return encodeURIComponent(value);
  });
  const query = new URLSearchParams(request.query).toString();
  const url = query ? `${path}?${query}` : path;
  if (request.rawBody !== undefined) {
    return call(url, { method: op.method, key, body: request.rawBody, headers: { 'Content-Type': 'application/json' } });
  }
  return call(url, { method: op.method, key, json: request.body });
}

function withRef(request: ApiRequest, ref: ObjectRef, id: string): ApiRequest {
  return ref.in === 'path'
    ? { ...request, path: { ...request.path, [ref.name]: id } }
    : { ...request, query: { ...request.query, [ref.name]: id } };
}

/** A well-formed id of the same kind that no object has. */
function unknownLike(id: string): string {
  const cut = id.indexOf('_') + 1;
  return id.slice(0, cut) + '0'.repeat(id.length - cut);
}

/**
 * Inputs the operation must refuse with a 400 (checked with the right key), each with the error it
 * gets: the key must be checked before any of them is looked at.
 */
function invalidInputs(op: Operation, valid: ApiRequest): [ApiRequest, { code: string; param: string | null }][] {
  const inputs: [ApiRequest, { code: string; param: string | null }][] = [];
  if (op.hasBody) {
    inputs.push([
      { ...valid, body: undefined, rawBody: '{"' },
      { code: 'body_invalid', param: null },
    ]);
    inputs.push([
      { ...valid, body: { ...(valid.body as object), no_such_parameter: 1 } },
      { code: 'parameter_unknown', param: 'no_such_parameter' },
    ]);
  }
  if (op.queryParams.length > 0) {
    inputs.push([
      { ...valid, query: { ...valid.query, no_such_parameter: '1' } },
      { code: 'parameter_unknown', param: 'no_such_parameter' },
    ]);
  }
  for (const param of op.pathParams) {
    if (param.schema?.maxLength === undefined) continue;
    inputs.push([
      { ...valid, path: { ...valid.path, [param.name]: 'x'.repeat(param.schema.maxLength + 1) } },
      { code: 'parameter_invalid', param: param.name },
    ]);
  }
  return inputs;
}

// --- fixtures: a real object of each kind, owned by the operation's merchant (test mode) ----------

let other: TestMerchant;
let mailbox: TestMailbox;
const cryptoIntents: { key: string; id: string }[] = [];
const merchantsWithXpub = new Set<string>();

beforeAll(async () => {
  other = await createMerchant('Another merchant');
  mailbox = await openMailbox({ secrets: [] });
});

// A crypto intent waiting for its payer watches the chain until it expires: stop that.
afterAll(async () => {
  for (const { key, id } of cryptoIntents) await post(key, `/v1/payment_intents/${id}/cancel`);
});

async function plainIntent(m: TestMerchant) {
  return ok(await createIntent(m.keys.test.secret));
}

async function capturableIntent(m: TestMerchant) {
  const intent = ok(await createIntent(m.keys.test.secret, { capture_method: 'manual', payment_method: 'pm_card_visa', confirm: true }));
  expect(intent.status).toBe('requires_capture');
  return intent;
}

/** A confirmed crypto intent whose next_action asks the payer to sign its typed data. */
async function cryptoIntentAwaitingSignature(m: TestMerchant) {
  const sk = m.keys.test.secret;
  if (!merchantsWithXpub.has(m.id)) {
    ok(await post(ADMIN_TOKEN, `/v1/admin/merchants/${m.id}/crypto`, { xpub: randomXpub() }));
    merchantsWithXpub.add(m.id);
  }
  const created = ok(
    await createIntent(sk, {
      amount: 1099,
      payment_method_types: ['crypto'],
      payment_method_options: { crypto: { network: 'testnet', token: 'usdc' } },
    }),
  );
  cryptoIntents.push({ key: sk, id: created.id });
  const confirmed = ok(await post(sk, `/v1/payment_intents/${created.id}/confirm`));
  expect(confirmed.next_action.type).toBe('crypto_transfer');
  return confirmed;
}

/** A valid payer signature over the intent's typed data (anvil's account 5 signs; any payer may). */
async function signTransfer(intent: any): Promise<{ signature: Hex; signer: Address }> {
  const typed = intent.next_action.crypto_transfer.typed_data;
  const account = privateKeyToAccount(inject('cryptoChain').accounts[5]!.privateKey);
  const message = {
    ...typed.message,
    chainId: BigInt(typed.message.chainId),
    amount: BigInt(typed.message.amount),
    expiresAt: BigInt(typed.message.expiresAt),
  };
  const signature = await account.signTypedData({ domain: typed.domain, types: typed.types, primaryType: typed.primaryType, message });
  return { signature, signer: account.address };
}

async function anEvent(m: TestMerchant): Promise<string> {
  const intent = await plainIntent(m);
  const events = ok(await get(m.keys.test.secret, '/v1/events?limit=100'));
  const created = events.data.find((e: any) => e.data.object.id === intent.id && e.type === 'payment_intent.created');
  expect(created, JSON.stringify(events)).toBeDefined();
  return created.id;
}

async function anEndpoint(m: TestMerchant, enabledEvents = ['payment_intent.succeeded']): Promise<string> {
  return ok(await post(m.keys.test.secret, '/v1/webhook_endpoints', { url: mailbox.url, enabled_events: enabledEvents })).id;
}

/** A delivery that reached the test receiver: its endpoint takes only payment_intent.created. */
async function aDelivery(m: TestMerchant): Promise<string> {
  const endpoint = await anEndpoint(m, ['payment_intent.created']);
  await plainIntent(m);
  let deliveries: any[] = [];
  await waitFor(async () => {
    deliveries = ok(await get(m.keys.test.secret, `/v1/webhook_endpoints/${endpoint}/deliveries`)).data;
    return deliveries.length === 1 && deliveries[0].status === 'succeeded';
  }, 10_000);
  return deliveries[0].id;
}

/** An intent sent to a 3-D Secure challenge: its link's id and single-use token. */
async function aChallenge(m: TestMerchant) {
  const sk = m.keys.test.secret;
  const created = await plainIntent(m);
  const intent = ok(
    await post(sk, `/v1/payment_intents/${created.id}/confirm`, {
      payment_method: 'pm_card_threeDSecure2Required',
      return_url: 'https://shop.example/return',
    }),
  );
  const [, , id, token] = new URL(intent.next_action.redirect_to_url.url).pathname.split('/');
  return { id: id!, token: token! };
}

interface Fixture {
  values: Record<string, string>;
  intent?: any;
}

/**
 * The kinds of object a path names, by the collection segment in front of its parameters. A path
 * under any other collection fails its operation's tests until a kind is added here.
 */
const KINDS: Record<string, { params: string[]; make: (m: TestMerchant, op: Operation) => Promise<Fixture> }> = {
  payment_intents: {
    params: ['id'],
    make: async (m, op) => {
      const intent = await (RECIPES[op.name]?.intent ?? plainIntent)(m);
      return { values: { id: intent.id }, intent };
    },
  },
  events: { params: ['id'], make: async (m) => ({ values: { id: await anEvent(m) } }) },
  webhook_endpoints: { params: ['id'], make: async (m) => ({ values: { id: await anEndpoint(m) } }) },
  webhook_deliveries: { params: ['id'], make: async (m) => ({ values: { id: await aDelivery(m) } }) },
  merchants: { params: ['id'], make: async (m) => ({ values: { id: m.id } }) },
  challenge: { params: ['id', 'token'], make: async (m) => ({ values: await aChallenge(m) }) },
};

function kindOf(op: Operation, collection: string) {
  const kind = KINDS[collection];
  if (!kind) throw new Error(`${op.name}: no fixture for objects of "${collection}"; add the kind to KINDS`);
  return kind;
}

/** The collection in front of the path's first parameter, or null for a path without any. */
function pathCollection(op: Operation): string | null {
  if (op.pathParams.length === 0) return null;
  const segments = op.path.split('/');
  return segments[segments.findIndex((s) => s.startsWith('{')) - 1]!;
}

/** What one operation needs beyond a plain object of its path's kind. */
interface Recipe {
  intent?: (m: TestMerchant) => Promise<any>;
  query?: Record<string, string>;
  body?: (target: { intent?: any }) => unknown;
}

const RECIPES: Record<string, Recipe> = {
  'GET /v1/payment_intents/search': { query: { query: 'amount>0' } },
  'POST /v1/payment_intents': { body: () => ({ amount: 2000, currency: 'usd' }) },
  'POST /v1/payment_intents/{id}': { body: () => ({ description: 'Changed by the auth table' }) },
  'POST /v1/payment_intents/{id}/confirm': { body: () => ({ payment_method: 'pm_card_visa' }) },
  'POST /v1/payment_intents/{id}/capture': { intent: capturableIntent },
  'POST /v1/payment_intents/{id}/crypto_signature': { intent: cryptoIntentAwaitingSignature, body: ({ intent }) => signTransfer(intent) },
  'POST /v1/webhook_endpoints': { body: () => ({ url: mailbox.url, enabled_events: ['payment_intent.succeeded'] }) },
  'POST /v1/webhook_endpoints/{id}': { body: () => ({ description: 'Changed by the auth table' }) },
  'POST /v1/admin/merchants': { body: () => ({ name: 'Made by the auth table' }) },
  'POST /v1/admin/merchants/{id}/crypto': { body: () => ({ xpub: randomXpub() }) },
  'POST /v1/admin/merchants/{id}/roll_keys': { body: () => ({ mode: 'test' }) },
  'POST /challenge/{id}/{token}': { body: () => ({ outcome: 'succeeded' }) },
};

/** A valid request for the operation on fresh objects of merchant `m`, and where it names them. */
async function prepare(op: Operation, m: TestMerchant): Promise<Target> {
  const recipe = RECIPES[op.name] ?? {};
  const refs: ObjectRef[] = [];
  const request: ApiRequest = { path: {}, query: { ...recipe.query } };
  let intent: any;

  const collection = pathCollection(op);
  if (collection !== null) {
    const kind = kindOf(op, collection);
    const names = op.pathParams.map((p) => p.name);
    if (JSON.stringify(names) !== JSON.stringify(kind.params)) {
      throw new Error(`${op.name}: path parameters ${names.join(', ')}; KINDS.${collection} fills ${kind.params.join(', ')}`);
    }
    const fixture = await kind.make(m, op);
    request.path = fixture.values;
    intent = fixture.intent;
    if (op.access === 'api_key') refs.push({ in: 'path', name: 'id', id: fixture.values.id! });
  } else if (op.queryParams.some((p) => p.name === 'starting_after')) {
    // A top-level list: its cursor names an object of the listed kind.
    const listed = op.path.split('/').at(-1)!;
    const fixture = await kindOf(op, listed).make(m, op);
    refs.push({ in: 'query', name: 'starting_after', id: fixture.values.id! });
  }

  const missing = op.queryParams.filter((p) => p.required && request.query[p.name] === undefined);
  if (missing.length > 0) throw new Error(`${op.name}: needs query ${missing.map((p) => p.name).join(', ')}; add it to RECIPES`);
  if (recipe.body) request.body = await recipe.body({ intent });
  else if (op.bodyRequired) throw new Error(`${op.name}: needs a body; add a minimal valid one to RECIPES`);
  return { request, refs, intent };
}

// --- what the answers must be ------------------------------------------------------------------

function expectUnauthenticated(res: Response, code: 'api_key_missing' | 'api_key_invalid' | 'admin_token_invalid'): Promise<WireError> {
  return expectError(res, { status: 401, type: 'authentication_error', code, param: null });
}

/** The documented success; when the answer is an object with an id, it is the id the path named. */
async function expectSuccess(op: Operation, res: Response, request: ApiRequest): Promise<any> {
  const text = await res.text();
  expect(op.success, `${res.status} ${text}`).toContain(res.status);
  if (!res.headers.get('content-type')?.startsWith('application/json')) return text;
  const body = JSON.parse(text);
  expect(body, text).not.toHaveProperty('error');
  if (request.path.id !== undefined && typeof body.id === 'string') expect(body.id).toBe(request.path.id);
  return body;
}

/** A 404 resource_missing, with the id it names replaced, to compare with another. */
async function missingAnswer(res: Response, id: string) {
  const text = await res.text();
  expect(res.status, text).toBe(404);
  expect(res.headers.get('content-type'), text).toMatch(/^application\/json/);
  expect(res.headers.get('request-id'), text).toMatch(/^req_[0-9A-Za-z]{24}$/);
  const { error, ...rest } = JSON.parse(text);
  expect(rest, text).toEqual({});
  expect(error, text).toMatchObject({ type: 'invalid_request_error', code: 'resource_missing' });
  return { ...error, message: String(error.message).replaceAll(id, '<id>') };
}

/** Everything the merchant's secret keys read, in both modes (each read must succeed: the keys still work). */
async function stateOf(m: TestMerchant): Promise<Record<string, unknown>> {
  const state: Record<string, unknown> = {};
  const read = async (key: string, path: string) => {
    const { res, body } = await get(key, path);
    expect(res.status, `${path}: ${JSON.stringify(body)}`).toBe(200);
    state[`${key.slice(0, 8)} ${path}`] = body;
    return body;
  };
  for (const key of [m.keys.test.secret, m.keys.live.secret]) {
    for (const path of ['/v1/payment_intents?limit=100', '/v1/events?limit=100', '/v1/notification_secret', '/v1/crypto_settings']) {
      await read(key, path);
    }
    const endpoints = await read(key, '/v1/webhook_endpoints?limit=100');
    for (const endpoint of endpoints.data) await read(key, `/v1/webhook_endpoints/${endpoint.id}/deliveries?limit=100`);
  }
  return state;
}

function ok<T = any>({ res, body }: { res: Response; body: T }): T {
  expect(res.status, JSON.stringify(body)).toBeLessThan(300);
  return body;
}

const WRONG_API_KEYS: [string, string][] = [
  ['an unknown test secret key', `sk_test_${'Q'.repeat(32)}`],
  ['an unknown live secret key', `sk_live_${'Q'.repeat(32)}`],
  ['an unknown publishable key', `pk_test_${'Q'.repeat(32)}`],
  ['a malformed key', 'not-a-key'],
  ['the admin token', ADMIN_TOKEN],
];

// --- the table ------------------------------------------------------------------------------------

describe('the operations read from /openapi.json', () => {
  it('include the public ones, admin ones and API-key ones, and every publishable one is an API-key operation', () => {
    expect(
      byAccess('public')
        .map((op) => op.name)
        .sort(),
    ).toEqual(['GET /challenge/{id}/{token}', 'GET /health', 'GET /health/ready', 'POST /challenge/{id}/{token}']);
    expect(byAccess('admin').length).toBeGreaterThan(0);
    expect(byAccess('api_key').map((op) => op.name)).toEqual(expect.arrayContaining(Object.keys(PUBLISHABLE)));
  });

  it('declare in the document the access that is enforced: none on public ones, the admin token on admin ones, the API key (Bearer or Basic) on the others', () => {
    const DOCUMENTED: Record<Access, string[]> = { public: [], admin: ['adminToken'], api_key: ['apiKey', 'apiKeyBasic'] };
    expect(OPERATIONS.filter((op) => op.documentedSchemes.join() !== DOCUMENTED[op.access].join()).map((op) => op.name)).toEqual([]);
  });

  it('all have objects this file can make for their path parameters, and a body where one is required', () => {
    const unknown = OPERATIONS.flatMap((op) => {
      const collection = pathCollection(op);
      const kind = collection === null ? undefined : KINDS[collection];
      const problems: string[] = [];
      if (collection !== null && (!kind || kind.params.join() !== op.pathParams.map((p) => p.name).join()))
        problems.push(`${op.name}: path`);
      if (op.bodyRequired && !RECIPES[op.name]?.body) problems.push(`${op.name}: body`);
      return problems;
    });
    expect(unknown).toEqual([]);
  });
});

describe.each(byAccess('api_key'))('$name (API key)', (op) => {
  const publishable = PUBLISHABLE[op.name];
  let owner: TestMerchant;
  let target: Target;
  beforeAll(async () => {
    owner = await createMerchant(`Owner for ${op.name}`);
    target = await prepare(op, owner);
  });

  it('without a key: 401 api_key_missing, before the input is read, changing nothing', async () => {
    const before = await stateOf(owner);
    const error = await expectUnauthenticated(await send(op, target.request), 'api_key_missing');
    expect(error.message).toMatch(/Authorization/);
    for (const [input, refusal] of invalidInputs(op, target.request)) {
      await expectError(await send(op, input, owner.keys.test.secret), { status: 400, ...refusal });
      await expectUnauthenticated(await send(op, input), 'api_key_missing');
    }
    expect(await stateOf(owner)).toEqual(before);
  });

  it.each(WRONG_API_KEYS)('with %s: 401 api_key_invalid, not echoing the key, changing nothing', async (_name, key) => {
    const before = await stateOf(owner);
    const error = await expectUnauthenticated(await send(op, target.request, key), 'api_key_invalid');
    expect(error.message).not.toContain(key);
    if (key.includes('_')) expect(error.message).toContain(key.slice(0, 8));
    expect(await stateOf(owner)).toEqual(before);
  });

  if (publishable) {
    it('with a publishable key and the client secret: accepted (browser fields only); a bad input is then a 400', async () => {
      const fresh = await prepare(op, owner);
      const request = publishable(fresh.request, fresh.intent);
      const body = await expectSuccess(op, await send(op, request, owner.keys.test.publishable), request);
      expect(body).toMatchObject({ id: fresh.intent.id, client_secret: fresh.intent.client_secret });
      expect(body).not.toHaveProperty('metadata');
      for (const [input, refusal] of invalidInputs(op, request)) {
        await expectError(await send(op, input, owner.keys.test.publishable), { status: 400, ...refusal });
      }
    });
  } else {
    it('with a publishable key: 403 secret_key_required, before the input is read, changing nothing', async () => {
      const before = await stateOf(owner);
      for (const key of [owner.keys.test.publishable, owner.keys.live.publishable]) {
        for (const request of [target.request, ...invalidInputs(op, target.request).map(([input]) => input)]) {
          const error = await expectError(await send(op, request, key), {
            status: 403,
            type: 'authentication_error',
            code: 'secret_key_required',
            param: null,
          });
          expect(error.message).toMatch(/publishable/);
        }
      }
      expect(await stateOf(owner)).toEqual(before);
    });
  }

  /** The same request as the owner's, made with `key`, must find nothing: exactly as for an unknown id. */
  async function expectIndistinguishableFromUnknown(keys: { secret: string; publishable: string }) {
    const before = await stateOf(owner);
    const variants: [string, ApiRequest][] = [[keys.secret, target.request]];
    if (publishable) variants.push([keys.publishable, publishable(target.request, target.intent)]);
    for (const [key, request] of variants) {
      for (const ref of target.refs) {
        const unknownId = unknownLike(ref.id);
        const foreign = await missingAnswer(await send(op, withRef(request, ref, ref.id), key), ref.id);
        const unknown = await missingAnswer(await send(op, withRef(request, ref, unknownId), key), unknownId);
        expect(foreign, `${ref.in} ${ref.name}`).toEqual(unknown);
        if (ref.in === 'query') expect(foreign.param).toBe(ref.name);
      }
    }
    expect(await stateOf(owner)).toEqual(before);
  }

  if (op.pathParams.length > 0 || op.queryParams.some((p) => p.name === 'starting_after')) {
    it("on another merchant's object: 404 resource_missing exactly as for an unknown id, changing nothing", async () => {
      expect(target.refs.length).toBeGreaterThan(0);
      await expectIndistinguishableFromUnknown(other.keys.test);
    });

    it("on the other mode's object (a live key, a test object): 404 exactly as for an unknown id, changing nothing", async () => {
      expect(target.refs.length).toBeGreaterThan(0);
      await expectIndistinguishableFromUnknown(owner.keys.live);
    });
  } else {
    it("another merchant's call: answered for that merchant, changing nothing of this one's", async () => {
      const before = await stateOf(owner);
      await expectSuccess(op, await send(op, target.request, other.keys.test.secret), target.request);
      expect(await stateOf(owner)).toEqual(before);
    });
  }

  it('with its secret key: the documented success', async () => {
    const fresh = await prepare(op, owner);
    await expectSuccess(op, await send(op, fresh.request, owner.keys.test.secret), fresh.request);
  });
});

describe.each(byAccess('admin'))('$name (admin token)', (op) => {
  let owner: TestMerchant;
  let target: Target;
  beforeAll(async () => {
    owner = await createMerchant(`Owner for ${op.name}`);
    target = await prepare(op, owner);
  });

  it('without a token: 401 admin_token_invalid, before the input is read, changing nothing', async () => {
    const before = await stateOf(owner);
    await expectUnauthenticated(await send(op, target.request), 'admin_token_invalid');
    for (const [input, refusal] of invalidInputs(op, target.request)) {
      await expectError(await send(op, input, ADMIN_TOKEN), { status: 400, ...refusal });
      await expectUnauthenticated(await send(op, input), 'admin_token_invalid');
    }
    expect(await stateOf(owner)).toEqual(before);
  });

  it("with a merchant's key or a wrong token: 401 admin_token_invalid, changing nothing", async () => {
    const before = await stateOf(owner);
    for (const key of [
      owner.keys.test.secret,
      owner.keys.live.secret,
      owner.keys.test.publishable,
      'not-the-admin-token',
      `${ADMIN_TOKEN}x`,
    ]) {
      const error = await expectUnauthenticated(await send(op, target.request, key), 'admin_token_invalid');
      expect(error.message).not.toContain(ADMIN_TOKEN);
    }
    expect(await stateOf(owner)).toEqual(before);
  });

  it('with the admin token: the documented success', async () => {
    const fresh = await prepare(op, await createMerchant(`Fresh for ${op.name}`));
    await expectSuccess(op, await send(op, fresh.request, ADMIN_TOKEN), fresh.request);
  });
});

describe.each(byAccess('public'))('$name (public)', (op) => {
  let owner: TestMerchant;
  beforeAll(async () => {
    owner = await createMerchant(`Owner for ${op.name}`);
  });

  it('needs no key: the documented success, no 401', async () => {
    const { request } = await prepare(op, owner);
    const res = await send(op, request);
    expect(res.status).not.toBe(401);
    await expectSuccess(op, res, request);
  });

  it('ignores a key it does not take: an unknown one gets the documented success too', async () => {
    const { request } = await prepare(op, owner);
    const res = await send(op, request, WRONG_API_KEYS[0]![1]);
    expect(res.status).not.toBe(401);
    await expectSuccess(op, res, request);
  });
});
