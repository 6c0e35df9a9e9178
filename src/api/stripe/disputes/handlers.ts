/**
 * /v1/disputes handlers. A dispute lives in the intent that holds its charge: the read model says
 * which (src/db/disputes.ts, scoped to the key's merchant and mode, so another merchant's dispute
 * is an unknown id), and the intent's object answers retrieves and runs changes. Lists render from
 * the read model's stored intents.
 */
import type { RouteHandler } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { findDisputeCursor, findDisputeIntent, listDisputes } from '../../../db/disputes.js';
import { DomainError } from '../../../domain/errors.js';
import type { PaymentIntent } from '../../../domain/intent.js';
import { type AppEnv, shardOf } from '../../../http/context.js';
import { DISPUTE_ID_PATTERN } from '../../../lib/ids.js';
import { intents, scopeOf } from '../context.js';
import { noSuchObject, refusalToStripe } from '../errors.js';
import { createdRange } from '../list.js';
import { disputeToWire } from '../wire/dispute.js';
import type * as routes from './routes.js';

type Handler<R extends keyof typeof routes> = RouteHandler<(typeof routes)[R], AppEnv>;

/** The intent holding dispute `id`, or a 404 naming the path's id. */
async function holder(c: Context<AppEnv>, id: string): Promise<string> {
  const intentId = DISPUTE_ID_PATTERN.test(id) ? await findDisputeIntent(shardOf(c), scopeOf(c), id) : undefined;
  if (!intentId) throw noSuchObject('dispute', id, 'id');
  return intentId;
}

/** The dispute as the intent holds it now, on the wire. */
function render(intent: PaymentIntent, id: string) {
  const dispute = intent.disputes.find((d) => d.id === id);
  if (!dispute) throw noSuchObject('dispute', id, 'id');
  return disputeToWire(intent, dispute);
}

/** A seam call about a dispute: a refusal is about the dispute, so it goes without the intent. */
async function onDispute(id: string, call: () => Promise<{ intent: PaymentIntent }>) {
  try {
    return (await call()).intent;
  } catch (error) {
    if (error instanceof DomainError && error.code === 'resource_missing') throw noSuchObject('dispute', id, 'id');
    if (error instanceof DomainError) throw refusalToStripe(error);
    throw error;
  }
}

export const retrieve: Handler<'retrieve'> = async (c) => {
  const { id } = c.req.valid('param');
  const intentId = await holder(c, id);
  const intent = await onDispute(id, async () => ({ intent: await intents(c).retrieve(intentId) }));
  return c.json(render(intent, id), 200);
};

export const update: Handler<'update'> = async (c) => {
  const { id } = c.req.valid('param');
  const body = c.req.valid('json') ?? {};
  const intentId = await holder(c, id);
  const evidence =
    body.evidence && (Object.fromEntries(Object.entries(body.evidence).filter(([, v]) => v !== undefined)) as Record<string, string>);
  const intent = await onDispute(id, () =>
    intents(c).updateDispute(intentId, {
      disputeId: id,
      evidence,
      metadata: body.metadata,
      // Stripe submits by default; a request without evidence (metadata only) submits nothing.
      submit: body.submit ?? evidence !== undefined,
    }),
  );
  return c.json(render(intent, id), 200);
};

export const close: Handler<'close'> = async (c) => {
  const { id } = c.req.valid('param');
  const intentId = await holder(c, id);
  const intent = await onDispute(id, () => intents(c).closeDispute(intentId, id));
  return c.json(render(intent, id), 200);
};

/** The list cursor a request names: a dispute of this merchant and mode, or a 404 naming the parameter. */
async function cursorOf(c: Context<AppEnv>, q: { starting_after?: string; ending_before?: string }) {
  const cursorId = q.starting_after ?? q.ending_before;
  if (cursorId === undefined) return undefined;
  const param = q.starting_after !== undefined ? 'starting_after' : 'ending_before';
  const key = DISPUTE_ID_PATTERN.test(cursorId) ? await findDisputeCursor(shardOf(c), scopeOf(c), cursorId) : undefined;
  if (!key) throw noSuchObject('dispute', cursorId, param);
  return { direction: q.starting_after !== undefined ? ('after' as const) : ('before' as const), ...key };
}

export const list: Handler<'list'> = async (c) => {
  const q = c.req.valid('query');
  const cursor = await cursorOf(c, q);
  const page = await listDisputes(shardOf(c), {
    ...scopeOf(c),
    limit: q.limit ?? 10,
    cursor,
    created: createdRange(q),
    charge: q.charge,
    paymentIntent: q.payment_intent,
  });
  return c.json(
    {
      object: 'list' as const,
      url: '/v1/disputes',
      has_more: page.hasMore,
      data: page.data.map(({ intent, dispute }) => disputeToWire(intent, dispute)),
    },
    200,
  );
};
