/**
 * /v1/checkout/sessions handlers. They only translate: Stripe's wire → a call on the checkout seam
 * (src/checkout/service.ts) → the session on Stripe's wire. Refusals are thrown and rendered by the
 * family's error handler (src/api/stripe/errors.ts).
 */
import type { RouteHandler } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { CheckoutService, isSessionId, NoSuchSession, SessionRefused, type SessionDraft } from '../../../checkout/service.js';
import { findSessionCursor, listSessions } from '../../../db/checkout-sessions.js';
import {
  CUSTOM_AMOUNT_FALLBACK,
  type CustomAmount,
  type LineItem,
  MAX_SESSION_LIFETIME_MS,
  MIN_SESSION_LIFETIME_MS,
} from '../../../domain/checkout-session.js';
import type { CryptoOptions } from '../../../domain/crypto.js';
import { DomainError, type Field, type Spelling } from '../../../domain/errors.js';
import type { CreateParams } from '../../../domain/intent.js';
import { type AppEnv, shardOf } from '../../../http/context.js';
import { newIdSeries } from '../../../lib/ids.js';
import { callerOf, keptByObject, links, scopeOf } from '../context.js';
import { CRYPTO_PARAM, cryptoOptions, requireXpub } from '../crypto-options.js';
import { noSuchObject, StripeError } from '../errors.js';
import { STRIPE_SPELLING } from '../spelling.js';
import { createdRange } from '../list.js';
import { lineItemToWire, sessionToWire } from '../wire/checkout-session.js';
import type * as routes from './routes.js';

type Handler<R extends keyof typeof routes> = RouteHandler<(typeof routes)[R], AppEnv>;

function sessions(c: Context<AppEnv>): CheckoutService {
  return new CheckoutService(c.env, callerOf(c), keptByObject(c));
}

/**
 * The intent's fields as a session's create names them: a refusal of the intent it makes names the
 * session's parameter that set the field (the rest are spelled as on the intent).
 */
const SESSION_PARAMETERS: Partial<Record<Field, string>> = {
  amount: 'line_items',
  currency: 'line_items[0][price_data][currency]',
  captureMethod: 'payment_intent_data[capture_method]',
  description: 'payment_intent_data[description]',
  metadata: 'payment_intent_data[metadata]',
  receiptEmail: 'customer_email',
};
const SESSION_SPELLING: Spelling = (field) => SESSION_PARAMETERS[field] ?? STRIPE_SPELLING(field);

/** The seam's refusals on Stripe's wire. */
async function translated<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof NoSuchSession) throw noSuchObject('checkout.session', error.id, 'id');
    if (error instanceof SessionRefused) throw new StripeError('checkout_session_unexpected_state', error.message);
    // A refusal of the intent being made (no intent exists to show with it).
    if (error instanceof DomainError && error.code !== 'resource_missing' && error.code !== 'payment_intent_unexpected_state') {
      throw new StripeError(error.code, error.describe(SESSION_SPELLING), error.field ? SESSION_SPELLING(error.field) : null);
    }
    throw error;
  }
}

export const create: Handler<'create'> = async (c) => {
  const p = c.req.valid('json');
  const now = Date.now();
  const expiresAt = p.expires_at === undefined ? null : checkedExpiry(p.expires_at, now);
  const types = p.payment_method_types ?? (p.payment_method_options?.crypto ? ['crypto' as const] : undefined);
  const requested = p.payment_method_options?.crypto;
  if (requested && !types?.includes('crypto')) {
    throw new StripeError('parameter_invalid', 'payment_method_options[crypto] needs crypto in payment_method_types.', CRYPTO_PARAM);
  }
  // One crypto type with its network and token: the intent is a crypto intent from the start.
  // Crypto among other types, or without them: the payer chooses on the page, when confirming.
  let crypto: CryptoOptions | undefined;
  if (types?.includes('crypto')) {
    if (requested && types.length === 1) crypto = await cryptoOptions(c, requested);
    else await requireXpub(c);
  }

  const custom = p.line_items[0]!.price_data.custom_unit_amount;
  const customAmount: CustomAmount | null = custom?.enabled
    ? { minimum: custom.minimum ?? null, maximum: custom.maximum ?? null, preset: custom.preset ?? null }
    : null;
  const ids = newIdSeries('li', p.line_items.length, now);
  const lineItems: LineItem[] = p.line_items.map((item, i) => {
    const unit = customAmount ? (customAmount.preset ?? customAmount.minimum ?? CUSTOM_AMOUNT_FALLBACK) : item.price_data.unit_amount!;
    const product = item.price_data.product_data;
    return {
      id: ids[i]!,
      name: product.name,
      description: product.description ?? null,
      quantity: item.quantity,
      unitAmount: unit,
      amountTotal: unit * BigInt(item.quantity),
    };
  });
  const amount = lineItems.reduce((sum, item) => sum + item.amountTotal, 0n);
  const currency = p.line_items[0]!.price_data.currency;
  const pid = p.payment_intent_data;
  const intent: CreateParams = {
    amount,
    currency,
    paymentMethodTypes: types,
    captureMethod: pid?.capture_method,
    description: pid?.description,
    metadata: pid?.metadata,
    receiptEmail: p.customer_email,
    crypto,
    payerAmount: customAmount ? { minimum: customAmount.minimum, maximum: customAmount.maximum } : undefined,
  };
  const draft: Omit<SessionDraft, 'expiresAt' | 'paymentMethodTypes'> & { expiresAt: number | null } = {
    merchantId: scopeOf(c).merchantId,
    livemode: scopeOf(c).livemode,
    expiresAt,
    status: 'open',
    paymentStatus: 'unpaid',
    currency,
    amountTotal: amount,
    amountSubtotal: amount,
    lineItems,
    customAmount,
    successUrl: p.success_url,
    cancelUrl: p.cancel_url ?? null,
    customerEmail: p.customer_email ?? null,
    clientReferenceId: p.client_reference_id ?? null,
    metadata: p.metadata ?? {},
    closedAt: null,
  };
  const session = await translated(sessions(c).create(draft, intent));
  return c.json(sessionToWire(session, links(c)), 200);
};

