/**
 * The examples of the OpenAPI document, made by the code that makes the answers, so they cannot
 * drift from them: intents go through the domain's transitions (createPaymentIntent, decide) at
 * fixed times and are rendered by the wire functions; events are rendered from the canonical event;
 * webhook objects and crypto settings from the rows they are read from. Ids, tokens and secrets are
 * fixed values of the real form (src/lib/ids.ts), so the document is the same on every start.
 * Request examples are what a merchant sends to get these answers. The routes' schemas are checked
 * against all of them in test/http/openapi-examples.test.ts.
 */
import type { z } from '@hono/zod-openapi';
import type { DeliveryWithAttempts, EndpointRow } from '../../db/webhooks.js';
import type { FreshIds } from '../../domain/charge.js';
import type { CryptoOptions } from '../../domain/crypto.js';
import type { Command, ConfirmCommand, CreateParams, Decision, IntentSettings, PaymentIntent } from '../../domain/intent.js';
import { createPaymentIntent, decide } from '../../domain/payment-intent.js';
import { createDebitIntent } from '../../domain/debit-intent.js';
import type { IntentEvent } from '../../intents/events.js';
import { timePrefix } from '../../lib/ids.js';
import type { CreateEndpointParams } from './webhooks/schemas.js';
import { type CheckoutSession, decideSession } from '../../domain/checkout-session.js';
import { lineItemToWire, sessionToWire } from './wire/checkout-session.js';
import { cryptoSettingsToWire } from './wire/crypto-settings.js';
import { renderEvent } from './wire/event.js';
import { challengeUrl, type Links, toBrowserWire, toWire } from './wire/payment-intent.js';
import { deliveryToWire, endpointToWire, notificationSecretToWire } from './wire/webhook.js';

const links: Links = { baseUrl: 'https://pay.example.com' };
/** The deployment's defaults (src/env.ts). */
const settings: IntentSettings = {
  asyncSettleDelayMs: 5_000,
  cryptoMonitorWindowMs: 86_400_000,
  refundSettleDelayMs: 5_000,
  disputeReviewDelayMs: 5_000,
  escrowHoldSeconds: 604_800,
  escrowHeldPollMs: 60_000,
};
const at = (iso: string) => Date.parse(iso);

/** One test-mode merchant; every id below carries the time it was made at, as newId makes it. */
const MERCHANT = { id: 'acct_01M66HXNY7pNeLV49tbYOI5i', name: 'My shop' };
const owner = { merchantId: MERCHANT.id, livemode: false };
/** The ids a command at `time` may use, as freshIds() draws them then (fixed random parts, so the document is stable). */
const freshAt = (time: string): FreshIds => ({
  chargeId: `ch_${timePrefix(at(time))}Qm3cBzF4kTgJ2w`,
  refundId: `re_${timePrefix(at(time))}Zr8wXvN1pLsQ6e`,
  disputeId: `dp_${timePrefix(at(time))}Hn5yKd2cWfRt9u`,
});
/** The challenge link's token handed out when a confirmation needs 3-D Secure (newToken()). */
const CHALLENGE_TOKEN = 'pbNjWmlkUm9qzNQHGWMZudMYiNymMVXv';
/** An account-level xpub (m/44'/60'/0') of a seed made for these examples and not kept. */
const XPUB = 'xpub6CAb87REzhZiSztK5bCkBQuXdY3pq9VK5tJsnvBviiGdRiy1fuMRgp1jrnAxcsDJxnfHgheDyW9Becd1i9jkUxpYpbqmZ1detYp4HkTqCu2';

function created(id: string, secret: string, time: string, params: CreateParams): Decision {
  return createPaymentIntent({ ...owner, id, clientSecret: `${id}_secret_${secret}` }, params, at(time));
}

function then(intent: PaymentIntent, command: Command, time: string): Decision {
  return decide(intent, command, at(time), settings, freshAt(time));
}

