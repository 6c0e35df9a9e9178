/**
 * The subscribe page's handlers. The button id is the page's only credential: a malformed one is
 * refused before any lookup, an unknown one is the same 404. The button's directory row says whose
 * item it is and on which shard; the item itself is read there. A signed mandate goes to the
 * mandates' seam (src/mandates/service.ts) as the item's merchant; the page answers only what it
 * shows. Links are built on PUBLIC_BASE_URL, never on the request's Host.
 */
import type { RouteHandler } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { getAddress } from 'viem';
import { StripeError } from '../../api/stripe/errors.js';
import { chainsConfig } from '../../chain/registry.js';
import { findDebitItem } from '../../db/debit-items.js';
import { shardDatabase } from '../../db/shards.js';
import { findSubscribeButton } from '../../db/subscribe-buttons.js';
import type { DebitItem } from '../../domain/debit-item.js';
import type { AccountType, Mandate } from '../../domain/mandate.js';
import { readSettings } from '../../env.js';
import type { AppEnv } from '../../http/context.js';
import { BUTTON_ID_PATTERN, MANDATE_ID_PATTERN } from '../../lib/ids.js';
import { findStorefront } from '../../merchants/keys.js';
import { MandateRefused, retrieveMandate, subscribe } from '../../mandates/service.js';
import { pageSecurityPolicy } from '../checkout/handlers.js';
import { payerLocale } from '../checkout/format.js';
import type { show, subscribeRoute } from './routes.js';
import { NOT_FOUND_PAGE, type PageMandateView, renderSubscribePage } from './view.js';

interface Found {
  item: DebitItem;
  shard: string;
}

/** The button's item, or undefined for a malformed or unknown button (no lookup for a malformed one). */
async function itemOfButton(c: Context<AppEnv>, buttonId: string): Promise<Found | undefined> {
  if (!BUTTON_ID_PATTERN.test(buttonId)) return undefined;
  const button = await findSubscribeButton(c.env.DIRECTORY, buttonId);
  if (!button) return undefined;
  const item = await findDebitItem(shardDatabase(c.env, button.shard), button, button.debitItemId);
  return item && item.buttonId === buttonId ? { item, shard: button.shard } : undefined;
}

async function foundOrThrow(c: Context<AppEnv>, buttonId: string): Promise<Found> {
  const found = await itemOfButton(c, buttonId);
  if (!found) throw new StripeError('resource_missing', `No such subscribe button: '${buttonId}'`, 'button_id');
  return found;
}

/** The item's network's contracts, by the account type each serves; the native coin can only be deposited. */
function contractsFor(c: Context<AppEnv>, item: DebitItem): Partial<Record<AccountType, string>> {
  const network = chainsConfig(c.env).get(item.network);
  const contracts: Partial<Record<AccountType, string>> = {};
  if (network?.connected_wallets_contract && item.token.address !== null) contracts.connected_wallet = network.connected_wallets_contract;
  if (network?.virtual_accounts_contract) contracts.virtual_account = network.virtual_accounts_contract;
  return contracts;
}

function secureHeaders(c: Context<AppEnv>): void {
  c.header('Content-Security-Policy', pageSecurityPolicy(readSettings(c.env).publicBaseUrl));
  c.header('Referrer-Policy', 'no-referrer');
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Cache-Control', 'no-store');
}

export const showPage: RouteHandler<typeof show, AppEnv> = async (c) => {
  const { button_id: buttonId } = c.req.valid('param');
  const { mandate: mandateId } = c.req.valid('query');
  const found = await itemOfButton(c, buttonId);
  const storefront = found && (await findStorefront(c.env.DIRECTORY, found.item.merchantId, found.item.livemode));
  secureHeaders(c);
  if (!found || !storefront) return c.html(NOT_FOUND_PAGE, 404);
  const baseUrl = readSettings(c.env).publicBaseUrl;
  return c.html(
    renderSubscribePage({
      item: found.item,
      merchantName: storefront.merchantName,
      locale: payerLocale(c.req.header('Accept-Language')),
      contracts: contractsFor(c, found.item),
      pageUrl: `${baseUrl}/subscribe/${found.item.buttonId}`,
      mandatesUrl: `${baseUrl}/subscribe/${found.item.buttonId}/mandates`,
      mandate: mandateId === undefined ? null : await mandateOfPage(c, found, mandateId),
    }),
    200,
  );
};

