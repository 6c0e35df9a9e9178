/**
 * The operations the app registers, read from its own OpenAPI document, and a real object of each
 * kind their paths name, so a table-driven test can send each operation a valid request
 * (every-route-auth.test.ts, bad-input.test.ts). A route whose path parameters these recipes cannot
 * fill, or whose body they cannot write, fails those tests until someone teaches KINDS and RECIPES
 * about it.
 */
import { createExecutionContext, env, runInDurableObject, waitOnExecutionContext } from 'cloudflare:test';
import type { Address, Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { chainsConfig } from '../../src/chain/registry.js';
import { MANDATE_TYPES } from '../../src/mandates/chain.js';
import { expect, inject } from 'vitest';
import worker from '../../src/index.js';
import { randomXpub } from '../chain/local-chain-client.js';
import { ADMIN_TOKEN, type ClientRequestInit, call as callThroughRuntime, clientRequest, type TestMerchant, waitFor } from '../helpers.js';
import { aRegisteredMandate } from '../mandates-api/factory.js';
import { openMailbox } from '../webhooks/receiver-client.js';

// --- requests to the worker ---------------------------------------------------------------------

/**
 * helpers.ts call(), but handing the request to the worker's fetch handler itself rather than
 * through exports.default.fetch: under vitest-pool-workers each request through the runtime is
 * slower than the one before it (cloudflare/workers-sdk#15446: about 6 ms at first, 370 ms after
 * 1,500), and the tables send thousands. The handler, its env and bindings are the same.
 */
export function call(path: string, init: ClientRequestInit = {}): Promise<Response> {
  return callWith(clientRequest(path, init));
}

/** A request built by the caller, handed to the worker's fetch handler the same way. */
export async function callWith(request: Request): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

export async function get(key: string, path: string) {
  const res = await call(path, { key });
  return { res, body: (await res.json()) as any };
}

export async function post(key: string, path: string, params: Record<string, unknown> = {}) {
  const res = await call(path, { key, json: params });
  return { res, body: (await res.json()) as any };
}

export async function createMerchant(name: string): Promise<TestMerchant> {
  const { res, body } = await post(ADMIN_TOKEN, '/v1/admin/merchants', { name });
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body;
}

function createIntent(key: string, params: Record<string, unknown> = {}) {
  return post(key, '/v1/payment_intents', { amount: 2000, currency: 'usd', ...params });
}

export function ok<T = any>({ res, body }: { res: Response; body: T }): T {
  expect(res.status, JSON.stringify(body)).toBeLessThan(300);
  return body;
}

// --- the operations, as the document lists them ----------------------------------------------

export interface DocParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Record<string, any>;
}

export interface DocOperation {
  security?: Record<string, string[]>[];
  parameters?: DocParameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: Record<string, any> }> };
  responses: Record<string, unknown>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, DocOperation>>;
  components?: { schemas?: Record<string, Record<string, any>> };
}

export type Access = 'public' | 'admin' | 'api_key';

export interface Operation {
  /** `METHOD /path`, as the tables name it. */
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
  /** The operation as the document gives it. */
  spec: DocOperation;
}

const PUBLIC_PATHS = [
  '/health',
  '/health/ready',
  '/challenge/{id}/{token}',
  '/pay/{id}',
  '/subscribe/{button_id}',
  '/subscribe/{button_id}/mandates',
];

function accessOf(path: string): Access {
  if (PUBLIC_PATHS.includes(path)) return 'public';
  if (path.startsWith('/v1/admin/')) return 'admin';
  return 'api_key';
}

/** GET /openapi.json, as a client gets it. */
export async function servedDocument(): Promise<OpenApiDocument> {
  const res = await callThroughRuntime('/openapi.json');
  if (res.status !== 200) throw new Error(`GET /openapi.json answered ${res.status}`);
  return (await res.json()) as OpenApiDocument;
}

export function registeredOperations(doc: OpenApiDocument): Operation[] {
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
        spec,
      };
    }),
  );
}

// --- requests -----------------------------------------------------------------------------------

export interface ApiRequest {
  path: Record<string, string>;
  query: Record<string, string>;
  body?: unknown;
  /** Sent verbatim as application/json instead of `body`. */
  rawBody?: string;
}

/** Where a request names an object: a path parameter, the list cursor `starting_after`, or a body field (a refund's payment_intent). */
export interface ObjectRef {
  in: 'path' | 'query' | 'body';
  name: string;
  id: string;
}