const confirmWith = (paymentMethod?: string, returnUrl?: string): ConfirmCommand => ({
  type: 'confirm',
  paymentMethod,
  returnUrl,
  challengeToken: CHALLENGE_TOKEN,
});

// --- payment intents -----------------------------------------------------------------------------

/** POST /v1/payment_intents with confirm=true: created, then confirmed in the same call. */
export const createPaymentIntentRequest = { amount: 2000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true };
const PAID_AT = '2026-11-02T09:41:07.512Z';
const paidCreated = created('pi_01M6DT4K9RbpB3RzpDXWRaQM', 'pB3urX9Jfeaq2rjnwl6TbEGLn', PAID_AT, {
  amount: 2000n,
  currency: 'usd',
  paymentMethod: 'pm_card_visa',
});
const paid = then(paidCreated.state, confirmWith(), PAID_AT);
export const paidIntent = toWire(paid.state, links);

export const updatePaymentIntentRequest = { description: 'Order A-1042', receipt_email: 'jenny.rosen@example.com' };
const updated = then(
  paid.state,
  {
    type: 'update',
    params: { description: updatePaymentIntentRequest.description, receiptEmail: updatePaymentIntentRequest.receipt_email },
  },
  '2026-11-02T12:03:19.870Z',
);
export const updatedIntent = toWire(updated.state, links);
/**
 * A mandate's debit (issue 13): period 2 of a mandate for 10 USDC a period on Base Sepolia, made by
 * the mandate's first report (its transaction sent) and succeeded once the Debited log was final.
 */
const DEBIT_AT = '2026-11-02T12:00:01.204Z';
const debitCreated = createDebitIntent(
  { ...owner, id: 'pi_7tXyD2bQmK9fW3nR5sLpZa1E', clientSecret: 'pi_7tXyD2bQmK9fW3nR5sLpZa1E_secret_Qm3xT8vLw2Rk9YhN4bZpA7cUe' },
  {
    amount: 10_000_000n,
    currency: 'usdc',
    debit: {
      mandate: 'mdt_01M6E2XQ4KTa8bWcYd3Ef5Gh',
      period: 2,
      network: 'base-sepolia',
      contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
      token: { symbol: 'usdc', decimals: 6, address: '0x036CbD53842c5426634e7929541eC2318f3dCF7e' },
      payer: '0x81b717765DC0D3ff9A6a90cCa18F13e0E23D5f68',
      payee: '0xE87E148c2Dd2cAbC9C44Cfb05ABeE872566ac6Fe',
    },
    description: 'Pro plan',
    metadata: {},
  },
  at(DEBIT_AT),
);
const DEBIT_TX = '0x3b5e1f0a9c7d2e4b6a8f1c3d5e7a9b0c2d4e6f8a1b3c5d7e9f0a2b4c6d8e0f1a';
const debitProcessing = then(
  debitCreated.state,
  { type: 'debit_reported', report: { kind: 'processing', attemptId: 'mdt_01M6E2XQ4KTa8bWcYd3Ef5Gh:2:1', txHash: DEBIT_TX } },
  DEBIT_AT,
);
const debitSucceeded = then(
  debitProcessing.state,
  { type: 'debit_reported', report: { kind: 'succeeded', txHash: DEBIT_TX, blockNumber: 33_418_950n, amount: 10_000_000n } },
  '2026-11-02T12:00:09.871Z',
);
export const debitIntent = toWire(debitSucceeded.state, links);

export const paymentIntentList = {
  object: 'list' as const,
  url: '/v1/payment_intents',
  has_more: false,
  data: [debitIntent, updatedIntent],
};
export const paymentIntentSearchResult = {
  object: 'search_result' as const,
  url: '/v1/payment_intents/search',
  has_more: false,
  next_page: null,
  data: [updatedIntent],
};

