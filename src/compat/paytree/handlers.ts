/**
 * Handlers of 001_… (Paytree): its wire translated into the service seam's calls, the intent that
 * comes back rendered with the family's row (src/db/paytree.ts). An intent of another merchant, of
 * the key's other mode, or not made through this family is DRF's 404 "Not found.".
 */
import type { Context } from 'hono';
import { callerOf } from '../../api/stripe/context.js';
import { hostedPageUrl } from '../../api/stripe/wire/payment-intent.js';
import { completeReservation, listPaytreeIntents, paytreeRowOf, releaseReservation, reserveTransactionRef } from '../../db/paytree.js';
import { DomainError } from '../../domain/errors.js';
import type { PaymentMethodType } from '../../domain/test-payment-methods.js';
import { readSettings } from '../../env.js';
import { type AppEnv, shardOf } from '../../http/context.js';
import { findCardNumber } from '../../http/card-numbers.js';
import { IntentService } from '../../intents/service.js';
import { checkWebhookUrl } from '../../webhooks/url-policy.js';
import { readPaytreeBody } from './body.js';
import { fieldError, notFound, PaytreeError, zodToFieldErrors } from './errors.js';
import {
  amountProblem,
  CURRENCIES,
  CreateBody,
  type CreateInput,
  DEFAULT_PAGE_SIZE,
  IdParam,
  ListQuery,
  MAX_PAGE_SIZE,
  minorUnits,
  PREFIX,
  type PaytreeCurrency,
  type PaytreeMethod,
} from './schemas.js';
import { paytreeIntentToWire, routeOf } from './wire.js';

/** Paytree's methods as the canonical payment_method_types (src/domain/payment-methods.ts METHOD_RULES). */
export const METHOD_TYPES: Record<PaytreeMethod, PaymentMethodType> = {
  card: 'card',
  crypto: 'crypto',
  wire: 'customer_balance',
  paypal: 'paypal',
  klarna: 'klarna',
  ideal: 'ideal',
  bancontact: 'bancontact',
  trustly: 'trustly',
  kakaopay: 'kakao_pay',
  p24: 'p24',
  blik: 'blik',
};

const service = (c: Context<AppEnv>) => new IntentService(c.env, callerOf(c));
const baseUrlOf = (c: Context<AppEnv>) => readSettings(c.env).publicBaseUrl;

/** The create's body, decoded from any of its three media types and validated; card data refused first, unread. */
async function createBody(c: Context<AppEnv>): Promise<CreateInput> {
  const raw = await readPaytreeBody(c.req.raw);
  if (raw !== null && typeof raw === 'object' && 'card' in raw) {
    throw fieldError(['card'], 'Card data is not accepted: the payer enters it on the payment page (payment_link).');
  }
  const found = findCardNumber(raw);
  if (found) {
    const path = found.path.map((p) => (typeof p === 'number' ? p : String(p)));
    throw path.length === 0
      ? new PaytreeError(400, { detail: 'Card numbers are never accepted, in any field.' })
      : fieldError(path, 'Card numbers are never accepted: this field holds what looks like one.');
  }
  const result = CreateBody.safeParse(raw);
  if (result.success) return result.data;
  // zod checks the amount against its currency only once every field has its type; DRF names every bad field at once.
  const errors = zodToFieldErrors(result.error, raw);
  const { amount, amount_currency: currency } = (raw ?? {}) as Record<string, unknown>;
  const problem =
    errors.amount === undefined && typeof amount === 'string' && (CURRENCIES as readonly unknown[]).includes(currency)
      ? amountProblem(amount, currency as PaytreeCurrency)
      : null;
  throw new PaytreeError(400, problem ? { ...errors, amount: [problem] } : errors);
}

