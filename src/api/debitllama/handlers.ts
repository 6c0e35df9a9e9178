/** /api/v1 handlers of 002_…: the read model of the merchant and mode of the access token, rendered in DebitLlama's wire. */
import type { RouteHandler } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { chainsConfig } from '../../chain/registry.js';
import {
  accountsOf,
  itemByButton,
  itemsByIds,
  mandateByOnchainId,
  type NumberedMandate,
  pageOfAccounts,
  pageOfItems,
  pageOfMandates,
} from '../../db/debitllama.js';
import { readSettings } from '../../env.js';
import { type AppEnv, shardOf } from '../../http/context.js';
import { checkoutUrl } from '../stripe/debit-items/wire.js';
import { scopeOf } from '../stripe/context.js';
import { ApiV1Error } from './errors.js';
import {
  ACCOUNT_FILTER_FIELDS,
  ACCOUNT_SORT_KEYS,
  ITEM_FILTER_FIELDS,
  ITEM_SORT_KEYS,
  MANDATE_FILTER_FIELDS,
  MANDATE_SORT_KEYS,
} from './query.js';
import type * as routes from './routes.js';
import { accountToWire, itemToWire, latestRequestToWire, paymentIntentToWire } from './wire.js';

type Handler<R extends keyof typeof routes> = RouteHandler<(typeof routes)[R], AppEnv>;

export const DESCRIPTIONS = {
  paymentIntents: 'GET:All payment intents of access token owner paginated',
  paymentIntent: 'GET: payment intent by identifier',
  accounts: 'GET: Accounts of access token owner paginated',
  items: 'GET: Debit items of access token owner paginated',
  item: 'GET: a debit item by its button id',
} as const;

function self(c: Context<AppEnv>, description: string) {
  return {
    _self: { href: c.req.path, methods: ['GET' as const] },
    _version: 'v1' as const,
    _description: description,
  };
}

const totalPages = (total: number, size: number) => Math.max(1, Math.ceil(total / size));

function pagination(
  q: { current_page: number; page_size: number; sort_by: string; sort_direction: 'ASC' | 'DESC' },
  total: number,
  sortable: string[],
) {
  return {
    current_page: q.current_page,
    total_pages: totalPages(total, q.page_size),
    page_size: q.page_size,
    sort_by: q.sort_by,
    sort_direction: q.sort_direction,
    sortable_columns: sortable,
  };
}

/** The page's mandates rendered with their debit items and accounts (two more reads, whatever the page's size). */
async function rendered(c: Context<AppEnv>, rows: NumberedMandate[]) {
  const d1 = shardOf(c);
  const mandates = rows.map((r) => r.mandate);
  const [items, accounts] = await Promise.all([
    itemsByIds(
      d1,
      mandates.map((m) => m.debitItemId),
    ),
    accountsOf(d1, scopeOf(c), mandates),
  ]);
  const networks = chainsConfig(c.env);
  return rows.map((row) => {
    const item = items.get(row.mandate.debitItemId);
    if (!item) throw new Error(`the read model has no debit item ${row.mandate.debitItemId} for mandate ${row.mandate.id}`);
    return paymentIntentToWire(networks, row, item, accounts);
  });
}

export const paymentIntents: Handler<'paymentIntents'> = async (c) => {
  const q = c.req.valid('query');
  const { rows, total } = await pageOfMandates(shardOf(c), scopeOf(c), q.filter.filter, q.sort_by, {
    page: q.current_page,
    size: q.page_size,
    ascending: q.sort_direction === 'ASC',
  });
  const data = await rendered(c, rows);
  return c.json(
    {
      ...self(c, DESCRIPTIONS.paymentIntents),
      _links: data.map((pi) => ({ href: `/api/v1/payment_intents/${pi.payment_intent}`, methods: ['GET' as const] })),
      paymentIntents: data,
      pagination: pagination(q, total, MANDATE_SORT_KEYS),
      filter: q.filter.applied,
      availableFilters: [...MANDATE_FILTER_FIELDS],
    },
    200,
  );
};

export const paymentIntent: Handler<'paymentIntent'> = async (c) => {
  const { payment_intent: onchainId } = c.req.valid('param');
  const { role } = c.req.valid('query');
  if (role === 'customer') {
    throw new ApiV1Error(400, 'Invalid role parameter: an access token here is a merchant`s; use role=merchant.', 'role');
  }
  const found = /^0x[0-9a-fA-F]{64}$/.test(onchainId) ? await mandateByOnchainId(shardOf(c), scopeOf(c), onchainId) : undefined;
  if (!found) throw new ApiV1Error(404, 'Payment Intent not found', 'payment_intent');
  const [data] = await rendered(c, [found]);
  return c.json(
    {
      ...self(c, DESCRIPTIONS.paymentIntent),
      _links: [{ href: '/api/v1/payment_intents', methods: ['GET' as const] }],
      paymentIntent: data!,
      dynamicPaymentRequest: latestRequestToWire(found.mandate),
    },
    200,
  );
};

export const accounts: Handler<'accounts'> = async (c) => {
  const q = c.req.valid('query');
  const { rows, total } = await pageOfAccounts(shardOf(c), scopeOf(c), q.filter.filter, q.sort_by, {
    page: q.current_page,
    size: q.page_size,
    ascending: q.sort_direction === 'ASC',
  });
  const networks = chainsConfig(c.env);
  return c.json(
    {
      ...self(c, DESCRIPTIONS.accounts),
      _links: [{ href: '/api/v1/payment_intents', methods: ['GET' as const] }],
      accounts: rows.map((row) => accountToWire(networks, row)),
      pagination: pagination(q, total, ACCOUNT_SORT_KEYS),
      filters: q.filter.applied,
      availableFilters: [...ACCOUNT_FILTER_FIELDS],
    },
    200,
  );
};

export const items: Handler<'items'> = async (c) => {
  const q = c.req.valid('query');
  const { rows, total } = await pageOfItems(shardOf(c), scopeOf(c), q.filter.filter, q.sort_by, {
    page: q.current_page,
    size: q.page_size,
    ascending: q.sort_direction === 'ASC',
  });
  const networks = chainsConfig(c.env);
  const data = rows.map((row) => itemToWire(networks, row));
  return c.json(
    {
      ...self(c, DESCRIPTIONS.items),
      _links: data.map((i) => ({ href: `/api/v1/items/${i.button_id}`, methods: ['GET' as const] })),
      items: data,
      pagination: pagination(q, total, ITEM_SORT_KEYS),
      filter: q.filter.applied,
      availableFilters: [...ITEM_FILTER_FIELDS],
    },
    200,
  );
};

export const item: Handler<'item'> = async (c) => {
  const { button_id: buttonId } = c.req.valid('param');
  const found = await itemByButton(shardOf(c), scopeOf(c), buttonId);
  if (!found) throw new ApiV1Error(404, 'Unable to find item', 'button_id');
  const checkout = checkoutUrl({ baseUrl: readSettings(c.env).publicBaseUrl }, buttonId);
  return c.json(
    {
      ...self(c, DESCRIPTIONS.item),
      _links: [{ href: checkout, methods: ['GET' as const] }],
      item: itemToWire(chainsConfig(c.env), found),
      checkout,
      item_id: buttonId,
    },
    200,
  );
};