export interface Target {
  request: ApiRequest;
  refs: ObjectRef[];
  /** The intent the request acts on, when it acts on one. */
  intent?: any;
}

/** The operation's path with the request's path parameters filled in (each percent-encoded). */
export function pathOf(op: Operation, values: Record<string, string>): string {
  return op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`${op.name}: no value for {${name}}`);
    return encodeURIComponent(value);
  });
}

/** Sends the request as its client would: a WebSocket operation (its success is a 101) with `Upgrade: websocket`. */
export function send(op: Operation, request: ApiRequest, key?: string): Promise<Response> {
  const path = pathOf(op, request.path);
  const query = new URLSearchParams(request.query).toString();
  const url = query ? `${path}?${query}` : path;
  const upgrade: Record<string, string> = op.success.includes(101) ? { Upgrade: 'websocket' } : {};
  if (request.rawBody !== undefined) {
    return call(url, { method: op.method, key, body: request.rawBody, headers: { 'Content-Type': 'application/json', ...upgrade } });
  }
  return call(url, { method: op.method, key, json: request.body, headers: upgrade });
}

/** A WebSocket answer's first message (what a WebSocket operation documents as its 101's content); the socket is then closed. */
export function firstMessage(ws: WebSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no message on the WebSocket within 5 s')), 5_000);
    ws.addEventListener('message', (e) => {
      clearTimeout(timer);
      ws.close(1000, 'read');
      resolve(e.data as string);
    });
    ws.accept();
  });
}

// --- fixtures: a real object of each kind, owned by the operation's merchant (test mode) ----------

interface Fixture {
  values: Record<string, string>;
  intent?: any;
}

/** What one operation needs beyond a plain object of its path's kind. */
interface Recipe {
  intent?: (fixtures: RouteFixtures, m: TestMerchant) => Promise<any>;
  query?: Record<string, string>;
  /** Query parameters that name something of the object made for the path (the hosted page's client_secret). */
  queryOf?: (target: { intent?: any }) => Record<string, string>;
  body?: (fixtures: RouteFixtures, target: { intent?: any }) => unknown;
  /** Body fields that name one of the merchant's objects (another merchant's is then a 404, as an unknown one). */
  bodyRefs?: string[];
}

/** A valid test-mode debit item: 1 USDC a day, 12 times, on the payment-intent tests' chain. */
const DEBIT_ITEM = {
  name: 'Daily plan',
  network: 'testnet',
  token: 'usdc',
  payee_address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  max_price: 1_000_000,
  debit_times: 12,
  debit_interval: 1,
  pricing: 'fixed',
  redirect_url: 'https://shop.example/subscribed',
};

const RECIPES: Record<string, Recipe> = {
  'GET /v1/payment_intents/search': { query: { query: 'amount>0' } },
  'POST /v1/payment_intents': { body: () => ({ amount: 2000, currency: 'usd' }) },
  'POST /v1/payment_intents/{id}': { body: () => ({ description: 'Changed by the auth table' }) },
  'POST /v1/payment_intents/{id}/confirm': { body: () => ({ payment_method: 'pm_card_visa' }) },
  'POST /v1/payment_intents/{id}/capture': { intent: (f, m) => f.capturableIntent(m) },
  'POST /v1/test_helpers/payment_intents/{id}/fund': {
    intent: (f, m) => f.intentAwaitingTransfer(m),
    body: () => ({ amount: 100, currency: 'eur' }),
  },
  'POST /v1/payment_intents/{id}/crypto_signature': {
    intent: (f, m) => f.cryptoIntentAwaitingSignature(m),
    body: (_, { intent }) => signTransfer(intent),
  },
  'POST /v1/payment_intents/{id}/escrow_deposit': {
    intent: (f, m) => f.escrowIntentAwaitingDeposit(m),
    body: (_, { intent }) => signEscrowDeposit(intent),
  },
  // One unit at a time: every accepted request leaves most of the intent to refund.
  'POST /v1/refunds': {
    intent: (f, m) => f.paidIntent(m),
    body: (_, { intent }) => ({ payment_intent: intent.id, amount: 1 }),
    bodyRefs: ['payment_intent'],
  },
  'POST /v1/refunds/{id}': { body: () => ({ metadata: { note: 'Changed by the auth table' } }) },
  'POST /v1/checkout/sessions': {
    body: () => ({
      mode: 'payment',
      line_items: [{ price_data: { currency: 'usd', unit_amount: 2000, product_data: { name: 'Mug' } }, quantity: 1 }],
      success_url: 'https://shop.example/thanks',
    }),
  },
  'POST /v1/debit_items': { body: () => DEBIT_ITEM },
  'POST /v1/debit_items/{id}': { body: () => ({ name: 'Renamed by the auth table' }) },
  'POST /v1/mandates/{id}/debit_requests': { body: () => ({ amount: 1000 }) },
  'POST /v1/disputes/{id}': { body: () => ({ evidence: { customer_name: 'Jenny Rosen' }, submit: false }) },
  'POST /v1/webhook_endpoints': { body: (f) => ({ url: f.mailboxUrl, enabled_events: ['payment_intent.succeeded'] }) },
  'POST /v1/webhook_endpoints/{id}': { body: () => ({ description: 'Changed by the auth table' }) },
  'POST /v1/checkout_settings': { body: () => ({ frame_ancestors: ['https://shop.example'] }) },
  'POST /v1/admin/merchants': { body: () => ({ name: 'Made by the auth table' }) },
  'POST /v1/admin/merchants/{id}/crypto': { body: () => ({ xpub: randomXpub() }) },
  'POST /v1/admin/merchants/{id}/roll_keys': { body: () => ({ mode: 'test' }) },
  'POST /challenge/{id}/{token}': { body: () => ({ outcome: 'succeeded' }) },
  'GET /pay/{id}': { queryOf: ({ intent }) => ({ client_secret: intent.client_secret }) },
  'POST /pay/{id}': { body: (_, { intent }) => ({ client_secret: intent.client_secret, payment_method: 'pm_card_visa' }) },
  'POST /subscribe/{button_id}/mandates': { body: (_, { intent: item }) => signedSubscription(item) },
};

