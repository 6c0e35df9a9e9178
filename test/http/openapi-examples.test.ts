/**
 * The examples of the served OpenAPI document are valid for their operations: each success
 * response's example parses with the route's response schema (nothing missing, nothing extra), each
 * request body's example (JSON and form alike) with the route's body schema, each parameter's
 * example with the route's parameter schema. The routes are the exported route configs, checked to
 * be exactly the document's operations; the examples are read from the document, as clients get it.
 */
import type { RouteConfig } from '@hono/zod-openapi';
import { verifyTypedData } from 'viem';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import * as admin from '../../src/api/admin/index.js';
import * as chargeRoutes from '../../src/api/stripe/charges/routes.js';
import * as checkoutSettings from '../../src/api/stripe/checkout-settings/index.js';
import * as checkoutSessionRoutes from '../../src/api/stripe/checkout-sessions/routes.js';
import * as debitItemRoutes from '../../src/api/stripe/debit-items/routes.js';
import * as mandateRoutes from '../../src/api/stripe/mandates/routes.js';
import * as disputeRoutes from '../../src/api/stripe/disputes/routes.js';
import * as cryptoSettings from '../../src/api/stripe/crypto-settings/index.js';
import * as eventRoutes from '../../src/api/stripe/events/routes.js';
import * as examples from '../../src/api/stripe/examples.js';
import * as paymentIntentRoutes from '../../src/api/stripe/payment-intents/routes.js';
import * as refundRoutes from '../../src/api/stripe/refunds/routes.js';
import * as webhookRoutes from '../../src/api/stripe/webhooks/routes.js';
import * as testHelperRoutes from '../../src/api/stripe/test-helpers/routes.js';
import { depositAddress } from '../../src/chain/addresses.js';
import * as app from '../../src/http/app.js';
import { readBody } from '../../src/http/body.js';
import { INTENT_ID_PATTERN } from '../../src/lib/ids.js';
import { bigintAsString } from '../../src/lib/json.js';
import { sha256Hex } from '../../src/lib/secrets.js';
import { API_KEY_PATTERN } from '../../src/merchants/keys.js';
import * as challenge from '../../src/pages/challenge.js';
import * as checkoutPage from '../../src/pages/checkout/routes.js';
import * as subscribePage from '../../src/pages/subscribe/routes.js';
import { servedDocument } from './openapi-document.js';

const ROUTES: RouteConfig[] = [
  app.health,
  app.ready,
  ...Object.values(paymentIntentRoutes),
  ...Object.values(chargeRoutes),
  ...Object.values(checkoutSessionRoutes),
  ...Object.values(debitItemRoutes),
  ...Object.values(mandateRoutes),
  ...Object.values(disputeRoutes),
  ...Object.values(eventRoutes),
  ...Object.values(webhookRoutes),
  ...Object.values(testHelperRoutes),
  ...Object.values(refundRoutes),
  cryptoSettings.retrieve,
  checkoutSettings.retrieve,
  checkoutSettings.update,
  admin.createMerchantRoute,
  admin.setXpubRoute,
  admin.rollKeysRoute,
  challenge.show,
  challenge.answer,
  checkoutPage.show,
  checkoutPage.pay,
  subscribePage.show,
  subscribePage.subscribeRoute,
];

type Json = Record<string, any>;
const nameOf = (route: RouteConfig) => `${route.method.toUpperCase()} ${route.path}`;
const operationOf = (doc: Json, route: RouteConfig): Json => doc.paths[route.path][route.method];
const schemaOf = (media: unknown) => (media as { schema: z.ZodType }).schema;

/** What is wrong with `example` for `schema`, or null. `exact`: parsing must give it back unchanged (no field stripped). */
function problemOf(schema: z.ZodType, example: unknown, exact: boolean): string | null {
  if (example === undefined) return 'no example';
  const result = schema.safeParse(example);
  if (!result.success) return result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  if (exact && sortedJson(result.data) !== sortedJson(example)) return 'fields the schema does not declare';
  return null;
}

/** JSON with every object's keys sorted: equal for equal values, whatever order the keys were made in. */
function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/**
 * A body form-encoded as the reference page's curl example sends it (Scalar: nested keys joined with
 * ".", an array as its key repeated), not as the API's bracket notation: an example that the page
 * would turn into a different request must fail here.
 */
function asReferencePageForm(body: Record<string, unknown>): string {
  const form = new URLSearchParams();
  const add = (key: string, value: unknown): void => {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) for (const item of value) form.append(key, String(item));
    else if (typeof value === 'object') for (const [k, v] of Object.entries(value)) add(`${key}.${k}`, v);
    else form.append(key, String(value));
  };
  for (const [key, value] of Object.entries(body)) add(key, value);
  return form.toString();
}