/** A mandate of the page's item, as the page shows it; 'missing' for anything else (another item's, unknown, malformed). */
async function mandateOfPage(c: Context<AppEnv>, { item, shard }: Found, id: string): Promise<PageMandateView | 'missing'> {
  if (!MANDATE_ID_PATTERN.test(id)) return 'missing';
  let mandate: Mandate;
  try {
    const caller = { merchantId: item.merchantId, livemode: item.livemode, shard, requestId: c.get('requestId'), idempotency: null };
    mandate = await retrieveMandate(c.env, caller, id);
  } catch (error) {
    if (error instanceof MandateRefused && error.code === 'resource_missing') return 'missing';
    throw error;
  }
  // Another item's mandate of the same merchant is not this page's.
  return mandate.debitItemId === item.id ? pageMandate(item, mandate) : 'missing';
}

/** What the page may show of a mandate, and where the payer goes next. */
function pageMandate(item: DebitItem, m: Mandate): PageMandateView {
  const next = new URL(item.redirectUrl);
  next.searchParams.set('mandate', m.id);
  return {
    id: m.id,
    status: m.status,
    account_type: m.accountType,
    contract: m.contract,
    onchain_id: m.onchainId,
    used: m.used,
    debit_times: m.debitTimes,
    next_payment_date: m.nextPaymentAt === null ? null : Math.floor(m.nextPaymentAt / 1000),
    redirect_url: next.toString(),
  };
}

/** The seam's refusal in the canonical envelope, naming the page's parameter. */
function refusal(error: MandateRefused): StripeError {
  switch (error.code) {
    case 'parameter_invalid':
    case 'parameter_missing':
      return new StripeError(error.code, error.message, error.param ?? null);
    case 'resource_missing':
      return new StripeError('resource_missing', error.message, error.param ?? 'button_id');
    case 'debit_item_inactive':
      return new StripeError('debit_item_inactive', error.message, 'button_id');
    case 'chain_unavailable':
      return new StripeError('chain_unavailable', error.message, null, {}, true);
    case 'mandate_unexpected_state':
      return new StripeError('mandate_unexpected_state', error.message, error.param ?? null);
  }
}

export const subscribeFromPage: RouteHandler<typeof subscribeRoute, AppEnv> = async (c) => {
  const { button_id: buttonId } = c.req.valid('param');
  const p = c.req.valid('json');
  const { item, shard } = await foundOrThrow(c, buttonId);
  if (!item.active) {
    throw new StripeError('debit_item_inactive', 'The debit item of this button was deactivated: it takes no new mandates.', 'button_id');
  }
  if (p.valid_before <= p.start) throw new StripeError('parameter_invalid', 'valid_before must be after start.', 'valid_before');
  if (p.valid_before <= Math.floor(Date.now() / 1000)) {
    throw new StripeError('parameter_invalid', 'valid_before has passed: sign the mandate again.', 'valid_before');
  }
  const contracts = contractsFor(c, item);
  if (contracts[p.account_type] === undefined) {
    const why =
      item.token.address === null && p.account_type === 'connected_wallet' ? ' (the native coin is only debited from a deposit)' : '';
    throw new StripeError('parameter_invalid', `account_type ${p.account_type} is not available for this item${why}.`, 'account_type');
  }
  try {
    const mandate = await subscribe(
      c.env,
      item,
      shard,
      {
        accountType: p.account_type,
        payer: getAddress(p.payer.toLowerCase()),
        start: p.start,
        validBefore: p.valid_before,
        salt: p.salt.toLowerCase(),
        signature: p.signature.toLowerCase(),
      },
      c.get('requestId'),
    );
    return c.json(pageMandate(item, mandate), 200);
  } catch (error) {
    if (error instanceof MandateRefused) throw refusal(error);
    throw error;
  }
};
