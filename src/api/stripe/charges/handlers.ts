/**
 * /v1/charges handlers: reads only, from the read model (src/db/charges.ts). A charge is rendered
 * from the stored intent that holds it; another merchant's or mode's charge is an unknown id (404).
 */
import type { RouteHandler } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { findCharge, findChargeCursor, listCharges } from '../../../db/charges.js';
import { type AppEnv, shardOf } from '../../../http/context.js';
import { scopeOf } from '../context.js';
import { noSuchObject } from '../errors.js';
import { createdRange } from '../list.js';
import { chargeToWire } from '../wire/charge.js';
import type * as routes from './routes.js';
import { CHARGE_ID_PATTERN } from './schemas.js';

type Handler<R extends keyof typeof routes> = RouteHandler<(typeof routes)[R], AppEnv>;

export const retrieve: Handler<'retrieve'> = async (c) => {
  const { id } = c.req.valid('param');
  const found = CHARGE_ID_PATTERN.test(id) ? await findCharge(shardOf(c), scopeOf(c), id) : undefined;
  if (!found) throw noSuchObject('charge', id, 'id');
  return c.json(chargeToWire(found.intent, found.charge), 200);
};

/** The list cursor a request names: a charge of this merchant and mode, or a 404 naming the parameter. */
async function cursorOf(c: Context<AppEnv>, q: { starting_after?: string; ending_before?: string }) {
  const cursorId = q.starting_after ?? q.ending_before;
  if (cursorId === undefined) return undefined;
  const param = q.starting_after !== undefined ? 'starting_after' : 'ending_before';
  const key = CHARGE_ID_PATTERN.test(cursorId) ? await findChargeCursor(shardOf(c), scopeOf(c), cursorId) : undefined;
  if (!key) throw noSuchObject('charge', cursorId, param);
  return { direction: q.starting_after !== undefined ? ('after' as const) : ('before' as const), ...key };
}

export const list: Handler<'list'> = async (c) => {
  const q = c.req.valid('query');
  const page = await listCharges(shardOf(c), {
    ...scopeOf(c),
    limit: q.limit ?? 10,
    cursor: await cursorOf(c, q),
    created: createdRange(q),
    paymentIntent: q.payment_intent,
    customer: q.customer,
  });
  return c.json(
    {
      object: 'list' as const,
      url: '/v1/charges',
      has_more: page.hasMore,
      data: page.data.map(({ intent, charge }) => chargeToWire(intent, charge)),
    },
    200,
  );
};
