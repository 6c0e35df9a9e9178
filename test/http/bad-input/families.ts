/**
 * The API families other than the canonical one, as the generated bad-input suite
 * (families.test.ts) sends them requests: each one's own OpenAPI document, credentials, a valid
 * request for each of its operations, and how its error envelope reads (its status, the parameter it
 * names). Adding a family is adding an entry to FAMILIES.
 */
import type { Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { expect } from 'vitest';
import { REASONS as AMPLIFY_REASONS } from '../../../src/compat/amplify/errors.js';
import { CODES as FINTERNET_CODES } from '../../../src/compat/finternet/errors.js';
import type { FamilyRules } from './cases.js';
import { CREATE_EXAMPLE as PAYTREE_CREATE } from '../../../src/compat/paytree/examples.js';
import { randomXpub } from '../../chain/local-chain-client.js';
import { ADMIN_TOKEN, call as callThroughRuntime, type TestMerchant } from '../../helpers.js';
import { aRegisteredMandate } from '../../mandates-api/factory.js';
import { type ApiRequest, get, type Operation, ok, post } from '../route-fixtures.js';

/** A refusal as the family's envelope says it: the parameters it names (in its spelling, dotted), and whether it is about parameters. */
export interface Refusal {
  params: string[];
  aboutParameters: boolean;
}

export interface Family {
  name: string;
  /** Where the family is mounted: every path under it is the family's (an unknown one its 404). */
  prefix: string;
  document: string;
  /** The headers that authenticate an operation that needs them (its document's `security` is not empty). */
  credentials(m: TestMerchant): Record<string, string>;
  /** A valid request for the operation, on fresh objects of merchant `m`. */
  prepare(op: Operation, m: TestMerchant): Promise<ApiRequest>;
  /** Operations whose success uses up their object: the next request needs a fresh one. */
  usedUpBySuccess: string[];
  /** What the family decides that its document cannot say (cases.ts). */
  rules?: FamilyRules;
  /** The refusal in the family's envelope; what is wrong with it is pushed on `v`. */
  refusal(status: number, body: unknown, v: string[]): Refusal | undefined;
}

const isObject = (value: unknown): value is Record<string, any> => value !== null && typeof value === 'object' && !Array.isArray(value);
const sameKeys = (value: Record<string, unknown>, keys: string[]) => Object.keys(value).sort().join() === [...keys].sort().join();

/** Merchants given a watch-only xpub (each family's intents need a deposit address). */
const withXpub = new Set<string>();
async function giveXpub(m: TestMerchant): Promise<void> {
  if (withXpub.has(m.id)) return;
  ok(await post(ADMIN_TOKEN, `/v1/admin/merchants/${m.id}/crypto`, { xpub: randomXpub() }));
  withXpub.add(m.id);
}

const FINTERNET_ORDER = {
  amount: '10.50',
  currency: 'USDC',
  type: 'DELIVERY_VS_PAYMENT',
  settlementMethod: 'OFF_RAMP_MOCK',
  settlementDestination: '9876543210',
  metadata: { orderId: 'ORD-123' },
};

async function finternetIntent(m: TestMerchant): Promise<any> {
  await giveXpub(m);
  const res = await callThroughRuntime('/finternet/v1/payment-intents', {
    headers: { 'X-API-Key': m.keys.test.secret },
    json: FINTERNET_ORDER,
  });
  const body = (await res.json()) as any;
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body;
}

/** The chain Finternet's intents are made on by default. */
async function finternetChain(m: TestMerchant): Promise<number> {
  return (await finternetIntent(m)).data.chainId;
}

/** A payer's valid EIP-712 signature over the intent's typed data (any payer may sign). */
async function finternetSignature(intent: any): Promise<{ signature: Hex; signerAddress: Hex }> {
  const typed = intent.data.typedData;
  const account = privateKeyToAccount(generatePrivateKey());
  const fields: { name: string; type: string }[] = typed.types[typed.primaryType];
  const message = Object.fromEntries(
    Object.entries(typed.message).map(([k, v]) => [k, fields.find((f) => f.name === k)?.type.startsWith('uint') ? BigInt(v as string) : v]),
  );
  const signature = await account.signTypedData({ domain: typed.domain, types: typed.types, primaryType: typed.primaryType, message });
  return { signature, signerAddress: account.address };
}

const finternet: Family = {
  name: 'Finternet (004_…)',
  prefix: '/finternet',
  document: '/finternet/openapi.json',
  credentials: (m) => ({ 'X-API-Key': m.keys.test.secret }),
  async prepare(op, m) {
    // With the chain named, as a client that picks one sends it (a number in JSON, digits in a form).
    if (op.name === 'POST /finternet/v1/payment-intents')
      return { path: {}, query: {}, body: { ...FINTERNET_ORDER, chainId: await finternetChain(m) } };
    const intent = await finternetIntent(m);
    const request: ApiRequest = { path: { intentId: intent.id }, query: {} };
    if (op.name.endsWith('/signature')) request.body = await finternetSignature(intent);
    return request;
  },
  usedUpBySuccess: ['POST /finternet/v1/payment-intents/{intentId}/signature', 'POST /finternet/v1/payment-intents/{intentId}/cancel'],
  refusal(status, body, v) {
    if (!isObject(body) || !sameKeys(body, ['error']) || !isObject(body.error)) return void v.push('the answer is not {"error": …}');
    const e = body.error;
    const known = Object.hasOwn(FINTERNET_CODES, e.code) ? FINTERNET_CODES[e.code as keyof typeof FINTERNET_CODES] : undefined;
    if (!known) v.push(`error.code ${JSON.stringify(e.code)} is not one of the family's`);
    else {
      if (known.status !== status) v.push(`error.code ${e.code} with status ${status}`);
      if (known.type !== e.type) v.push(`error.type ${JSON.stringify(e.type)} for ${e.code}`);
    }
    if (typeof e.message !== 'string' || e.message === '') v.push('error.message is not a message');
    if (Object.keys(e).some((k) => !['code', 'message', 'type', 'param'].includes(k))) v.push('error has fields the envelope does not');
    if ('param' in e && typeof e.param !== 'string') v.push('error.param is there but not a string');
    return {
      params: typeof e.param === 'string' ? [e.param] : [],
      aboutParameters: ['parameter_missing', 'parameter_invalid', 'parameter_unknown'].includes(e.code),
    };
  },
};

const amplify: Family = {
  name: 'Amplify (000_…)',
  prefix: '/amplify',
  document: '/amplify/openapi.json',
  credentials: (m) => ({ apiKey: m.keys.test.secret, clientId: m.id }),
  async prepare(op, m): Promise<ApiRequest> {
    const body = { receiverId: 'receiver-identification', metadata: { key: 'Value' } };
    if (op.name === 'POST /amplify/payment_intent') {
      await giveXpub(m);
      return { path: {}, query: {}, body };
    }
    await giveXpub(m);
    const res = await callThroughRuntime('/amplify/payment_intent', { headers: amplify.credentials(m), json: body });
    const made = (await res.json()) as any;
    expect(res.status, JSON.stringify(made)).toBe(200);
    if (op.name === 'POST /amplify/payment_intent/status') return { path: {}, query: {}, body: { clientSecret: made.clientSecret } };
    return { path: { clientSecret: made.clientSecret }, query: {} };
  },
  usedUpBySuccess: [],
  refusal(status, body, v) {
    if (!isObject(body) || !sameKeys(body, ['statusCode', 'message', 'error', 'param'])) {
      return void v.push('the answer is not {statusCode, message, error, param}');
    }
    if (body.statusCode !== status) v.push(`statusCode ${JSON.stringify(body.statusCode)} with status ${status}`);
    const reason = (AMPLIFY_REASONS as Record<number, string>)[status];
    if (reason === undefined || body.error !== reason) v.push(`error ${JSON.stringify(body.error)} with status ${status}`);
    if (typeof body.message !== 'string' || body.message === '') v.push('message is not a message');
    if (body.param !== null && typeof body.param !== 'string') v.push('param is neither a string nor null');
    const params = typeof body.param === 'string' ? [body.param] : [];
    return { params, aboutParameters: status === 400 && params.length > 0 };
  },
};

const debitLlama: Family = {
  name: 'DebitLlama (002_…)',
  prefix: '/api/v1',
  document: '/api/v1/openapi.json',
  credentials: (m) => ({ Authorization: `Bearer ${m.keys.test.secret}` }),
  async prepare(op, m): Promise<ApiRequest> {
    if (op.pathParams.length === 0) return { path: {}, query: {} };
    // One mandate gives both: its on-chain id and its debit item's button.
    await aRegisteredMandate(m);
    const sk = m.keys.test.secret;
    if (op.name === 'GET /api/v1/payment_intents/{payment_intent}') {
      const listed = ok(await get(sk, '/api/v1/payment_intents?sort_by=created_at'));
      return { path: { payment_intent: listed.paymentIntents[0].payment_intent }, query: {} };
    }
    const items = ok(await get(sk, '/api/v1/items'));
    return { path: { button_id: items.items[0].button_id }, query: {} };
  },
  usedUpBySuccess: [],
  refusal(status, body, v) {
    if (!isObject(body) || !sameKeys(body, ['_self', '_version', '_description', '_links', 'error']) || !isObject(body.error)) {
      return void v.push('the answer is not {_self, _version, _description, _links, error}');
    }
    const e = body.error;
    if (!sameKeys(e, ['message', 'status', 'timestamp', 'parameter'])) v.push('error is not {message, status, timestamp, parameter}');
    if (e.status !== status) v.push(`error.status ${JSON.stringify(e.status)} with status ${status}`);
    if (typeof e.message !== 'string' || e.message === '') v.push('error.message is not a message');
    if (typeof e.timestamp !== 'string' || Number.isNaN(Date.parse(e.timestamp))) v.push('error.timestamp is not a date');
    if (e.parameter !== null && typeof e.parameter !== 'string') v.push('error.parameter is neither a string nor null');
    const params = typeof e.parameter === 'string' ? [e.parameter] : [];
    return { params, aboutParameters: status === 400 && params.length > 0 };
  },
};

/**
 * Django REST framework's envelope (Paytree, 001_…): `{"field": ["message", …]}` for the fields at
 * fault (all of them at once; nested for nested fields, a list's items as a list of such objects,
 * `{}` for an item without errors; `non_field_errors` for an object as a whole), `{"detail": "…"}`
 * for anything else.
 */
export function drfRefusal(status: number, body: unknown, v: string[]): Refusal | undefined {
  if (!isObject(body) || Object.keys(body).length === 0) return void v.push('the answer is not a DRF error object');
  if (sameKeys(body, ['detail'])) {
    if (typeof body.detail !== 'string' || body.detail === '') v.push('detail is not a message');
    return { params: [], aboutParameters: false };
  }
  if (status !== 400) v.push(`field errors with status ${status}`);
  const params: string[] = [];
  const walk = (at: unknown, path: string[]) => {
    if (Array.isArray(at) && at.every((m) => typeof m === 'string')) {
      if (at.length === 0 || at.some((m) => m === '')) v.push(`${path.join('.')} holds no message`);
      const named = path.at(-1) === 'non_field_errors' ? path.slice(0, -1) : path;
      if (named.length > 0) params.push(named.join('.'));
    } else if (Array.isArray(at)) {
      for (const [i, item] of at.entries()) walk(item, [...path, String(i)]);
    } else if (isObject(at)) for (const [key, value] of Object.entries(at)) walk(value, [...path, key]);
    else v.push(`${path.join('.')} is neither messages nor fields`);
  };
  walk(body, []);
  return { params, aboutParameters: params.length > 0 };
}

/** Paytree's documented create, with a transaction_ref of its own (a reused one is refused) and no notification_url (nobody listens). */
function paytreeOrder() {
  const { notification_url: _, ...callback } = PAYTREE_CREATE.callback;
  return { ...PAYTREE_CREATE, transaction_ref: `ORDER-${crypto.randomUUID()}`, callback };
}

const PAYTREE_COLLECTION = '/paytree/v1/transaction/payment_intent/';

const paytree: Family = {
  name: 'Paytree (001_…)',
  prefix: '/paytree',
  document: '/paytree/openapi.json',
  credentials: (m) => ({ Authorization: `Token ${m.keys.test.secret}` }),
  async prepare(op, m): Promise<ApiRequest> {
    if (op.method === 'POST') return { path: {}, query: {}, body: paytreeOrder() };
    if (op.pathParams.length === 0) return { path: {}, query: {} };
    const res = await callThroughRuntime(PAYTREE_COLLECTION, { headers: paytree.credentials(m), json: paytreeOrder() });
    const made = (await res.json()) as any;
    expect(res.status, JSON.stringify(made)).toBe(201);
    return { path: { id: made.id }, query: {} };
  },
  // Each success takes its transaction_ref: the next request needs another.
  usedUpBySuccess: [`POST ${PAYTREE_COLLECTION}`],
  // Unknown fields and query parameters are ignored, as DRF does (the README's Paytree section).
  rules: { ignoresUnknownParameters: true },
  refusal: drfRefusal,
};

/** The families under test: one entry each. */
export const FAMILIES: Family[] = [amplify, finternet, debitLlama, paytree];
