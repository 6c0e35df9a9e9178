/**
 * /v1/refunds handlers. A refund lives in its intent, whose Durable Object is its only writer: a
 * change goes through the intent's seam (src/intents/service.ts), one command at a time, so
 * concurrent refunds of one intent can never overdraw it. Which intent holds a refund (or a
 * charge) is looked up in the read model (src/db/refunds.ts), within the caller's merchant and
 * mode: another merchant's refund is an unknown id. Lists render from the intents' stored records.
 */
import type { RouteHandler } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { findChargeIntent, findRefund, listRefunds } from '../../../db/refunds.js';
import { DomainError } from '../../../domain/errors.js';
import type { RefundParams } from '../../../domain/intent.js';
import { type AppEnv, shardOf } from '../../../http/context.js';
import { CommandRefused, isIntentId, type Outcome } from '../../../intents/service.js';
import { intents, scopeOf } from '../context.js';
import { noSuchObject, refusalToStripe, StripeError } from '../errors.js';
import { createdRange } from '../list.js';
import { refundToWire } from '../wire/refund.js';
import type * as routes from './routes.js';
import { CHARGE_ID_PATTERN, REFUND_ID_PATTERN } from './schemas.js';

type Handler<R extends keyof typeof routes> = RouteHandler<(typeof routes)[R], AppEnv>;

export const create: Handler<'create'> = async (c) => {
  const p = c.req.valid('json');
  if (p.payment_intent === undefined && p.charge === undefined) {
    throw new StripeError(
      'parameter_missing',
      'Pass the PaymentIntent to refund as payment_intent, or its charge as charge.',
      'payment_intent',
    );
  }
  const intentId = await intentToRefund(c, p.payment_intent, p.charge);
  const params: RefundParams = {
    charge: p.charge,
    amount: p.amount,
    reason: p.reason,
    metadata: p.metadata,
    source: p.crypto?.source,
    destination: p.crypto?.destination,
  };
  const { intent, refund } = await refundCall(() => intents(c).refund(intentId, params), {
    id: p.payment_intent ?? p.charge!,
    param: p.payment_intent !== undefined ? 'payment_intent' : 'charge',
  });
  return c.json(refundToWire(intent, refund), 200);
};

export const retrieve: Handler<'retrieve'> = async (c) => {
  const { id } = c.req.valid('param');
  const intentId = await intentOfRefund(c, id);
  const intent = await refundCall(() => intents(c).retrieve(intentId), { id, param: 'id' });
  const refund = intent.refunds.find((r) => r.id === id);
  if (!refund) throw noSuchObject('refund', id, 'id');
  return c.json(refundToWire(intent, refund), 200);
};

export const update: Handler<'update'> = async (c) => {
  const { id } = c.req.valid('param');
  const { metadata } = c.req.valid('json') ?? {};
  const intentId = await intentOfRefund(c, id);
  // No metadata: nothing to change, the refund as it is (Stripe answers an empty update the same way).
  const { intent, refund } = await refundCall(() => intents(c).updateRefund(intentId, id, metadata ?? {}), { id, param: 'id' });
  return c.json(refundToWire(intent, refund), 200);
};

export const cancel: Handler<'cancel'> = async (c) => {
  const { id } = c.req.valid('param');
  const intentId = await intentOfRefund(c, id);
  const { intent, refund } = await refundCall(() => intents(c).cancelRefund(intentId, id), { id, param: 'id' });
  return c.json(refundToWire(intent, refund), 200);
};

export const list: Handler<'list'> = async (c) => {
  const q = c.req.valid('query');
  const scope = scopeOf(c);
  const cursorId = q.starting_after ?? q.ending_before;
  let cursor: Parameters<typeof listRefunds>[1]['cursor'];
  if (cursorId !== undefined) {
    const param = q.starting_after !== undefined ? 'starting_after' : 'ending_before';
    const key = REFUND_ID_PATTERN.test(cursorId) ? await findRefund(shardOf(c), scope, cursorId) : undefined;
    if (!key) throw noSuchObject('refund', cursorId, param);
    cursor = { direction: q.starting_after !== undefined ? 'after' : 'before', createdAt: key.createdAt, id: key.id };
  }
  if (q.payment_intent !== undefined && !isIntentId(q.payment_intent)) {
    throw new StripeError(
      'parameter_invalid',
      `Invalid payment_intent: '${q.payment_intent}' is not a PaymentIntent id (pi_…).`,
      'payment_intent',
    );
  }
  if (q.charge !== undefined && !CHARGE_ID_PATTERN.test(q.charge)) {
    throw new StripeError('parameter_invalid', `Invalid charge: '${q.charge}' is not a charge id (ch_…).`, 'charge');
  }
  const page = await listRefunds(shardOf(c), {
    ...scope,
    limit: q.limit ?? 10,
    cursor,
    created: createdRange(q),
    paymentIntent: q.payment_intent,
    charge: q.charge,
  });
  return c.json(
    {
      object: 'list' as const,
      url: '/v1/refunds',
      has_more: page.hasMore,
      data: page.data.map(({ intent, refund }) => refundToWire(intent, refund)),
    },
    200,
  );
};

/**
 * The intent a create refunds: the one named, or the one holding the charge named (both named: the
 * intent's, and the domain checks the charge is one of its). Unknown or another merchant's: a 404.
 */
async function intentToRefund(c: Context<AppEnv>, paymentIntent: string | undefined, charge: string | undefined): Promise<string> {
  if (paymentIntent !== undefined) {
    if (!isIntentId(paymentIntent)) throw noSuchObject('payment_intent', paymentIntent, 'payment_intent');
    return paymentIntent;
  }
  const intentId = CHARGE_ID_PATTERN.test(charge!) ? await findChargeIntent(shardOf(c), scopeOf(c), charge!) : undefined;
  if (!intentId) throw noSuchObject('charge', charge!, 'charge');
  return intentId;
}

/** The intent that holds refund `id`, for this merchant and mode; otherwise a 404 naming the id. */
async function intentOfRefund(c: Context<AppEnv>, id: string): Promise<string> {
  const found = REFUND_ID_PATTERN.test(id) ? await findRefund(shardOf(c), scopeOf(c), id) : undefined;
  if (!found) throw noSuchObject('refund', id, 'id');
  return found.paymentIntentId;
}

/**
 * A seam call about a refund, its refusals in Stripe's words: an intent this caller cannot see is
 * the object the request named (`what`), and a refusal comes without the intent (it is about the refund).
 */
async function refundCall<T extends Outcome | Outcome['intent']>(call: () => Promise<T>, what: { id: string; param: string }): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof DomainError && error.code === 'resource_missing') {
      if (error.resource?.type === 'payment_intent') throw noSuchObject(what.param === 'id' ? 'refund' : what.param, what.id, what.param);
      throw noSuchObject(error.resource?.type ?? 'refund', error.resource?.id ?? what.id, 'id');
    }
    if (error instanceof CommandRefused) throw refusalToStripe(error);
    throw error;
  }
}