/**
 * Bodies with an array of objects (a Checkout Session's line_items), which the page's form encoding
 * cannot spell (each item would be "[object Object]"): their curl example is right only as JSON.
 * Their form encoding (line_items[0][price_data][currency]=usd) is tested in test/checkout/. A
 * dispute's evidence is a hash the page would spell evidence.uncategorized_text; its form encoding
 * (evidence[uncategorized_text]=…, what the stripe SDK sends) is tested in test/disputes/. A refund
 * update's one parameter is its metadata, a map the page would spell metadata.ticket; its form
 * encoding (metadata[ticket]=…, what the stripe SDK sends) is tested in test/refunds/. An escrow
 * deposit's permit is a hash the page would spell permit.deadline; its form spelling is permit[deadline]=….
 */
const NO_PAGE_FORM = [
  'POST /v1/checkout/sessions',
  'POST /v1/disputes/{id}',
  'POST /v1/refunds/{id}',
  'POST /v1/payment_intents/{id}/escrow_deposit',
];

describe('OpenAPI examples', () => {
  it('are checked here for every operation of the document', async () => {
    const doc = await servedDocument();
    const documented = Object.entries<Json>(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(ROUTES.map(nameOf).sort()).toEqual(documented.sort());
    expect(ROUTES.length).toBeGreaterThanOrEqual(25);
  });

  it("give every success response an example that the route's response schema accepts, field for field (a WebSocket's 101: its messages)", async () => {
    const doc = await servedDocument();
    const problems: string[] = [];
    let checked = 0;
    for (const route of ROUTES) {
      for (const [status, response] of Object.entries(route.responses)) {
        if (!/^(2\d\d|101)$/.test(status) || !('content' in response) || !response.content) continue;
        for (const [type, media] of Object.entries(response.content)) {
          const example = operationOf(doc, route).responses[status].content[type].example;
          const problem = problemOf(schemaOf(media), example, type === 'application/json');
          if (problem) problems.push(`${nameOf(route)} ${status} ${type}: ${problem}`);
          checked += 1;
        }
      }
    }
    expect(problems).toEqual([]);
    // Every route has a success with content, but for those that only ever redirect (the hosted page's form: 303).
    const redirectOnly = ROUTES.filter((route) => Object.keys(route.responses).every((status) => !/^(2\d\d|101)$/.test(status)));
    expect(redirectOnly.map(nameOf)).toEqual(['POST /pay/{id}']);
    expect(checked).toBeGreaterThanOrEqual(ROUTES.length - redirectOnly.length);
  });

  it("give every request body an example, for JSON and form encoding alike, that the route's body schema accepts", async () => {
    const doc = await servedDocument();
    const problems: string[] = [];
    let checked = 0;
    for (const route of ROUTES) {
      const media = route.request?.body?.content['application/json'];
      if (!media) continue;
      const content = operationOf(doc, route).requestBody.content;
      expect(Object.keys(content).sort()).toEqual(['application/json', 'application/x-www-form-urlencoded']);
      for (const type of Object.keys(content)) {
        const problem = problemOf(schemaOf(media), content[type].example, false);
        if (problem) problems.push(`${nameOf(route)} ${type}: ${problem}`);
      }
      checked += 1;
    }
    expect(problems).toEqual([]);
    const withBody = Object.values<Json>(doc.paths).flatMap((item) => Object.values<Json>(item).filter((op) => op.requestBody));
    expect(checked).toBe(withBody.length);
  });

  it("give request bodies that mean the same in the reference page's form-encoded curl example", async () => {
    const doc = await servedDocument();
    const problems: string[] = [];
    for (const route of ROUTES) {
      const media = route.request?.body?.content['application/json'];
      if (!media || NO_PAGE_FORM.includes(nameOf(route))) continue;
      const example = operationOf(doc, route).requestBody.content['application/x-www-form-urlencoded'].example;
      const form = asReferencePageForm(example);
      const sent = new Request('http://pay.test/', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: form,
      });
      const [asJson, asForm] = [schemaOf(media).safeParse(example), schemaOf(media).safeParse(await readBody(sent))];
      if (!asForm.success || JSON.stringify(asForm.data, bigintAsString) !== JSON.stringify(asJson.data, bigintAsString)) {
        problems.push(`${nameOf(route)}: ${form} is not the example`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("give every path parameter an example, which the route's parameter schema accepts (query parameters' too)", async () => {
    const doc = await servedDocument();
    const problems: string[] = [];
    let pathParameters = 0;
    let exampledPathParameters = 0;
    for (const route of ROUTES) {
      const parameters: Json[] = operationOf(doc, route).parameters ?? [];
      for (const [where, schema] of [
        ['path', route.request?.params],
        ['query', route.request?.query],
      ] as const) {
        // On the parameter or, as zod-openapi writes it, on the parameter's schema.
        const exampled = parameters
          .filter((p) => p.in === where)
          .flatMap((p) => ((p.example ?? p.schema?.example) === undefined ? [] : [[p.name, p.example ?? p.schema.example]]));
        if (where === 'path') {
          pathParameters += parameters.filter((p) => p.in === 'path').length;
          exampledPathParameters += exampled.length;
        }
        if (!schema || exampled.length === 0) continue;
        const problem = problemOf(schema as z.ZodType, Object.fromEntries(exampled), false);
        if (problem) problems.push(`${nameOf(route)} ${where}: ${problem}`);
      }
    }
    expect(problems).toEqual([]);
    expect(exampledPathParameters).toBe(pathParameters);
    expect(pathParameters).toBeGreaterThanOrEqual(15);
  });

  it('use ids, secrets and keys of the forms the API makes them in', async () => {
    const intents = [
      examples.paidIntent,
      examples.updatedIntent,
      examples.challengedIntent,
      examples.capturedIntent,
      examples.canceledIntent,
      examples.signedCryptoIntent,
      examples.partiallyFundedIntent,
    ];
    for (const intent of intents) {
      expect(intent.id).toMatch(INTENT_ID_PATTERN);
      expect(intent.client_secret).toMatch(new RegExp(`^${intent.id}_secret_[0-9A-Za-z]{25}$`));
    }
    for (const id of [...examples.eventList.data.map((e) => e.id), examples.endpoint.id, examples.merchantWithKeys.id]) {
      expect(id).toMatch(/^(evt|we|acct)_[0-9A-Za-z]{24}$/);
    }
    const { delivery } = examples;
    expect(delivery.id).toBe(`whd_${(await sha256Hex(`${delivery.event}:${delivery.endpoint}`)).slice(0, 24)}`);
    const secrets = [examples.createdEndpoint, examples.rolledEndpoint, examples.notificationSecret, examples.rolledNotificationSecret];
    for (const { secret } of secrets) expect(secret).toMatch(/^whsec_[0-9A-Za-z+/]{43}=$/);
    for (const pair of [...Object.values(examples.merchantWithKeys.keys), ...Object.values(examples.rolledKeys.keys)]) {
      expect([pair.secret, pair.publishable]).toEqual([expect.stringMatching(API_KEY_PATTERN), expect.stringMatching(API_KEY_PATTERN)]);
    }
  });

  it("show a crypto payment as it happens: the deposit address is the xpub's first, the payer's signature verifies", async () => {
    const intent = examples.signedCryptoIntent;
    if (intent.next_action?.type !== 'crypto_transfer') throw new Error('the crypto example waits for a transfer');
    const transfer = intent.next_action.crypto_transfer;
    expect(transfer.deposit_address).toBe(depositAddress(examples.cryptoSettings.xpub!, 0));
    const { signer, signature } = examples.cryptoSignatureRequest;
    expect(await verifyTypedData({ ...transfer.typed_data, address: signer, signature } as Parameters<typeof verifyTypedData>[0])).toBe(
      true,
    );
    expect(intent.crypto?.signature).toMatchObject({ signer, signature });
  });

  it("show a payer's escrow Deposit really signed over next_action.crypto_escrow_deposit.typed_data, with message.payer the signer", async () => {
    const intent = examples.escrowDepositIntent;
    if (intent.next_action?.type !== 'crypto_escrow_deposit') throw new Error('the escrow example waits for its lock');
    const action = intent.next_action.crypto_escrow_deposit;
    expect(action.merchant).toBe(depositAddress(examples.cryptoSettings.xpub!, 1));
    const { signer, signature } = examples.escrowDepositRequest;
    const typed = { ...action.typed_data, message: { ...action.typed_data.message, payer: signer } };
    expect(await verifyTypedData({ ...typed, address: signer, signature } as unknown as Parameters<typeof verifyTypedData>[0])).toBe(true);
    expect(intent.crypto?.escrow).toMatchObject({ deposit_signer: signer, status: 'none', contract: action.contract });
  });

  it("show a payer's browser confirming with the intent's own client secret, and getting browser fields only", () => {
    const intent = examples.challengedIntentLive;
    expect(examples.browserConfirmRequest.client_secret).toBe(intent.client_secret);
    expect(intent.hosted_url).toBe(`https://pay.example.com/pay/${intent.id}?client_secret=${intent.client_secret}`);
    expect(intent).not.toHaveProperty('metadata');
  });
});
