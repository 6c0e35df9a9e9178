/** Domain → wire. Times become Unix seconds; amounts stay exact (digit strings past 2^53). */
import type { z } from '@hono/zod-openapi';
import { displayAmount, paymentTypedData, sumTransfers, type CryptoPayment, type CryptoTransfer } from '../../../domain/crypto.js';
import type { Escrow, EscrowLock } from '../../../domain/escrow.js';
import type { PaymentError, PaymentIntent } from '../../../domain/intent.js';
import { escrowTypedData } from '../../../intents/escrow-watch.js';
import { amountRemaining, type TestBankAccount, testBankAccount } from '../../../domain/payment-methods.js';
import type { BrowserPaymentIntent, PaymentIntent as WirePaymentIntent } from '../payment-intents/schemas.js';

/** Where links handed out on the wire point: this deployment's public origin (PUBLIC_BASE_URL), never a request header. */
export interface Links {
  baseUrl: string;
}

type Wire = z.input<typeof WirePaymentIntent>;
type BrowserWire = z.input<typeof BrowserPaymentIntent>;

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Amounts are bigint in the domain; on the wire a JSON integer, exact below 2^53 — which every
 * card-style amount is (eight digits). Token base units can go past it: those are digit strings.
 */
export function amountToWire(amount: bigint): number | string {
  return amount > SAFE ? amount.toString() : Number(amount);
}

export function paymentErrorToWire(error: PaymentError) {
  return {
    type: error.type,
    code: error.code,
    decline_code: error.declineCode,
    message: error.message,
    payment_method: { id: error.paymentMethod.id, object: 'payment_method' as const, type: error.paymentMethod.type },
  };
}

export function challengeUrl(links: Links, intentId: string, token: string): string {
  return `${links.baseUrl}/challenge/${intentId}/${token}`;
}

/**
 * The hosted payment page of an intent (src/pages/checkout): what a payer opens in a browser. The
 * client secret in it is the page's credential; the page is served with Referrer-Policy: no-referrer.
 */
export function hostedPageUrl(links: Links, intentId: string, clientSecret: string): string {
  return `${links.baseUrl}/pay/${intentId}?client_secret=${encodeURIComponent(clientSecret)}`;
}

function seconds(ms: number): number;
function seconds(ms: number | null): number | null;
function seconds(ms: number | null): number | null {
  return ms === null ? null : Math.floor(ms / 1000);
}

function nextActionToWire(intent: PaymentIntent, links: Links): BrowserWire['next_action'] {
  const action = intent.nextAction;
  if (action === null) return null;
  if (action.type === 'redirect_to_url') {
    return {
      type: 'redirect_to_url',
      redirect_to_url: { url: challengeUrl(links, intent.id, action.challengeToken), return_url: action.returnUrl },
    };
  }
  if (action.type === 'blik_authorize') return { type: 'blik_authorize', blik_authorize: {} };
  if (action.type === 'display_bank_transfer_instructions') {
    const account = testBankAccount(intent.currency);
    return {
      type: 'display_bank_transfer_instructions',
      display_bank_transfer_instructions: {
        amount_remaining: amountToWire(amountRemaining(intent)),
        currency: intent.currency,
        reference: action.reference,
        type: account.transferType,
        financial_addresses: [financialAddress(account)],
        hosted_instructions_url: hostedPageUrl(links, intent.id, intent.clientSecret),
      },
    };
  }
  const c = intent.crypto!;
  if (action.type === 'crypto_escrow_deposit') return escrowActionToWire(intent, c, links);
  const remaining = c.amount > c.seen ? c.amount - c.seen : 0n;
  return {
    type: 'crypto_transfer',
    crypto_transfer: {
      network: c.network,
      chain_id: c.chainId,
      token: c.token.symbol,
      token_address: c.token.address,
      deposit_address: c.depositAddress!,
      amount: c.amount.toString(),
      amount_display: displayAmount(c.amount, c.token.decimals),
      amount_remaining: remaining.toString(),
      amount_remaining_display: displayAmount(remaining, c.token.decimals),
      expires_at: seconds(c.expiresAt!),
      hosted_instructions_url: hostedPageUrl(links, intent.id, intent.clientSecret),
      typed_data: typedDataToWire(intent.id, c),
    },
  };
}

