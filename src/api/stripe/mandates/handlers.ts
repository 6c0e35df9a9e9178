/**
 * /v1/mandates handlers. Reads (list, retrieve) come from the read model (src/db/mandates.ts); changes
 * (cancel, debit requests) go through the mandates' service seam (src/mandates/service.ts), whose
 * refusals (MandateRefused) are rendered here in Stripe's envelope, naming the parameter.
 */
import type { RouteHandler } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { findDebitItem } from '../../../db/debit-items.js';
import { findMandate, findMandateCursor, listMandates } from '../../../db/mandates.js';
import { type AppEnv, shardOf } from '../../../http/context.js';
import { DEBIT_ITEM_ID_PATTERN } from '../../../lib/ids.js';
import { cancelMandate, MandateRefused, requestDebit } from '../../../mandates/service.js';
import { callerOf, scopeOf } from '../context.js';
import { noSuchObject, StripeError } from '../errors.js';
import { createdRange } from '../list.js';
import { mandateToWire } from '../wire/mandate.js';
import type * as routes from './routes.js';
import { MANDATE_ID_PATTERN } from './schemas.js';

type Handler<R extends keyof typeof routes> = RouteHandler<(typeof routes)[R], AppEnv>;

/** A refusal of the seam in Stripe's words; the mandate a request names that is not this caller's is an unknown id. */
export function mandateRefusalToStripe(error: MandateRefused, id: string): StripeError {
  switch (error.code) {
    case 'resource_missing':
      return noSuchObject('mandate', id, 'id');
    case 'parameter_invalid':
    case 'parameter_missing':
      return new StripeError(error.code, error.message, error.param ?? null);
    case 'mandate_unexpected_state':
    case 'debit_item_inactive':
      return new StripeError(error.code, error.message, error.param ?? null);
    case 'chain_unavailable':
      return new StripeError('chain_unavailable', error.message, null, {}, true);
  }
}

/** Runs a seam call for the mandate `id`: an id no mandate can have is a 404 without asking. */
async function throughSeam<T>(id: string, call: () => Promise<T>): Promise<T> {
  if (!MANDATE_ID_PATTERN.test(id)) throw noSuchObject('mandate', id, 'id');
  try {
    return await call();
  } catch (error) {
    if (error instanceof MandateRefused) throw mandateRefusalToStripe(error, id);
    throw error;
  }
}

async function found(c: Context<AppEnv>, id: string) {
  const mandate = MANDATE_ID_PATTERN.test(id) ? await findMandate(shardOf(c), scopeOf(c), id) : undefined;
  if (!mandate) throw noSuchObject('mandate', id, 'id');
  return mandate;
}

export const retrieve: Handler<'retrieve'> = async (c) => {
  const { id } = c.req.valid('param');
  return c.json(mandateToWire(await found(c, id)), 200);
};

/** The list cursor a request names: a mandate of this merchant and mode, or a 404 naming the parameter. */
async function cursorOf(c: Context<AppEnv>, q: { starting_after?: string; ending_before?: string }) {
  const cursorId = q.starting_after ?? q.ending_before;
  if (cursorId === undefined) return undefined;
  const param = q.starting_after !== undefined ? 'starting_after' : 'ending_before';
  const key = MANDATE_ID_PATTERN.test(cursorId) ? await findMandateCursor(shardOf(c), scopeOf(c), cursorId) : undefined;
  if (!key) throw noSuchObject('mandate', cursorId, param);
  return { direction: q.starting_after !== undefined ? ('after' as const) : ('before' as const), ...key };
}

export const list: Handler<'list'> = async (c) => {
  const q = c.req.valid('query');
  const scope = scopeOf(c);
  const cursor = await cursorOf(c, q);
  // A debit item that is not this merchant's simply has no mandates here: an empty page, as for an unknown one.
  if (q.debit_item !== undefined && !DEBIT_ITEM_ID_PATTERN.test(q.debit_item)) {
    throw new StripeError('parameter_invalid', `Invalid debit_item: '${q.debit_item}' is not a debit item id (di_…).`, 'debit_item');
  }
  const page = await listMandates(shardOf(c), {
    ...scope,
    limit: q.limit ?? 10,
    cursor,
    created: createdRange(q),
    debitItem: q.debit_item,
    status: q.status,
  });
  return c.json({ object: 'list' as const, url: '/v1/mandates', has_more: page.hasMore, data: page.data.map(mandateToWire) }, 200);
};

export const cancel: Handler<'cancel'> = async (c) => {
  const { id } = c.req.valid('param');
  const mandate = await throughSeam(id, () => cancelMandate(c.env, callerOf(c), id));
  return c.json(mandateToWire(mandate), 200);
};

export const createDebitRequest: Handler<'createDebitRequest'> = async (c) => {
  const { id } = c.req.valid('param');
  const { amount } = c.req.valid('json');
  // The mandate answers, as the object the path names: the new request is the last of its pending_debit_requests.
  const { mandate } = await throughSeam(id, () => requestDebit(c.env, callerOf(c), id, amount));
  return c.json(mandateToWire(mandate), 200);
};

export const listOfItem: Handler<'listOfItem'> = async (c) => {
  const { id } = c.req.valid('param');
  const q = c.req.valid('query');
  const scope = scopeOf(c);
  const item = DEBIT_ITEM_ID_PATTERN.test(id) ? await findDebitItem(shardOf(c), scope, id) : undefined;
  if (!item) throw noSuchObject('debit_item', id, 'id');
  const cursor = await cursorOf(c, q);
  const page = await listMandates(shardOf(c), {
    ...scope,
    limit: q.limit ?? 10,
    cursor,
    created: createdRange(q),
    debitItem: id,
    status: q.status,
  });
  return c.json(
    { object: 'list' as const, url: `/v1/debit_items/${id}/mandates`, has_more: page.hasMore, data: page.data.map(mandateToWire) },
    200,
  );
};