export async function create(c: Context<AppEnv>): Promise<Response> {
  const body = await createBody(c);
  const { merchantId, livemode } = c.get('auth');
  const route = routeOf(livemode);
  if (body.force_route !== undefined && body.force_route !== route.id) {
    throw fieldError(['force_route'], `No route "${body.force_route}" in this account: its one route is ${route.id} (${route.name}).`);
  }
  let notificationUrl: string | undefined;
  if (body.callback.notification_url !== undefined) {
    const check = checkWebhookUrl(body.callback.notification_url, livemode);
    if (!check.ok) throw fieldError(['callback', 'notification_url'], `Enter a URL notifications can be sent to: ${check.reason}`);
    notificationUrl = check.url.href;
  }
  const d1 = shardOf(c);
  const token = await reserveTransactionRef(
    d1,
    {
      merchantId,
      livemode,
      transactionRef: body.transaction_ref,
      clientRef: body.client_ref,
      method: body.method,
      customer: body.customer,
      address: body.address,
      session: body.session,
      callback: body.callback,
      order_items: body.order_items ?? null,
      metadata: body.metadata ?? null,
      force_route: body.force_route ?? null,
    },
    Date.now(),
  );
  if (token === null) throw fieldError(['transaction_ref'], 'payment intent with this transaction ref already exists.');
  let intent: Awaited<ReturnType<IntentService['create']>>['intent'];
  try {
    ({ intent } = await service(c).create({
      amount: minorUnits(body.amount, body.amount_currency),
      currency: body.amount_currency.toLowerCase(),
      paymentMethodTypes: [METHOD_TYPES[body.method]],
      notificationUrl,
      reference: body.transaction_ref,
    }));
  } catch (error) {
    await releaseReservation(d1, token);
    throw error;
  }
  await completeReservation(d1, token, intent.id, intent.created);
  return c.json(
    { id: intent.id, client_ref: body.client_ref, payment_link: hostedPageUrl({ baseUrl: baseUrlOf(c) }, intent.id, intent.clientSecret) },
    201,
  );
}

export async function retrieve(c: Context<AppEnv>): Promise<Response> {
  const parsed = IdParam.safeParse(c.req.param());
  if (!parsed.success) throw notFound();
  const { id } = parsed.data;
  let intent: Awaited<ReturnType<IntentService['retrieve']>>;
  try {
    intent = await service(c).retrieve(id);
  } catch (error) {
    if (error instanceof DomainError && error.code === 'resource_missing') throw notFound();
    throw error;
  }
  const row = await paytreeRowOf(shardOf(c), id);
  if (!row) throw notFound();
  return c.json(paytreeIntentToWire(intent, row, baseUrlOf(c)), 200);
}

export async function list(c: Context<AppEnv>): Promise<Response> {
  const input = Object.fromEntries(Object.entries(c.req.queries()).map(([k, v]) => [k, v.at(-1)]));
  // A card number is never a search term: refused, not echoed, as on every route here.
  const card = findCardNumber(input);
  if (card) throw fieldError(card.path.map(String), 'Card numbers are never accepted: this field holds what looks like one.');
  const parsed = ListQuery.safeParse(input);
  if (!parsed.success) throw new PaytreeError(400, zodToFieldErrors(parsed.error, input));
  const q = parsed.data;
  const { merchantId, livemode } = c.get('auth');
  const page = q.page === undefined ? 1 : /^\d{1,9}$/.test(q.page) ? Number(q.page) : 0;
  if (page < 1) throw new PaytreeError(404, { detail: 'Invalid page.' });
  // DRF's page_size_query_param: a bad size is the default, a large one the maximum.
  const asked = q.page_size !== undefined && /^\d{1,9}$/.test(q.page_size) ? Number(q.page_size) : 0;
  const pageSize = asked < 1 ? DEFAULT_PAGE_SIZE : Math.min(asked, MAX_PAGE_SIZE);
  const route = routeOf(livemode);
  const found =
    q.route_id !== undefined && q.route_id !== route.id
      ? { count: 0, results: [] }
      : await listPaytreeIntents(shardOf(c), {
          merchantId,
          livemode,
          page,
          pageSize,
          clientEmail: q.client_email,
          clientRef: q.client_ref,
          transactionRef: q.transaction_ref,
          gatewayId: q.gateway_id,
          domain: q.domain,
          search: q.search,
        });
  const pages = Math.max(1, Math.ceil(found.count / pageSize));
  if (page > pages) throw new PaytreeError(404, { detail: 'Invalid page.' });
  const baseUrl = baseUrlOf(c);
  return c.json(
    {
      count: found.count,
      next: page < pages ? pageUrl(baseUrl, c.req.url, page + 1) : null,
      previous: page > 1 ? pageUrl(baseUrl, c.req.url, page - 1) : null,
      results: found.results.map(({ row, intent }) => paytreeIntentToWire(intent, row, baseUrl)),
    },
    200,
  );
}

/**
 * Another page of the list, as DRF links it: the request's query with `page` replaced (dropped for
 * page 1), on PUBLIC_BASE_URL (never the request's Host).
 */
function pageUrl(baseUrl: string, requestUrl: string, page: number): string {
  const query = new URL(requestUrl).searchParams;
  if (page === 1) query.delete('page');
  else query.set('page', String(page));
  const search = query.toString();
  return `${baseUrl}${PREFIX}/v1/transaction/payment_intent/${search ? `?${search}` : ''}`;
}

/** DRF's answer to a method the path does not have. */
export function methodNotAllowed(allowed: string) {
  return (c: Context<AppEnv>): Response => {
    c.header('Allow', allowed);
    return c.json({ detail: `Method "${c.req.method}" not allowed.` }, 405);
  };
}