/** A test bank account as one of Stripe's financial_addresses. */
function financialAddress(account: TestBankAccount) {
  switch (account.kind) {
    case 'iban':
      return {
        type: 'iban' as const,
        iban: { account_holder_name: account.holder, bic: account.bic, country: account.country, iban: account.iban },
        supported_networks: account.networks,
      };
    case 'sort_code':
      return {
        type: 'sort_code' as const,
        sort_code: { account_holder_name: account.holder, account_number: account.accountNumber, sort_code: account.sortCode },
        supported_networks: account.networks,
      };
    case 'aba':
      return {
        type: 'aba' as const,
        aba: { account_number: account.accountNumber, bank_name: account.bankName, routing_number: account.routingNumber },
        supported_networks: account.networks,
      };
  }
}

const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

function escrowActionToWire(intent: PaymentIntent, c: CryptoPayment, links: Links): BrowserWire['next_action'] {
  const e = c.escrow!;
  const typed = escrowTypedData(c as CryptoPayment & { escrow: Escrow }, ZERO_ADDRESS);
  const m = typed.message;
  return {
    type: 'crypto_escrow_deposit',
    crypto_escrow_deposit: {
      network: c.network,
      chain_id: c.chainId,
      contract: typed.domain.verifyingContract,
      escrow_id: e.escrowId,
      token: c.token.symbol,
      token_address: m.token,
      amount: c.amount.toString(),
      amount_display: displayAmount(c.amount, c.token.decimals),
      merchant: m.merchant,
      deadline: e.deadline!,
      valid_before: e.validBefore!,
      hosted_instructions_url: hostedPageUrl(links, intent.id, intent.clientSecret),
      typed_data: {
        domain: typed.domain,
        types: typed.types as unknown as Record<string, { name: string; type: string }[]>,
        primaryType: typed.primaryType,
        message: {
          intentId: m.intentId,
          payer: m.payer,
          token: m.token,
          amount: m.amount.toString(),
          merchant: m.merchant,
          deadline: m.deadline.toString(),
          validBefore: m.validBefore.toString(),
        },
      },
    },
  };
}

function escrowToWire(e: Escrow) {
  const lock = (l: EscrowLock) => ({
    payer: l.payer,
    amount: l.amount.toString(),
    transaction: l.txHash,
    block_number: Number(l.blockNumber),
    deadline: l.deadline,
  });
  return {
    contract: e.contract,
    escrow_id: e.escrowId,
    merchant: e.merchant,
    deadline: e.deadline,
    valid_before: e.validBefore,
    status: e.outcome?.status ?? (e.lockStatus === 'confirmed' ? 'locked' : e.lockStatus === 'seen' ? 'lock_seen' : 'none'),
    lock: e.lock && lock(e.lock),
    uncounted_locks: e.uncounted.map((u) => ({ ...lock(u), reason: u.reason, status: u.status, refund_requested: u.refund !== null })),
    deposit_signer: e.deposit?.signer ?? null,
    release_requested_at: seconds(e.release?.requestedAt ?? null),
    refund_requested_at: seconds(e.refund?.requestedAt ?? null),
    outcome: e.outcome && { status: e.outcome.status, transaction: e.outcome.txHash, by: e.outcome.by },
  } as const;
}

/** The EIP-712 payload as JSON: uint256 values as decimal strings, as eth_signTypedData_v4 takes them. */
export function typedDataToWire(intentId: string, c: CryptoPayment) {
  const typed = paymentTypedData(intentId, c);
  return {
    domain: typed.domain,
    types: typed.types,
    primaryType: typed.primaryType,
    message: {
      ...typed.message,
      chainId: typed.message.chainId.toString(),
      amount: typed.message.amount.toString(),
      expiresAt: typed.message.expiresAt.toString(),
    },
  };
}