/** expires_at (Unix seconds) 30 minutes to 24 hours from now, in milliseconds. */
function checkedExpiry(seconds: number, now: number): number {
  const earliest = Math.ceil((now + MIN_SESSION_LIFETIME_MS) / 1000);
  const latest = Math.floor((now + MAX_SESSION_LIFETIME_MS) / 1000);
  if (seconds < earliest || seconds > latest) {
    throw new StripeError(
      'parameter_invalid',
      `expires_at must be between 30 minutes and 24 hours from now (Unix seconds ${earliest} to ${latest}).`,
      'expires_at',
    );
  }
  return seconds * 1000;
}

export const retrieve: Handler<'retrieve'> = async (c) => {
  const { id } = c.req.valid('param');
  return c.json(sessionToWire(await translated(sessions(c).retrieve(id)), links(c)), 200);
};

export const expire: Handler<'expire'> = async (c) => {
  const { id } = c.req.valid('param');
  return c.json(sessionToWire(await translated(sessions(c).expire(id)), links(c)), 200);
};

export const lineItems: Handler<'lineItems'> = async (c) => {
  const { id } = c.req.valid('param');
  const q = c.req.valid('query');
  const session = await translated(sessions(c).retrieve(id));
  const items = session.lineItems;
  const limit = q.limit ?? 10;
  let from = 0;
  let to = items.length;
  const cursor = q.starting_after ?? q.ending_before;
  if (cursor !== undefined) {
    const at = items.findIndex((i) => i.id === cursor);
    if (at === -1) throw noSuchObject('line_item', cursor, q.starting_after !== undefined ? 'starting_after' : 'ending_before');
    if (q.starting_after !== undefined) from = at + 1;
    else to = at;
  }
  // Items keep their order; ending_before takes the last `limit` before the cursor.
  const page = q.ending_before !== undefined ? items.slice(Math.max(from, to - limit), to) : items.slice(from, from + limit);
  const hasMore = q.ending_before !== undefined ? to - limit > from : from + limit < to;
  return c.json(
    {
      object: 'list' as const,
      url: `/v1/checkout/sessions/${session.id}/line_items`,
      has_more: hasMore,
      data: page.map((item) => lineItemToWire(session, item)),
    },
    200,
  );
};

export const list: Handler<'list'> = async (c) => {
  const q = c.req.valid('query');
  const scope = scopeOf(c);
  const cursorId = q.starting_after ?? q.ending_before;
  let cursor: Parameters<typeof listSessions>[1]['cursor'];
  if (cursorId !== undefined) {
    const param = q.starting_after !== undefined ? 'starting_after' : 'ending_before';
    const key = isSessionId(cursorId) ? await findSessionCursor(shardOf(c), scope.merchantId, scope.livemode, cursorId) : undefined;
    if (!key) throw noSuchObject('checkout.session', cursorId, param);
    cursor = { direction: q.starting_after !== undefined ? 'after' : 'before', ...key };
  }
  const page = await listSessions(shardOf(c), {
    ...scope,
    limit: q.limit ?? 10,
    cursor,
    created: createdRange(q),
    paymentIntent: q.payment_intent,
  });
  return c.json(
    {
      object: 'list' as const,
      url: '/v1/checkout/sessions',
      has_more: page.hasMore,
      data: page.data.map((s) => sessionToWire(s, links(c))),
    },
    200,
  );
};