/**
 * The kinds of object a path names, by the collection segment in front of its parameters. A path
 * under any other collection fails its operation's tests until a kind is added here.
 */
const KINDS: Record<string, { params: string[]; make: (f: RouteFixtures, m: TestMerchant, op: Operation) => Promise<Fixture> }> = {
  payment_intents: {
    params: ['id'],
    make: async (f, m, op) => {
      const recipe = RECIPES[op.name]?.intent;
      const intent = recipe ? await recipe(f, m) : await f.plainIntent(m);
      return { values: { id: intent.id }, intent };
    },
  },
  events: { params: ['id'], make: async (f, m) => ({ values: { id: await f.anEvent(m) } }) },
  /** The charge of a card payment. */
  charges: {
    params: ['id'],
    make: async (_, m) => ({
      values: { id: ok(await createIntent(m.keys.test.secret, { payment_method: 'pm_card_visa', confirm: true })).latest_charge },
    }),
  },
  sessions: { params: ['id'], make: async (f, m) => ({ values: { id: await f.aCheckoutSession(m) } }) },
  debit_items: {
    params: ['id'],
    make: async (_, m) => ({ values: { id: ok(await post(m.keys.test.secret, '/v1/debit_items', DEBIT_ITEM)).id } }),
  },
  /** A Dynamic mandate registered through the service seam (test/mandates-api/factory.ts). */
  mandates: { params: ['id'], make: async (_, m) => ({ values: { id: (await aRegisteredMandate(m)).id } }) },
  /** The dispute of a payment with pm_card_createDispute (disputed as soon as it succeeds). */
  disputes: {
    params: ['id'],
    make: async (_, m) => {
      const paid = ok(await createIntent(m.keys.test.secret, { payment_method: 'pm_card_createDispute', confirm: true }));
      return { values: { id: ok(await get(m.keys.test.secret, `/v1/disputes?payment_intent=${paid.id}`)).data[0].id } };
    },
  },
  webhook_endpoints: { params: ['id'], make: async (f, m) => ({ values: { id: await f.anEndpoint(m) } }) },
  refunds: { params: ['id'], make: async (f, m) => ({ values: { id: await f.aPendingRefund(m) } }) },
  webhook_deliveries: { params: ['id'], make: async (f, m) => ({ values: { id: await f.aDelivery(m) } }) },
  merchants: { params: ['id'], make: async (_, m) => ({ values: { id: m.id } }) },
  challenge: { params: ['id', 'token'], make: async (f, m) => ({ values: await f.aChallenge(m) }) },
  /** The subscribe page of a debit item: its button id is the page's credential. */
  subscribe: {
    params: ['button_id'],
    // On the mandates' network (both contracts deployed), so a signed mandate can be registered.
    make: async (_, m) => {
      const item = ok(await post(m.keys.test.secret, '/v1/debit_items', { ...DEBIT_ITEM, network: 'mandates' }));
      return { values: { button_id: item.button_id }, intent: item };
    },
  },
  /** The hosted payment page of an intent (its client secret in the query or the form). */
  pay: {
    params: ['id'],
    make: async (f, m) => {
      const intent = await f.plainIntent(m);
      return { values: { id: intent.id }, intent };
    },
  },
};

