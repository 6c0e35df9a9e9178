/**
 * payment_method_options.crypto against this deployment's networks, for a merchant with an xpub:
 * how this family resolves a network and token, at a payment intent's create or confirmation and at
 * a Checkout Session's create.
 */
import type { Context } from 'hono';
import { resolveCryptoOptions } from '../../chain/registry.js';
import type { CryptoOptions } from '../../domain/crypto.js';
import type { Env } from '../../env.js';
import type { AppEnv } from '../../http/context.js';
import { cryptoSettings } from '../../merchants/crypto.js';
import { scopeOf } from './context.js';
import { StripeError } from './errors.js';

export const CRYPTO_PARAM = 'payment_method_options[crypto]';

export async function cryptoOptions(
  c: Context<AppEnv>,
  requested: { network: string; token: string; expires_in?: number },
): Promise<CryptoOptions> {
  return cryptoOptionsFor(c.env, scopeOf(c), requested);
}

/** The same for a known owner and mode, without an API key's context: the hosted page confirms as the intent's owner. */
export async function cryptoOptionsFor(
  env: Env,
  owner: { merchantId: string; livemode: boolean },
  requested: { network: string; token: string; expires_in?: number },
): Promise<CryptoOptions> {
  const found = resolveCryptoOptions(
    env,
    { network: requested.network, token: requested.token, expiresIn: requested.expires_in ?? null },
    owner.livemode,
  );
  if (!found.ok) throw new StripeError('parameter_invalid', found.message, `${CRYPTO_PARAM}[${found.param}]`);
  await requireXpubOf(env, owner.merchantId);
  return found.options;
}

/** Crypto needs the account's watch-only xpub: each intent's deposit address is derived from it. */
export async function requireXpub(c: Context<AppEnv>): Promise<void> {
  await requireXpubOf(c.env, scopeOf(c).merchantId);
}

async function requireXpubOf(env: Env, merchantId: string): Promise<void> {
  const settings = await cryptoSettings(env.DIRECTORY, merchantId);
  if (!settings?.xpub) {
    throw new StripeError(
      'crypto_not_configured',
      "This account cannot take crypto payments yet: its watch-only xpub (the account's extended public key, from which each PaymentIntent gets its own deposit address) is not set.",
      'payment_method_types',
    );
  }
}