/** Confirmed with the test card that asks for 3-D Secure: the customer is sent to the challenge page. */
export const confirmPaymentIntentRequest = {
  payment_method: 'pm_card_threeDSecure2Required',
  return_url: 'https://shop.example/checkout/complete',
};
const challenged = then(
  created('pi_01M6DVHAFPAU22a5EuPG68Sn', 'kLiSmlXUz6HhKlBCMuWG402ZZ', '2026-11-02T10:05:33.046Z', { amount: 2000n, currency: 'usd' }).state,
  confirmWith(confirmPaymentIntentRequest.payment_method, confirmPaymentIntentRequest.return_url),
  '2026-11-02T10:06:12.803Z',
);
export const challengedIntent = toWire(challenged.state, links);
/** A live status message (GET …/live): the same intent as a browser sees it, sent when the confirm committed. */
export const challengedIntentLive = toBrowserWire(challenged.state, links);
/**
 * The same confirmation from the payer's browser, as Stripe.js sends it: the publishable key, and
 * the client secret in the body. The browser gets the intent as challengedIntentLive shows it.
 */
export const browserConfirmRequest = { client_secret: challenged.state.clientSecret, ...confirmPaymentIntentRequest };
/** Its challenge page: the path's id and token, and the page's URL (next_action.redirect_to_url.url). */
export const challengeLink = {
  id: challenged.state.id,
  token: CHALLENGE_TOKEN,
  url: challengeUrl(links, challenged.state.id, CHALLENGE_TOKEN),
};

/** Authorized at creation (capture_method=manual, confirm=true), then part of it captured. */
export const capturePaymentIntentRequest = { amount_to_capture: 1500 };
const HELD_AT = '2026-11-02T10:30:11.905Z';
const held = created('pi_01M6DWYEP1By2wv0SP0u9nRv', 'AxtmTrAMX1FP1U1uLVwvBciQI', HELD_AT, {
  amount: 2000n,
  currency: 'usd',
  captureMethod: 'manual',
  paymentMethod: 'pm_card_visa',
});
const captured = then(
  then(held.state, confirmWith(), HELD_AT).state,
  { type: 'capture', amountToCapture: BigInt(capturePaymentIntentRequest.amount_to_capture) },
  '2026-11-02T16:47:02.118Z',
);
export const capturedIntent = toWire(captured.state, links);

export const cancelPaymentIntentRequest = { cancellation_reason: 'requested_by_customer' as const };
const canceled = then(
  created('pi_01M6DZCF7ScnPySakdAGuw1Y', 'PeApGj7QsxumA0Hlv9pAePPVA', '2026-11-02T11:12:48.377Z', { amount: 2000n, currency: 'usd' }).state,
  { type: 'cancel', reason: cancelPaymentIntentRequest.cancellation_reason },
  '2026-11-02T11:20:05.660Z',
);
export const canceledIntent = toWire(canceled.state, links);

/** USDC on Base Sepolia, as CHAINS would configure it (src/chain/config.ts). */
const BASE_SEPOLIA_USDC: CryptoOptions = {
  network: 'base-sepolia',
  chainId: 84532,
  token: { symbol: 'usdc', decimals: 6, usdPegged: true, address: '0x036CbD53842c5426634e7929541eC2318f3dCF7e' },
  confirmationsRequired: 3,
  expiresIn: null,
};
/**
 * A crypto intent of 20.00 usd, paid in USDC: confirmed (the shell hands out xpub/0/0 of XPUB, at
 * the chain's head then), and the payer's EIP-712 signature over its typed data recorded. The
 * signature is real: made once by the payer's key (not kept) over next_action.crypto_transfer.typed_data.
 */