function kindOf(op: Operation, collection: string) {
  const kind = KINDS[collection];
  if (!kind) throw new Error(`${op.name}: no fixture for objects of "${collection}"; add the kind to KINDS`);
  return kind;
}

/** The collection in front of the path's first parameter, or null for a path without any. */
export function pathCollection(op: Operation): string | null {
  if (op.pathParams.length === 0) return null;
  const segments = op.path.split('/');
  return segments[segments.findIndex((s) => s.startsWith('{')) - 1]!;
}

/** Whether a request of the operation names one of the merchant's objects (in its path, its cursor, its body). */
export function namesObjects(op: Operation): boolean {
  return (
    op.pathParams.length > 0 || op.queryParams.some((p) => p.name === 'starting_after') || (RECIPES[op.name]?.bodyRefs ?? []).length > 0
  );
}

/** Why these recipes cannot make a valid request for the operation (an empty list: they can). */
export function missingRecipes(op: Operation): string[] {
  const collection = pathCollection(op);
  const kind = collection === null ? undefined : KINDS[collection];
  const problems: string[] = [];
  if (collection !== null && (!kind || kind.params.join() !== op.pathParams.map((p) => p.name).join())) problems.push(`${op.name}: path`);
  if (op.bodyRequired && !RECIPES[op.name]?.body) problems.push(`${op.name}: body`);
  return problems;
}

/** A new payer's signed mandate for the item (its wire form), as the subscribe page posts it: valid for an hour from now. */
async function signedSubscription(item: any) {
  const account = privateKeyToAccount(generatePrivateKey());
  const contract = chainsConfig(env).get(item.network)!.connected_wallets_contract!;
  const start = Math.floor(Date.now() / 1000);
  const salt = `0x${'5a'.repeat(32)}` as Hex;
  const signature = await account.signTypedData({
    domain: { name: 'ConnectedWallets', version: '1', chainId: item.chain_id, verifyingContract: contract },
    types: MANDATE_TYPES,
    primaryType: 'Mandate',
    message: {
      payer: account.address,
      payee: item.payee_address,
      token: item.token.address,
      maxAmount: BigInt(item.max_price),
      debitTimes: item.debit_times,
      interval: BigInt(item.debit_interval_seconds),
      start: BigInt(start),
      validBefore: BigInt(start + 3600),
      salt,
    },
  });
  return { account_type: 'connected_wallet', payer: account.address, start, valid_before: start + 3600, salt, signature };
}

/** A valid payer signature over the intent's typed data (anvil's account 5 signs; any payer may). */
/** A payer's signed Deposit for an escrowed intent (anvil account 5 of escrowpay, which never approved: the relayer's deposit would revert, and is not sent). */
async function signEscrowDeposit(intent: any): Promise<{ signature: Hex; signer: Address }> {
  const typed = intent.next_action.crypto_escrow_deposit.typed_data;
  const account = privateKeyToAccount(inject('escrowIntentsChain').accounts[5]!.privateKey);
  const message = { ...typed.message, payer: account.address };
  const signature = await account.signTypedData({ ...typed, message } as Parameters<typeof account.signTypedData>[0]);
  return { signature, signer: account.address };
}

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

/** Makes the objects; remembers the crypto intents it made, which watch the chain until canceled. */
export class RouteFixtures {
  private readonly cryptoIntents: { key: string; id: string }[] = [];
  private readonly merchantsWithXpub = new Set<string>();

  private constructor(
    /** A mailbox of the test webhook receiver, where endpoints made here deliver. */
    readonly mailboxUrl: string,
  ) {}

  static async open(): Promise<RouteFixtures> {
    return new RouteFixtures((await openMailbox({ secrets: [] })).url);
  }

  /** A crypto intent waiting for its payer watches the chain until it expires: stop that. */
  async cancelCryptoIntents(): Promise<void> {
    for (const { key, id } of this.cryptoIntents.splice(0)) await post(key, `/v1/payment_intents/${id}/cancel`);
  }

  async plainIntent(m: TestMerchant) {
    return ok(await createIntent(m.keys.test.secret));
  }