function transferToWire(t: CryptoTransfer) {
  return {
    hash: t.txHash,
    log_index: t.logIndex,
    block_number: Number(t.blockNumber),
    from: t.from,
    value: t.value.toString(),
    block_time: seconds(t.at),
  };
}

export function cryptoToWire(c: CryptoPayment): NonNullable<BrowserWire['crypto']> {
  return {
    network: c.network,
    chain_id: c.chainId,
    token: c.token.symbol,
    token_address: c.token.address,
    decimals: c.token.decimals,
    amount: c.amount.toString(),
    amount_display: displayAmount(c.amount, c.token.decimals),
    deposit_address: c.depositAddress,
    confirmations_required: c.confirmationsRequired,
    expires_at: seconds(c.expiresAt),
    amount_seen: c.seen.toString(),
    amount_confirmed: c.confirmed.toString(),
    amount_received: c.received.toString(),
    excess: c.excess.toString(),
    transactions: c.transfers.map(transferToWire),
    late_transactions: c.late.map(transferToWire),
    late_amount: sumTransfers(c.late).toString(),
    monitor_until: seconds(c.monitorUntil),
    signature: c.signature && {
      signer: c.signature.signer,
      signature: c.signature.signature,
      verified_at: seconds(c.signature.verifiedAt),
    },
    escrow: c.escrow && escrowToWire(c.escrow),
    phases: c.phases.map((p) => ({
      phase: p.phase,
      status: p.status,
      started_at: seconds(p.startedAt),
      completed_at: seconds(p.completedAt),
    })),
  };
}

export function toBrowserWire(intent: PaymentIntent, links: Links): BrowserWire {
  return {
    id: intent.id,
    object: 'payment_intent',
    amount: amountToWire(intent.amount),
    currency: intent.currency,
    status: intent.status,
    capture_method: intent.captureMethod,
    confirmation_method: intent.confirmationMethod,
    client_secret: intent.clientSecret,
    payment_method: intent.paymentMethod,
    payment_method_types: intent.paymentMethodTypes,
    last_payment_error: intent.lastPaymentError && paymentErrorToWire(intent.lastPaymentError),
    next_action: nextActionToWire(intent, links),
    cancellation_reason: intent.cancellationReason,
    canceled_at: seconds(intent.canceledAt),
    created: seconds(intent.created),
    livemode: intent.livemode,
    crypto: intent.crypto && cryptoToWire(intent.crypto),
    hosted_url: intent.status === 'succeeded' || intent.status === 'canceled' ? null : hostedPageUrl(links, intent.id, intent.clientSecret),
    payer_amount: intent.payerAmount && {
      minimum: intent.payerAmount.minimum === null ? null : amountToWire(intent.payerAmount.minimum),
      maximum: intent.payerAmount.maximum === null ? null : amountToWire(intent.payerAmount.maximum),
    },
  };
}

export function toWire(intent: PaymentIntent, links: Links): Wire {
  const c = intent.crypto;
  return {
    ...toBrowserWire(intent, links),
    amount_capturable: amountToWire(intent.amountCapturable),
    amount_received: amountToWire(intent.amountReceived),
    payment_method_options: c ? { crypto: { network: c.network, token: c.token.symbol, expires_in: c.expiresIn } } : {},
    description: intent.description,
    metadata: intent.metadata,
    receipt_email: intent.receiptEmail,
    statement_descriptor: intent.statementDescriptor,
    customer: intent.customer,
    notification_url: intent.notificationUrl,
    mandate: intent.mandate,
    debit: intent.debit && {
      mandate: intent.debit.mandate,
      period: intent.debit.period,
      network: intent.debit.network,
      contract: intent.debit.contract,
      token: intent.debit.token.symbol,
      token_address: intent.debit.token.address,
      decimals: intent.debit.token.decimals,
      payer: intent.debit.payer,
      payee: intent.debit.payee,
      transaction: intent.debit.txHash,
      block_number: intent.debit.blockNumber === null ? null : Number(intent.debit.blockNumber),
    },
    latest_charge: intent.charges.at(-1)?.id ?? null,
  };
}
