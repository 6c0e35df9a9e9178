/**
 * The domain's mandates and debit items on the wire of 002_…: a mandate is a PaymentIntent_ApiV1,
 * the payer's account behind it an Account_ApiV1. Networks are described from CHAINS, with only the
 * public RPC URL a network names (never `rpcUrls`, which may carry an API key).
 */
import type { z } from '@hono/zod-openapi';
import type { AccountRow, NumberedItem, NumberedMandate } from '../../db/debitllama.js';
import { accountKey } from '../../db/debitllama.js';
import type { Networks } from '../../chain/registry.js';
import { type DebitItem as DomainItem, intervalSeconds } from '../../domain/debit-item.js';
import { type Mandate, transactionsLeft, wireStatus } from '../../domain/mandate.js';
import type * as schemas from './schemas.js';

const DAY = 86_400;
type Wire<T extends z.ZodType> = z.input<T>;
type Token = { symbol: string; decimals: number; address: string | null };

const utc = (ms: number) => new Date(ms).toUTCString();
const days = (seconds: number) => (seconds % DAY === 0 ? seconds / DAY : 0);

export function currencyToWire(token: Token): Wire<typeof schemas.Currency> {
  return { name: token.symbol.toUpperCase(), native: token.address === null, contractAddress: token.address ?? '' };
}

export function networkToWire(networks: Networks, network: string, chainId: number): Wire<typeof schemas.Network> {
  const config = networks.get(network);
  return {
    name: network,
    rpc: config?.public_rpc_url ?? null,
    chain_id: `0x${chainId.toString(16)}`,
    currency: config?.nativeCurrency.symbol.toUpperCase() ?? '',
    virtual_accounts_contract: config?.virtual_accounts_contract ?? '',
    connected_wallets_contract: config?.connected_wallets_contract ?? '',
    available_currencies: config
      ? [
          currencyToWire({ ...config.nativeCurrency, address: null }),
          ...config.tokens.map((t) => currencyToWire({ symbol: t.symbol, decimals: t.decimals, address: t.address })),
        ]
      : [],
  };
}

export function itemToWire(networks: Networks, { number, item, mandates }: NumberedItem): Wire<typeof schemas.DebitItem> {
  const seconds = intervalSeconds(item.interval);
  return {
    id: number,
    created_at: utc(item.created),
    payee_address: item.payeeAddress,
    currency: currencyToWire(item.token),
    max_price: item.maxPrice.toString(),
    debit_times: item.debitTimes,
    debit_interval: item.interval.unit === 'days' ? item.interval.days : 0,
    debit_interval_seconds: seconds,
    button_id: item.buttonId,
    redirect_url: item.redirectUrl,
    pricing: pricingToWire(item.pricing),
    network: networkToWire(networks, item.network, item.chainId),
    name: item.name,
    deleted: !item.active,
    payment_intents_count: mandates,
  };
}

function pricingToWire(pricing: DomainItem['pricing']): 'Fixed' | 'Dynamic' {
  return pricing === 'fixed' ? 'Fixed' : 'Dynamic';
}

/** The latest balance any of the account's mandates read. */
function latestBalance(mandates: Mandate[]): bigint | null {
  let latest: Mandate | undefined;
  for (const m of mandates) {
    if (m.accountBalance === null) continue;
    if (!latest || (m.balanceReadAt ?? 0) > (latest.balanceReadAt ?? 0)) latest = m;
  }
  return latest?.accountBalance ?? null;
}

export function accountToWire(networks: Networks, account: AccountRow): Wire<typeof schemas.Account> {
  const newest = account.mandates[0]!;
  const balance = latestBalance(account.mandates);
  const virtual = account.accountType === 'virtual_account';
  return {
    id: account.number,
    created_at: utc(account.createdAt),
    network: networkToWire(networks, newest.network, newest.chainId),
    commitment: newest.commitment,
    name: `${virtual ? 'Virtual account' : 'Connected wallet'} (${newest.token.symbol.toUpperCase()})`,
    closed: false,
    currency: currencyToWire(newest.token),
    balance: balance === null ? null : balance.toString(),
    account_type: virtual ? 'VIRTUALACCOUNT' : 'CONNECTEDWALLET',
    creator_address: newest.payer,
  };
}

export function paymentIntentToWire(
  networks: Networks,
  { number, mandate: m }: NumberedMandate,
  item: NumberedItem,
  accounts: Map<string, AccountRow>,
): Wire<typeof schemas.PaymentIntent> {
  const account = accounts.get(accountKey(m)) ?? {
    number,
    commitment: m.commitment,
    accountType: m.accountType,
    createdAt: m.created,
    mandates: [m],
  };
  return {
    id: number,
    created_at: utc(m.created),
    account: accountToWire(networks, account),
    payee_address: m.payee,
    max_debit_amount: m.maxAmount.toString(),
    debit_times: m.debitTimes,
    debit_interval: days(m.interval),
    payment_intent: m.onchainId,
    commitment: m.commitment,
    estimated_gas: m.estimatedGas?.toString() ?? '',
    status_text: wireStatus(m.status),
    last_payment_date: m.lastPaymentAt === null ? null : utc(m.lastPaymentAt),
    next_payment_date: m.nextPaymentAt === null ? null : utc(m.nextPaymentAt),
    pricing: pricingToWire(m.pricing),
    currency: currencyToWire(m.token),
    network: networkToWire(networks, m.network, m.chainId),
    debit_item: itemToWire(networks, item),
    used_for: m.used,
    transactions_left: transactionsLeft(m),
    failed_dynamic_payment_amount: m.failedDynamicPaymentAmount.toString(),
  };
}

const REQUEST_STATUS = { pending: 'Created', debited: 'Completed', failed: 'Rejected', canceled: 'Rejected' } as const;

/** The mandate's latest debit request (DebitLlama's DynamicPaymentRequest), or [] when it has none. */
export function latestRequestToWire(m: Mandate): Wire<typeof schemas.DynamicPaymentRequest> | [] {
  const latest = m.debitRequests.at(-1);
  if (!latest) return [];
  return {
    created_at: utc(latest.created),
    status: REQUEST_STATUS[latest.status],
    amount: latest.amount.toString(),
    currency: currencyToWire(m.token),
    chain_id: `0x${m.chainId.toString(16)}`,
  };
}