export const cryptoSignatureRequest = {
  signature:
    '0xd44f01fb182e0a9f7f9a5cafd550e785f9f0e0e6ad77966820e2fa0f692b914119248f5b0d09169db53d2a45ff3f1dbcfac65f8671e4f52fca2da64b9ae4f3581b',
  signer: '0x81b717765DC0D3ff9A6a90cCa18F13e0E23D5f68',
};
const cryptoCreated = created('pi_01M6E187PDO59fyQqRNrO6r7', 'dNIcF2f4iSuhbjvbvBkwwtZVu', '2026-11-02T11:45:26.733Z', {
  amount: 2000n,
  currency: 'usd',
  paymentMethodTypes: ['crypto'],
  crypto: BASE_SEPOLIA_USDC,
});
const awaitingTransfer = then(
  cryptoCreated.state,
  {
    ...confirmWith(),
    deposit: { address: '0xE87E148c2Dd2cAbC9C44Cfb05ABeE872566ac6Fe', index: 0, startBlock: 33_418_207n },
  },
  '2026-11-02T11:45:27.101Z',
);
const SIGNED_AT = '2026-11-02T11:46:02.415Z';
const signed = then(
  awaitingTransfer.state,
  // As the shell records it once verified: the signer checksummed, the signature in lowercase.
  { type: 'record_signature', signature: { ...cryptoSignatureRequest, verifiedAt: at(SIGNED_AT) } },
  SIGNED_AT,
);
export const signedCryptoIntent = toWire(signed.state, links);

/**
 * A crypto intent of 20.00 usd held in escrow (capture_method manual), confirmed (xpub/0/1 of XPUB as
 * the merchant), and the payer's signed Deposit handed to the relayer with an EIP-2612 permit. The
 * signature is real: made once by the payer's key (not kept) over
 * next_action.crypto_escrow_deposit.typed_data with message.payer set to the signer.
 */
const ESCROW_CONTRACT = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
export const escrowDepositRequest = {
  signature:
    '0x71ac8dbe94cff0519c4dbbe63b55a4b81ff9210399309b409c7f237ce34922193251f9468e5782bece10704bf0b1766ea85dbebfc42da0f87d24b34a65c683031b',
  signer: '0xb6E0b044129d615b78Feaa3f17414ca8c28D5112',
  permit: {
    deadline: 1_793_622_000,
    v: 27,
    r: '0x4f1c4a3de2b5a3f0a2c6c4d4b9a0e3c1d7f5e6a8b9c0d1e2f3a4b5c6d7e8f9a0',
    s: '0x1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809',
  },
};
const escrowCreated = created('pi_01M6E3K2RbWq8TzNcY5vLp4X', 'Hq3mVt8ZbK2xN5cW9pR4sL7yD', '2026-11-02T12:05:10.214Z', {
  amount: 2000n,
  currency: 'usd',
  captureMethod: 'manual',
  paymentMethodTypes: ['crypto'],
  crypto: { ...BASE_SEPOLIA_USDC, escrowContract: ESCROW_CONTRACT },
});
/** Confirmed: waiting for the payer's lock (next_action crypto_escrow_deposit). */
export const escrowAwaitingDeposit = then(
  escrowCreated.state,
  { ...confirmWith(), deposit: { address: '0x7aAecE0dE16c2EE191fb4BD494b429a1E2D825c4', index: 1, startBlock: 33_418_950n } },
  '2026-11-02T12:05:10.602Z',
).state;
const DEPOSIT_SENT_AT = '2026-11-02T12:05:41.377Z';
export const escrowDepositIntent = toWire(
  then(
    escrowAwaitingDeposit,
    // As the shell records it once verified: the signer checksummed, the signature in lowercase.
    {
      type: 'escrow_deposit',
      deposit: { signer: escrowDepositRequest.signer, signature: escrowDepositRequest.signature, permit: escrowDepositRequest.permit },
    },
    DEPOSIT_SENT_AT,
  ).state,
  links,
);

// --- events --------------------------------------------------------------------------------------

/**
 * The canonical events of the paid intent's one commit (create and confirm), as its object records
 * them: ids of one series (newIdSeries), payment_intent.created showing the intent as created, the
 * confirmation's events the intent after it.
 */