  async capturableIntent(m: TestMerchant) {
    const intent = ok(await createIntent(m.keys.test.secret, { capture_method: 'manual', payment_method: 'pm_card_visa', confirm: true }));
    expect(intent.status).toBe('requires_capture');
    return intent;
  }

  /** A customer_balance intent waiting for a bank transfer (the fund test helper's object). */
  async intentAwaitingTransfer(m: TestMerchant) {
    const intent = ok(
      await createIntent(m.keys.test.secret, {
        amount: 100_000,
        currency: 'eur',
        payment_method_types: ['customer_balance'],
        payment_method: 'pm_customer_balance',
        confirm: true,
      }),
    );
    expect(intent.next_action?.type).toBe('display_bank_transfer_instructions');
    return intent;
  }

  /** An intent paid in full with pm_card_visa (2000 usd): refundable. */
  async paidIntent(m: TestMerchant) {
    const intent = ok(await createIntent(m.keys.test.secret, { payment_method: 'pm_card_visa', confirm: true }));
    expect(intent.status).toBe('succeeded');
    return intent;
  }

  /**
   * A refund that stays pending: its settle timer (due 400 ms after it, in the tests) is taken out of
   * its intent's object, so that it can still be canceled and nothing about it changes on its own
   * while a table compares the merchant's state. Tried again should the timer have fired first.
   */
  async aPendingRefund(m: TestMerchant): Promise<string> {
    const sk = m.keys.test.secret;
    const intent = await this.paidIntent(m);
    for (let attempt = 0; attempt < 5; attempt++) {
      const refund = ok(await post(sk, '/v1/refunds', { payment_intent: intent.id, amount: 1 }));
      await runInDurableObject(env.INTENTS.get(env.INTENTS.idFromName(intent.id)), async (_instance, state) => {
        state.storage.sql.exec(`DELETE FROM timers WHERE kind = 'refund' AND key = ?`, refund.id);
      });
      if (ok(await get(sk, `/v1/refunds/${refund.id}`)).status === 'pending') return refund.id;
    }
    throw new Error('every refund settled before its timer could be taken out');
  }

  /** A confirmed crypto intent whose next_action asks the payer to sign its typed data. */
  async escrowIntentAwaitingDeposit(m: TestMerchant) {
    const sk = m.keys.test.secret;
    if (!this.merchantsWithXpub.has(m.id)) {
      ok(await post(ADMIN_TOKEN, `/v1/admin/merchants/${m.id}/crypto`, { xpub: randomXpub() }));
      this.merchantsWithXpub.add(m.id);
    }
    const created = ok(
      await createIntent(sk, {
        amount: 1099,
        capture_method: 'manual',
        payment_method_types: ['crypto'],
        payment_method_options: { crypto: { network: 'escrowpay', token: 'usdc' } },
      }),
    );
    this.cryptoIntents.push({ key: sk, id: created.id });
    const confirmed = ok(await post(sk, `/v1/payment_intents/${created.id}/confirm`));
    expect(confirmed.next_action.type).toBe('crypto_escrow_deposit');
    return confirmed;
  }

  async cryptoIntentAwaitingSignature(m: TestMerchant) {
    const sk = m.keys.test.secret;
    if (!this.merchantsWithXpub.has(m.id)) {
      ok(await post(ADMIN_TOKEN, `/v1/admin/merchants/${m.id}/crypto`, { xpub: randomXpub() }));
      this.merchantsWithXpub.add(m.id);
    }
    const created = ok(
      await createIntent(sk, {
        amount: 1099,
        payment_method_types: ['crypto'],
        payment_method_options: { crypto: { network: 'testnet', token: 'usdc' } },
      }),
    );
    this.cryptoIntents.push({ key: sk, id: created.id });
    const confirmed = ok(await post(sk, `/v1/payment_intents/${created.id}/confirm`));
    expect(confirmed.next_action.type).toBe('crypto_transfer');
    return confirmed;
  }

  /** An open Checkout Session of one item. */
  async aCheckoutSession(m: TestMerchant): Promise<string> {
    return ok(
      await post(
        m.keys.test.secret,
        '/v1/checkout/sessions',
        (RECIPES['POST /v1/checkout/sessions']!.body as () => unknown)() as Record<string, unknown>,
      ),
    ).id;
  }

  async anEvent(m: TestMerchant): Promise<string> {
    const intent = await this.plainIntent(m);
    const events = ok(await get(m.keys.test.secret, '/v1/events?limit=100'));
    const created = events.data.find((e: any) => e.data.object.id === intent.id && e.type === 'payment_intent.created');
    expect(created, JSON.stringify(events)).toBeDefined();
    return created.id;
  }

