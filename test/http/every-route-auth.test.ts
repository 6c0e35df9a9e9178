/**
 * Every operation the app registers, read from its own OpenAPI document, tried with no key, wrong
 * keys, the wrong kind of key, another merchant's object, the other mode's object, and the right key
 * (in the spirit of unkey's runSharedRoleTests). A new route gets all of this without anyone listing
 * it; a route whose path parameters route-fixtures.ts cannot fill, or whose body it cannot write,
 * fails until someone teaches its tables about it.
 *
 * Access is told from the path alone (/health, /health/ready, /challenge/{id}/{token} and the hosted
 * payment page /pay/{id} are public, /v1/admin/* takes ADMIN_TOKEN, every other path takes an API key), and the document's
 * own `security` of each operation must say the same, so what it tells clients is what is enforced.
 * Each operation gets its own merchant, so "a refusal changed nothing" can compare everything that
 * merchant sees, in both modes, before and after.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, type TestMerchant } from '../helpers.js';
import {
  type Access,
  type ApiRequest,
  createMerchant,
  firstMessage,
  missingRecipes,
  namesObjects,
  type ObjectRef,
  type Operation,
  RouteFixtures,
  registeredOperations,
  send,
  servedDocument,
  stateOf,
  type Target,
} from './route-fixtures.js';
import { expectError, type WireError } from './validation-support.js';

const OPERATIONS = registeredOperations(await servedDocument());
const byAccess = (access: Access) => OPERATIONS.filter((op) => op.access === access);

/**
 * The operations a publishable key may call, and how a browser shows which intent it holds (the
 * client secret). A publishable key on any other operation must be a 403: each operation's tests
 * check one side or the other, so together they hold this list equal to what the app accepts.
 */
const PUBLISHABLE: Record<string, (request: ApiRequest, intent: any) => ApiRequest> = {
  'GET /v1/payment_intents/{id}': (request, intent) => ({ ...request, query: { ...request.query, client_secret: intent.client_secret } }),
  'GET /v1/payment_intents/{id}/live': (request, intent) => ({
    ...request,
    query: { ...request.query, client_secret: intent.client_secret },
  }),
  'POST /v1/payment_intents/{id}/confirm': (request, intent) => ({
    ...request,
    body: { ...(request.body as object), client_secret: intent.client_secret },
  }),
  'POST /v1/payment_intents/{id}/crypto_signature': (request, intent) => ({
    ...request,
    body: { ...(request.body as object), client_secret: intent.client_secret },
  }),
  'POST /v1/payment_intents/{id}/escrow_deposit': (request, intent) => ({
    ...request,
    body: { ...(request.body as object), client_secret: intent.client_secret },
  }),
};

// --- requests -----------------------------------------------------------------------------------

function withRef(request: ApiRequest, ref: ObjectRef, id: string): ApiRequest {
  if (ref.in === 'body') return { ...request, body: { ...(request.body as object), [ref.name]: id } };
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

// --- fixtures: a real object of each kind, owned by the operation's merchant (route-fixtures.ts) ---

let fixtures: RouteFixtures;
let other: TestMerchant;

beforeAll(async () => {
  fixtures = await RouteFixtures.open();
  other = await createMerchant('Another merchant');
});

afterAll(async () => {
  await fixtures.cancelCryptoIntents();
});

const prepare = (op: Operation, m: TestMerchant): Promise<Target> => fixtures.prepare(op, m);

// --- what the answers must be ------------------------------------------------------------------

function expectUnauthenticated(res: Response, code: 'api_key_missing' | 'api_key_invalid' | 'admin_token_invalid'): Promise<WireError> {
  return expectError(res, { status: 401, type: 'authentication_error', code, param: null });
}

/**
 * The documented success; when the answer is an object with an id, it is the id the path named. A
 * WebSocket's answer is its first message.
 */
async function expectSuccess(op: Operation, res: Response, request: ApiRequest): Promise<any> {
  const text = res.webSocket ? await firstMessage(res.webSocket) : await res.text();
  expect(op.success, `${res.status} ${text}`).toContain(res.status);
  if (!res.webSocket && !res.headers.get('content-type')?.startsWith('application/json')) return text;
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
    ).toEqual([
      'GET /challenge/{id}/{token}',
      'GET /health',
      'GET /health/ready',
      'GET /pay/{id}',
      'GET /subscribe/{button_id}',
      'POST /challenge/{id}/{token}',
      'POST /pay/{id}',
      'POST /subscribe/{button_id}/mandates',
    ]);
    expect(byAccess('admin').length).toBeGreaterThan(0);
    expect(byAccess('api_key').map((op) => op.name)).toEqual(expect.arrayContaining(Object.keys(PUBLISHABLE)));
  });

  it('declare in the document the access that is enforced: none on public ones, the admin token on admin ones, the API key (Bearer or Basic) on the others', () => {
    const DOCUMENTED: Record<Access, string[]> = { public: [], admin: ['adminToken'], api_key: ['apiKey', 'apiKeyBasic'] };
    expect(OPERATIONS.filter((op) => op.documentedSchemes.join() !== DOCUMENTED[op.access].join()).map((op) => op.name)).toEqual([]);
  });

  it('all have objects this file can make for their path parameters, and a body where one is required', () => {
    const unknown = OPERATIONS.flatMap(missingRecipes);
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
        if (ref.in !== 'path') expect(foreign.param).toBe(ref.name);
      }
    }
    expect(await stateOf(owner)).toEqual(before);
  }

  if (namesObjects(op)) {
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