const paidEvents = [
  ...paidCreated.events.map((e) => ({ ...e, object: paidCreated.state })),
  ...paid.events.map((e) => ({ ...e, object: paid.state })),
].map(
  (e, i): IntentEvent => ({
    kind: 'payment_intent',
    id: `evt_01M6DT4K9RQm1o2UwQ7c${i.toString(36).padStart(4, '0')}`,
    sequence: i + 1,
    type: e.type,
    created: at(PAID_AT),
    request: { id: 'req_01M6DT4K9R7AtNouZxrFQaqn', idempotencyKey: 'order-A-1042' },
    object: e.object,
    previousAttributes: e.previousAttributes,
    subject: e.subject ?? null,
  }),
);
const succeededEvent = paidEvents.find((e) => e.type === 'payment_intent.succeeded')!;
/** As /v1/events answers them, newest first: with the number of deliveries still pending, none by now. */
export const eventList = {
  object: 'list' as const,
  url: '/v1/events',
  has_more: false,
  data: paidEvents.toReversed().map((e) => ({ ...renderEvent(e, links), pending_webhooks: 0 })),
};
/** payment_intent.succeeded: the event the delivery examples deliver. */
export const event = eventList.data.find((e) => e.id === succeededEvent.id)!;

// --- webhook endpoints, deliveries, the notification secret --------------------------------------

export const createEndpointRequest = {
  url: 'https://shop.example/webhooks',
  enabled_events: ['payment_intent.succeeded', 'payment_intent.payment_failed'],
} satisfies z.input<typeof CreateEndpointParams>;
const endpointRow: EndpointRow = {
  id: 'we_01M6B2VF77LppCnAi27AsXy9',
  ...owner,
  url: createEndpointRequest.url,
  enabledEvents: JSON.stringify(createEndpointRequest.enabled_events),
  description: null,
  metadata: '{}',
  status: 'enabled',
  secret: 'whsec_vP68CAEmU1VNKIk3iLvGcubAqxHtEUR6lZjUx6e6KDc=',
  previousSecrets: '[]',
  createdAt: at('2026-11-01T08:15:42.311Z'),
  deletedAt: null,
};
/** Its signing secret is in the answer to create (and to a roll) only. */
export const createdEndpoint = { ...endpointToWire(endpointRow), secret: endpointRow.secret };
export const endpoint = endpointToWire(endpointRow);
export const endpointList = { object: 'list' as const, url: '/v1/webhook_endpoints', has_more: false, data: [endpoint] };
export const deletedEndpoint = { id: endpointRow.id, object: 'webhook_endpoint' as const, deleted: true as const };

/** Paused: no deliveries until it is enabled again. */
export const updateEndpointRequest = { description: 'Order fulfilment', disabled: true };
export const updatedEndpoint = endpointToWire({ ...endpointRow, description: updateEndpointRequest.description, status: 'disabled' });

export const rollSecretRequest = { expires_in_seconds: 3600 };
const ENDPOINT_ROLLED_AT = at('2026-11-02T17:30:04.228Z');
const rolledEndpointRow: EndpointRow = {
  ...endpointRow,
  secret: 'whsec_3jZOVEq3cUwz8h7FpRSwiBWy4yR3+/TW/57e+kk+1cw=',
  previousSecrets: JSON.stringify([
    { secret: endpointRow.secret, expiresAt: ENDPOINT_ROLLED_AT + rollSecretRequest.expires_in_seconds * 1000 },
  ]),
};
export const rolledEndpoint = { ...endpointToWire(rolledEndpointRow), secret: rolledEndpointRow.secret };

/**
 * payment_intent.succeeded delivered to the endpoint: the receiver was down at the first attempt,
 * and the delivery was retried by hand. Its id is derived from (event, endpoint) as the consumer does.
 */
