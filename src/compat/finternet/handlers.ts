/**
 * Handlers of 004_… (Finternet): its wire translated into the service seam's calls, and the intent
 * that comes back rendered in its shape. Another merchant's intent is a 403 (the document says so),
 * one of this merchant's other mode a 404, as if it did not exist.
 */
import type { RouteHandler } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { callerOf, keptByObject } from '../../api/stripe/context.js';
import { chainsConfig, resolveCryptoOptions } from '../../chain/registry.js';
import type { CryptoOptions } from '../../domain/crypto.js';
import { DomainError } from '../../domain/errors.js';
import type { SettlementMethod, SettlementType } from '../../domain/settlement.js';
import type { AppEnv } from '../../http/context.js';
import { IntentService, intentById } from '../../intents/service.js';
import { cryptoSettings } from '../../merchants/crypto.js';
import { FinternetError, forbidden, notFound } from './errors.js';
import type * as routes from './routes.js';
import { paymentIntentToWire, publicPaymentIntentToWire } from './wire.js';

type Handler<R extends keyof typeof routes> = RouteHandler<(typeof routes)[R], AppEnv>;

/** The token every intent of this family is paid in. */
const TOKEN = 'usdc';

const service = (c: Context<AppEnv>) => new IntentService(c.env, callerOf(c));

export const create: Handler<'create'> = async (c) => {
  const p = c.req.valid('json');
  const crypto = await usdcOptions(c, p.chainId);
  const amount = baseUnits(p.amount, crypto.token.decimals);
  // Under an Idempotency-Key the intent's object keeps the answer (and says when it replays one).
  const { intent } = await new IntentService(c.env, callerOf(c), keptByObject(c)).create(
    {
      amount,
      currency: crypto.token.symbol,
      crypto,
      // Held in escrow until delivery: on Stripe's wire it is a manual capture (capture = release).
      captureMethod: 'manual',
      metadata: p.metadata,
      settlement: {
        type: p.type.toLowerCase() as SettlementType,
        method: p.settlementMethod.toLowerCase() as SettlementMethod,
        destination: p.settlementDestination,
      },
    },
    // Confirmed at once: the intent gets its deposit address and typed data for the payer to sign.
    {},
  );
  return c.json(paymentIntentToWire(intent), 201);
};

export const retrieve: Handler<'retrieve'> = async (c) => {
  const { intentId } = c.req.valid('param');
  const intent = await asOwner(c, intentId, () => service(c).retrieve(intentId));
  return c.json(paymentIntentToWire(intent), 200);
};

export const retrievePublic: Handler<'retrievePublic'> = async (c) => {
  const { intentId } = c.req.valid('param');
  const intent = await intentById(c.env, intentId);
  if (!intent) throw notFound(intentId);
  return c.json(publicPaymentIntentToWire(intent), 200);
};

/**
 * The payer's signed escrow deposit (and, optionally, its EIP-2612 permit): the relayer locks the
 * deposit for the payer, who pays no gas (service.submitEscrowDeposit verifies the signature first).
 */
export const submitSignature: Handler<'submitSignature'> = async (c) => {
  const { intentId } = c.req.valid('param');
  const { signature, signerAddress, permit } = c.req.valid('json');
  const { intent } = await asOwner(c, intentId, () =>
    service(c).submitEscrowDeposit(intentId, {
      signature,
      signer: signerAddress,
      publishable: false,
      ...(permit && { permit }),
    }),
  );
  return c.json(paymentIntentToWire(intent), 200);
};

export const confirmDelivery: Handler<'confirmDelivery'> = async (c) => {
  const { intentId } = c.req.valid('param');
  const { intent } = await asOwner(c, intentId, () => service(c).confirmDelivery(intentId));
  return c.json(paymentIntentToWire(intent), 200);
};

export const cancel: Handler<'cancel'> = async (c) => {
  const { intentId } = c.req.valid('param');
  const { intent } = await asOwner(c, intentId, () => service(c).cancel(intentId, 'requested_by_customer'));
  return c.json(paymentIntentToWire(intent), 200);
};

/**
 * Runs an action on an intent of the caller's: when the seam finds none, the document's 403 for an
 * intent of another merchant, and its 404 for none at all (or one of this merchant's other mode).
 */
async function asOwner<T>(c: Context<AppEnv>, id: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (!(error instanceof DomainError && error.code === 'resource_missing' && error.resource?.type === 'payment_intent')) throw error;
    const found = await intentById(c.env, id);
    if (found && found.merchantId !== c.get('auth').merchantId) throw forbidden();
    throw notFound(id);
  }
}

/**
 * USDC on the chain the body names by `chainId`, or else on the first network CHAINS configures for
 * the key's mode that has USDC and an escrow contract: every intent of this family is held in escrow
 * until delivery. A chain of this mode with USDC but no escrow is a 400 naming `chainId`, as is one
 * without USDC. The merchant needs its xpub: the escrow pays out to the intent's deposit address.
 */
async function usdcOptions(c: Context<AppEnv>, chainId: number | undefined): Promise<CryptoOptions> {
  const { livemode, merchantId } = c.get('auth');
  const mode = livemode ? 'live' : 'test';
  const withUsdc = [...chainsConfig(c.env)].filter(
    ([, chain]) => chain.livemode === livemode && chain.tokens.some((t) => t.symbol === TOKEN),
  );
  const usable = withUsdc.filter(([, chain]) => chain.escrow_contract !== undefined);
  const offered = usable.map(([, chain]) => chain.chainId).join(', ');
  const useOne = offered ? `: use one of ${offered}` : '';
  if (
    chainId !== undefined &&
    !usable.some(([, chain]) => chain.chainId === chainId) &&
    withUsdc.some(([, chain]) => chain.chainId === chainId)
  ) {
    throw new FinternetError(
      'parameter_invalid',
      `Chain ${chainId} has no escrow contract, and every payment intent here is held in escrow until delivery${useOne}.`,
      'chainId',
    );
  }
  const chosen = chainId === undefined ? usable[0] : usable.find(([, chain]) => chain.chainId === chainId);
  if (!chosen) {
    throw new FinternetError(
      'parameter_invalid',
      chainId === undefined
        ? `No chain with USDC and an escrow contract is configured for ${mode} mode.`
        : `Chain ${chainId} has no USDC for ${mode} mode${useOne}.`,
      'chainId',
    );
  }
  const found = resolveCryptoOptions(c.env, { network: chosen[0], token: TOKEN, expiresIn: null }, livemode);
  if (!found.ok) throw new FinternetError('parameter_invalid', found.message, 'chainId');
  const settings = await cryptoSettings(c.env.DIRECTORY, merchantId);
  if (!settings?.xpub) {
    throw new FinternetError(
      'crypto_not_configured',
      'This account cannot take USDC payments yet: its watch-only xpub, from which each payment intent gets its own deposit address, is not set.',
    );
  }
  return found.options;
}

/** "1000.00" → 1000000000 at 6 decimals, exactly; more decimals than the token has is refused, as is zero. */
function baseUnits(decimal: string, decimals: number): bigint {
  const [whole, fraction = ''] = decimal.split('.') as [string, string?];
  if (fraction.length > decimals) {
    throw new FinternetError(
      'parameter_invalid',
      `Invalid amount: USDC has ${decimals} decimals, "${decimal}" has ${fraction.length}.`,
      'amount',
    );
  }
  const units = BigInt(whole) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
  if (units === 0n) throw new FinternetError('parameter_invalid', 'Invalid amount: it must be greater than 0.', 'amount');
  return units;
}