  async anEndpoint(m: TestMerchant, enabledEvents = ['payment_intent.succeeded']): Promise<string> {
    return ok(await post(m.keys.test.secret, '/v1/webhook_endpoints', { url: this.mailboxUrl, enabled_events: enabledEvents })).id;
  }

  /** A delivery that reached the test receiver: its endpoint takes only payment_intent.created. */
  async aDelivery(m: TestMerchant): Promise<string> {
    const endpoint = await this.anEndpoint(m, ['payment_intent.created']);
    await this.plainIntent(m);
    let deliveries: any[] = [];
    await waitFor(async () => {
      deliveries = ok(await get(m.keys.test.secret, `/v1/webhook_endpoints/${endpoint}/deliveries`)).data;
      return deliveries.length === 1 && deliveries[0].status === 'succeeded';
    }, 10_000);
    return deliveries[0].id;
  }

  /** An intent sent to a 3-D Secure challenge: its link's id and single-use token. */
  async aChallenge(m: TestMerchant) {
    const sk = m.keys.test.secret;
    const created = await this.plainIntent(m);
    const intent = ok(
      await post(sk, `/v1/payment_intents/${created.id}/confirm`, {
        payment_method: 'pm_card_threeDSecure2Required',
        return_url: 'https://shop.example/return',
      }),
    );
    const [, , id, token] = new URL(intent.next_action.redirect_to_url.url).pathname.split('/');
    return { id: id!, token: token! };
  }

  /** A valid request for the operation on fresh objects of merchant `m`, and where it names them. */
  async prepare(op: Operation, m: TestMerchant): Promise<Target> {
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
      const fixture = await kind.make(this, m, op);
      request.path = fixture.values;
      intent = fixture.intent;
      if (op.access === 'api_key') refs.push({ in: 'path', name: 'id', id: fixture.values.id! });
    } else if (op.queryParams.some((p) => p.name === 'starting_after')) {
      // A top-level list: its cursor names an object of the listed kind.
      const listed = op.path.split('/').at(-1)!;
      const fixture = await kindOf(op, listed).make(this, m, op);
      refs.push({ in: 'query', name: 'starting_after', id: fixture.values.id! });
    }

    // A top-level operation on one of the merchant's intents (a refund): the intent its body names.
    if (collection === null && recipe.intent) intent = await recipe.intent(this, m);
    if (recipe.queryOf) Object.assign(request.query, recipe.queryOf({ intent }));
    const missing = op.queryParams.filter((p) => p.required && request.query[p.name] === undefined);
    if (missing.length > 0) throw new Error(`${op.name}: needs query ${missing.map((p) => p.name).join(', ')}; add it to RECIPES`);
    if (recipe.body) request.body = await recipe.body(this, { intent });
    else if (op.bodyRequired) throw new Error(`${op.name}: needs a body; add a minimal valid one to RECIPES`);
    if (op.access === 'api_key') {
      for (const name of recipe.bodyRefs ?? []) refs.push({ in: 'body', name, id: (request.body as Record<string, string>)[name]! });
    }
    return { request, refs, intent };
  }
}

/** Everything the merchant's secret keys read, in both modes (each read must succeed: the keys still work). */
export async function stateOf(m: TestMerchant): Promise<Record<string, unknown>> {
  const state: Record<string, unknown> = {};
  const read = async (key: string, path: string) => {
    const { res, body } = await get(key, path);
    expect(res.status, `${path}: ${JSON.stringify(body)}`).toBe(200);
    state[`${key.slice(0, 8)} ${path}`] = body;
    return body;
  };
  for (const key of [m.keys.test.secret, m.keys.live.secret]) {
    for (const path of [
      '/v1/payment_intents?limit=100',
      '/v1/checkout/sessions?limit=100',
      '/v1/debit_items?limit=100',
      '/v1/mandates?limit=100',
      '/v1/disputes?limit=100',
      '/v1/refunds?limit=100',
      '/v1/charges?limit=100',
      '/v1/events?limit=100',
      '/v1/notification_secret',
      '/v1/crypto_settings',
    ]) {
      await read(key, path);
    }
    const endpoints = await read(key, '/v1/webhook_endpoints?limit=100');
    for (const endpoint of endpoints.data) await read(key, `/v1/webhook_endpoints/${endpoint.id}/deliveries?limit=100`);
  }
  return state;
}