const deliveryRow: DeliveryWithAttempts = {
  id: 'whd_c3db4b413d2dc6aa0fd196f5',
  ...owner,
  eventId: succeededEvent.id,
  endpointId: endpointRow.id,
  url: endpointRow.url,
  status: 'succeeded',
  attempts: 2,
  body: JSON.stringify({ ...renderEvent(succeededEvent, links), pending_webhooks: 1 }),
  createdAt: at('2026-11-02T09:41:07.830Z'),
  updatedAt: at('2026-11-02T09:45:31.090Z'),
  deadLetteredAt: null,
  attemptList: [
    {
      deliveryId: 'whd_c3db4b413d2dc6aa0fd196f5',
      attempt: 1,
      statusCode: 503,
      durationMs: 212,
      responseBody: 'Service Unavailable',
      error: null,
      createdAt: at('2026-11-02T09:41:08.716Z'),
    },
    {
      deliveryId: 'whd_c3db4b413d2dc6aa0fd196f5',
      attempt: 2,
      statusCode: 200,
      durationMs: 87,
      responseBody: '{"received":true}',
      error: null,
      createdAt: at('2026-11-02T09:45:31.090Z'),
    },
  ],
};
export const delivery = deliveryToWire(deliveryRow);
export const eventDeliveryList = { object: 'list' as const, url: `/v1/events/${event.id}/deliveries`, has_more: false, data: [delivery] };
export const endpointDeliveryList = {
  object: 'list' as const,
  url: `/v1/webhook_endpoints/${endpointRow.id}/deliveries`,
  has_more: false,
  data: [delivery],
};

const notificationSecretRow = {
  secret: 'whsec_y/HbHYfJ4K68g07/BCd4WEAKFdKGJs8WKhq4BoEVxdo=',
  previousSecrets: '[]',
  createdAt: at('2026-11-01T08:16:05.934Z'),
};
export const notificationSecret = notificationSecretToWire(notificationSecretRow, owner.livemode);
const NOTIFICATION_ROLLED_AT = at('2026-11-02T17:31:40.552Z');
export const rolledNotificationSecret = notificationSecretToWire(
  {
    secret: 'whsec_LqS+/ExFBNb/82fCAAVQ0bvL2SOzojKAmUjpy8PbLwQ=',
    previousSecrets: JSON.stringify([
      { secret: notificationSecretRow.secret, expiresAt: NOTIFICATION_ROLLED_AT + rollSecretRequest.expires_in_seconds * 1000 },
    ]),
    createdAt: NOTIFICATION_ROLLED_AT,
  },
  owner.livemode,
  NOTIFICATION_ROLLED_AT,
);

// --- crypto settings and the operator's API -------------------------------------------------------

/** After the crypto intent above took the first deposit address. */
export const cryptoSettings = cryptoSettingsToWire({ xpub: XPUB, addressesIssued: 1 });

export const createMerchantRequest = { name: MERCHANT.name };
/**
 * Keys as newKeyPair makes them (src/merchants/keys.ts): sk_/pk_, the mode, 32 base62 characters.
 * Put together here rather than written out, so that no key-shaped string sits in the source.
 */
const keyPair = (mode: 'test' | 'live', secret: string, publishable: string) => ({
  secret: `sk_${mode}_${secret}`,
  publishable: `pk_${mode}_${publishable}`,
});
export const merchantWithKeys = {
  ...MERCHANT,
  keys: {
    test: keyPair('test', 'g1mptfj7FohdJpuR2UTJXzVtLjj0fyoL', 'JQsyYdlrvDPY1g53ehzowKFKkEss3HQV'),
    live: keyPair('live', '69nFu11PEpllMGq9SttP7o2363WWu4aS', '3ciS0xXL3pdgb19ocCAsShfL0bOjh4DO'),
  },
};
export const rollKeysRequest = { mode: 'test' as const };
export const rolledKeys = {
  ...MERCHANT,
  keys: { test: keyPair('test', 'CS5cNGAzm4xIMopI8MF5rvZhi0PjT3E3', '7658O4LdE22oopdQoG7LY8TQwtym6PVA') },
};
export const setXpubRequest = { xpub: XPUB };
/** A merchant's xpub just set: no address issued yet. */
export const xpubSet = cryptoSettingsToWire({ xpub: XPUB, addressesIssued: 0 });

// --- checkout sessions ---------------------------------------------------------------------------

