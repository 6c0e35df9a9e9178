/**
 * /v1/debit_items handlers. They translate Stripe's wire into the domain's item (src/domain/debit-item.ts),
 * check what needs the key's mode (the network's mode, test-only seconds, loopback redirects), and
 * read and write D1 (src/db/debit-items.ts). Refusals are thrown and rendered by the family's error handler.
 */
import type { RouteHandler } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { getAddress } from 'viem';
import { resolveCryptoOptions } from '../../../chain/registry.js';
import { findDebitItem, findDebitItemCursor, insertDebitItem, listDebitItems, replaceDebitItem } from '../../../db/debit-items.js';
import {
  type DebitInterval,
  type DebitItem,
  intervalProblem,
  redirectUrlProblem,
  updatedItem,
  withActive,
} from '../../../domain/debit-item.js';
import { METADATA_MAX_KEYS } from '../../../domain/intent.js';
import { insertSubscribeButton } from '../../../db/subscribe-buttons.js';
import { type AppEnv, shardOf } from '../../../http/context.js';
import { DEBIT_ITEM_ID_PATTERN, newButtonId, newId } from '../../../lib/ids.js';
import { links, scopeOf } from '../context.js';
import { noSuchObject, StripeError } from '../errors.js';
import { createdRange } from '../list.js';
import type * as routes from './routes.js';
import { debitItemToWire } from './wire.js';

type Handler<R extends keyof typeof routes> = RouteHandler<(typeof routes)[R], AppEnv>;

/** How often a change is recomputed after losing to a concurrent one before the request is refused (409). */
const WRITE_ATTEMPTS = 5;

function checkedRedirectUrl(raw: string, livemode: boolean): string {
  const problem = redirectUrlProblem(raw, livemode);
  if (problem) throw new StripeError('parameter_invalid', problem, 'redirect_url');
  return raw;
}

export const create: Handler<'create'> = async (c) => {
  const p = c.req.valid('json');
  const scope = scopeOf(c);
  const now = Date.now();
  const interval: DebitInterval =
    p.debit_interval !== undefined ? { unit: 'days', days: p.debit_interval } : { unit: 'seconds', seconds: p.debit_interval_seconds! };
  const problem = intervalProblem(interval, scope.livemode);
  if (problem) throw new StripeError('parameter_invalid', problem, 'debit_interval_seconds');
  const redirectUrl = checkedRedirectUrl(p.redirect_url, scope.livemode);
  // The network and token exactly as a crypto intent resolves them; no xpub: the payee is an address.
  const found = resolveCryptoOptions(c.env, { network: p.network, token: p.token, expiresIn: null }, scope.livemode);
  if (!found.ok) throw new StripeError('parameter_invalid', found.message, found.param);
  const item: DebitItem = {
    id: newId('di', now),
    ...scope,
    name: p.name,
    network: found.options.network,
    chainId: found.options.chainId,
    token: { symbol: found.options.token.symbol, decimals: found.options.token.decimals, address: found.options.token.address },
    payeeAddress: getAddress(p.payee_address),
    maxPrice: p.max_price,
    debitTimes: p.debit_times,
    interval,
    pricing: p.pricing,
    redirectUrl,
    buttonId: newButtonId(),
    active: true,
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).filter(([, v]) => v !== '')),
    created: now,
    revision: 1,
  };
  // The button first: a button whose item insert then failed is a 404 page, while an item without its
  // button row would have a checkout_url that never works.
  const { merchantId, livemode } = scope;
  await insertSubscribeButton(
    c.env.DIRECTORY,
    { buttonId: item.buttonId, merchantId, livemode, shard: c.get('auth').shard, debitItemId: item.id },
    now,
  );
  await insertDebitItem(shardOf(c), item);
  return c.json(debitItemToWire(item, links(c)), 200);
};

async function found(c: Context<AppEnv>, id: string): Promise<DebitItem> {
  const item = DEBIT_ITEM_ID_PATTERN.test(id) ? await findDebitItem(shardOf(c), scopeOf(c), id) : undefined;
  if (!item) throw noSuchObject('debit_item', id, 'id');
  return item;
}

/**
 * Reads the item, computes the change from it, and writes it on condition that the item is still at
 * the revision read; a lost race recomputes from the newer item, so concurrent changes all land in
 * some order. An unchanged item (already deactivated) is answered without a write.
 */
async function changed(c: Context<AppEnv>, id: string, change: (item: DebitItem) => DebitItem): Promise<DebitItem> {
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    const current = await found(c, id);
    const next = change(current);
    if (next === current) return current;
    if ((await replaceDebitItem(shardOf(c), next, current.revision)) === 'written') return next;
  }
  throw new StripeError(
    'concurrent_update',
    `The debit item '${id}' kept changing under concurrent updates; nothing was changed. Retry.`,
    'id',
  );
}

export const retrieve: Handler<'retrieve'> = async (c) => {
  const { id } = c.req.valid('param');
  return c.json(debitItemToWire(await found(c, id), links(c)), 200);
};

export const update: Handler<'update'> = async (c) => {
  const { id } = c.req.valid('param');
  const p = c.req.valid('json');
  const redirectUrl = p.redirect_url === undefined ? undefined : checkedRedirectUrl(p.redirect_url, scopeOf(c).livemode);
  const item = await changed(c, id, (current) => {
    if (p.name === undefined && redirectUrl === undefined && p.metadata === undefined) return current;
    const next = updatedItem(current, { name: p.name, redirectUrl, metadata: p.metadata });
    if (Object.keys(next.metadata).length > METADATA_MAX_KEYS) {
      throw new StripeError('parameter_invalid', `metadata can have at most ${METADATA_MAX_KEYS} keys (with the item's own).`, 'metadata');
    }
    return next;
  });
  return c.json(debitItemToWire(item, links(c)), 200);
};

export const deactivate: Handler<'deactivate'> = async (c) => {
  const { id } = c.req.valid('param');
  return c.json(debitItemToWire(await changed(c, id, (item) => withActive(item, false)), links(c)), 200);
};

export const reactivate: Handler<'reactivate'> = async (c) => {
  const { id } = c.req.valid('param');
  return c.json(debitItemToWire(await changed(c, id, (item) => withActive(item, true)), links(c)), 200);
};

export const list: Handler<'list'> = async (c) => {
  const q = c.req.valid('query');
  const scope = scopeOf(c);
  const cursorId = q.starting_after ?? q.ending_before;
  let cursor: Parameters<typeof listDebitItems>[1]['cursor'];
  if (cursorId !== undefined) {
    const param = q.starting_after !== undefined ? 'starting_after' : 'ending_before';
    const key = DEBIT_ITEM_ID_PATTERN.test(cursorId) ? await findDebitItemCursor(shardOf(c), scope, cursorId) : undefined;
    if (!key) throw noSuchObject('debit_item', cursorId, param);
    cursor = { direction: q.starting_after !== undefined ? 'after' : 'before', ...key };
  }
  const page = await listDebitItems(shardOf(c), { ...scope, limit: q.limit ?? 10, cursor, created: createdRange(q), active: q.active });
  return c.json(
    {
      object: 'list' as const,
      url: '/v1/debit_items',
      has_more: page.hasMore,
      data: page.data.map((item) => debitItemToWire(item, links(c))),
    },
    200,
  );
};