/** POST /v1/checkout/sessions: two items, card or crypto (the payer picks a network on the page). */
export const createCheckoutSessionRequest = {
  mode: 'payment' as const,
  line_items: [
    {
      price_data: { currency: 'usd', unit_amount: 1500, product_data: { name: 'T-shirt', description: 'Organic cotton, size M' } },
      quantity: 2,
    },
    { price_data: { currency: 'usd', unit_amount: 500, product_data: { name: 'Shipping' } }, quantity: 1 },
  ],
  success_url: 'https://shop.example/thanks?session_id={CHECKOUT_SESSION_ID}',
  cancel_url: 'https://shop.example/cart',
  payment_method_types: ['card' as const],
  client_reference_id: 'cart-7731',
  metadata: { order_id: 'A-1043' },
};
const SESSION_AT = at('2026-11-02T12:05:44.118Z');
const SESSION_INTENT = 'pi_01M6E2BX8Kc3kL3N2w7tq3YZ';
const openSession: CheckoutSession = {
  id: 'cs_test_b1Q5VCGK3JqNw8pXo2ZdLh7rTsYe4uAfMmI9nB6kWyc',
  merchantId: owner.merchantId,
  livemode: false,
  created: SESSION_AT,
  expiresAt: SESSION_AT + 24 * 60 * 60_000,
  status: 'open',
  paymentStatus: 'unpaid',
  currency: 'usd',
  amountTotal: 3500n,
  amountSubtotal: 3500n,
  lineItems: [
    {
      id: 'li_01M6E2BX8K7Tq0PzKeDrG9hW0000',
      name: 'T-shirt',
      description: 'Organic cotton, size M',
      quantity: 2,
      unitAmount: 1500n,
      amountTotal: 3000n,
    },
    { id: 'li_01M6E2BX8K7Tq0PzKeDrG9hW0001', name: 'Shipping', description: null, quantity: 1, unitAmount: 500n, amountTotal: 500n },
  ],
  customAmount: null,
  paymentIntent: SESSION_INTENT,
  intentClientSecret: `${SESSION_INTENT}_secret_Qm4vX1ZtD8sRk0Jw2LyBn7HcE`,
  successUrl: createCheckoutSessionRequest.success_url,
  cancelUrl: createCheckoutSessionRequest.cancel_url,
  customerEmail: null,
  clientReferenceId: createCheckoutSessionRequest.client_reference_id,
  metadata: createCheckoutSessionRequest.metadata,
  paymentMethodTypes: ['card'],
  closedAt: null,
  revision: 1,
};
export const checkoutSession = sessionToWire(openSession, links);
export const checkoutSessionList = { object: 'list' as const, url: '/v1/checkout/sessions', has_more: false, data: [checkoutSession] };
export const checkoutSessionLineItems = {
  object: 'list' as const,
  url: `/v1/checkout/sessions/${openSession.id}/line_items`,
  has_more: false,
  data: openSession.lineItems.map((item) => lineItemToWire(openSession, item)),
};
/** POST …/expire: the intent canceled (abandoned), the session expired. */
export const expiredCheckoutSession = sessionToWire(
  decideSession(
    openSession,
    { type: 'intent_reported', intent: { id: SESSION_INTENT, status: 'canceled', amount: 3500n } },
    SESSION_AT + 600_000,
  ).state,
  links,
);

// --- test helpers: a bank transfer arrives --------------------------------------------------------

/** POST /v1/test_helpers/payment_intents/:id/fund: part of what a customer_balance intent waits for arrives. */
export const fundPaymentIntentRequest = { amount: 500, currency: 'eur' };
const transferAwaited = then(
  created('pi_01M6DXQ2TS4kqfa7Gd5VNJzB', 'Vb7cWq2mHkR4tYs9Lp3Nd8Fxa', '2026-11-02T11:20:04.118Z', {
    amount: 2000n,
    currency: 'eur',
    paymentMethodTypes: ['customer_balance'],
  }).state,
  confirmWith('pm_customer_balance'),
  '2026-11-02T11:20:31.540Z',
);
const partiallyFunded = then(transferAwaited.state, { type: 'fund', amount: 500n }, '2026-11-02T14:02:19.007Z');
export const partiallyFundedIntent = toWire(partiallyFunded.state, links);
