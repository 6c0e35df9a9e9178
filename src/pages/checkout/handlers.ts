/**
 * The hosted payment page's handlers. The payer has no API key: the client secret in the URL (or the
 * form) is the credential, checked in constant time by the intent's object (payerOfIntent). A payment
 * is confirmed through the seam as the intent's owner; nothing else is open to the page. Links are
 * built on PUBLIC_BASE_URL, never on the request's Host.
 */
import type { Context } from 'hono';
import type { RouteHandler } from '@hono/zod-openapi';
import { cryptoOptionsFor } from '../../api/stripe/crypto-options.js';
import { refusalToStripe, StripeError } from '../../api/stripe/errors.js';
import { ChainUnavailable } from '../../chain/port.js';
import { cryptoChoices, newChainReader } from '../../chain/registry.js';
import { checkoutPageView, completeFromPaidIntent } from '../../checkout/service.js';
import type { CheckoutPageView } from '../../checkout/view.js';
import { paytreeRowOf } from '../../db/paytree.js';
import { shardDatabase } from '../../db/shards.js';
import { logError } from '../../lib/log.js';
import { type CryptoOptions, tokenAmount } from '../../domain/crypto.js';
import { challengeUrl, hostedPageUrl } from '../../api/stripe/wire/payment-intent.js';
import { DomainError } from '../../domain/errors.js';
import type { PaymentIntent } from '../../domain/intent.js';
import { readSettings } from '../../env.js';
import type { AppEnv } from '../../http/context.js';
import { payerOfIntent } from '../../intents/service.js';
import { findStorefront } from '../../merchants/keys.js';
import { cryptoSettings } from '../../merchants/crypto.js';
import { amountInputValue, parseAmountInput, payerLocale } from './format.js';
import type { pay, show } from './routes.js';
import { amountBounds, NOT_FOUND_PAGE, type PayerCryptoChoice, renderPage } from './view.js';

/**
 * Scripts and styles from this origin only, no inline ones; the live socket on PUBLIC_BASE_URL's
 * ws(s) origin; the QR code is inline SVG (no image request). Forms go to this origin, whose
 * /challenge page is where 3-D Secure happens. No site may frame the page unless the merchant
 * listed it (GET/POST /v1/checkout_settings; origins checked there).
 */
export function pageSecurityPolicy(baseUrl: string, frameAncestors: readonly string[] = [], successUrl: string | null = null): string {
  const origin = new URL(baseUrl);
  // A session's form ends at its success_url (the form's 303 to the page, the page's 303 there), and
  // form-action applies to every redirect of a form's navigation: that one origin is allowed too.
  const success = successUrl ? ` ${new URL(successUrl).origin}` : '';
  const ws = `${origin.protocol === 'https:' ? 'wss:' : 'ws:'}//${origin.host}`;
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${origin.origin} ${ws}`,
    `form-action 'self' ${origin.origin}${success}`,
    "base-uri 'none'",
    `frame-ancestors ${frameAncestors.length > 0 ? frameAncestors.join(' ') : "'none'"}`,
  ].join('; ');
}

function secureHeaders(c: Context<AppEnv>, frameAncestors: readonly string[] = [], successUrl: string | null = null): void {
  c.header('Content-Security-Policy', pageSecurityPolicy(readSettings(c.env).publicBaseUrl, frameAncestors, successUrl));
  c.header('Referrer-Policy', 'no-referrer');
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Cache-Control', 'no-store');
}

function notFound(c: Context<AppEnv>) {
  secureHeaders(c);
  return c.html(NOT_FOUND_PAGE, 404);
}

/** What the payer typed last, kept on a refused attempt so the page does not lose it. */
interface Attempt {
  error: string | null;
  amountInput?: string;
}

/**
 * Where the payer goes back to the merchant: a Checkout Session's success and cancel URLs, or those
 * the intent was made with through 001_…'s family (Paytree's callback.return_url and cancel_url,
 * kept on the merchant's shard). Null for an intent with neither.
 */
async function returnLinksOf(c: Context<AppEnv>, intent: PaymentIntent, shard: string, session: CheckoutPageView | null) {
  if (session) return { successUrl: session.successUrl, cancelUrl: session.status === 'open' ? session.cancelUrl : null };
  const paytree = await paytreeRowOf(shardDatabase(c.env, shard), intent.id);
  return paytree ? { successUrl: paytree.callback.return_url, cancelUrl: paytree.callback.cancel_url ?? null } : null;
}

async function page(c: Context<AppEnv>, intent: PaymentIntent, shard: string, attempt: Attempt, status: 200 | 400) {
  const storefront = await findStorefront(c.env.DIRECTORY, intent.merchantId, intent.livemode);
  if (!storefront) return notFound(c);
  // The session is loaded as the intent's owner: a page never shows another merchant's session.
  const session = intent.checkoutSession
    ? await checkoutPageView(c.env, intent.checkoutSession, { merchantId: intent.merchantId, livemode: intent.livemode })
    : null;
  if (session && PAID.includes(intent.status)) {
    // The merchant's success page reads the session: it must be complete by the time the payer lands there.
    if (session.status === 'open') {
      try {
        await completeFromPaidIntent(c.env, session.id, intent);
      } catch (error) {
        // The intent's own timer tells the session again, with back-off: the payer is not held up.
        logError(
          'telling the Checkout Session of its paid intent failed; its timer retries',
          { session: session.id, intent: intent.id },
          error,
        );
      }
    }
    return c.redirect(session.successUrl, 303);
  }
  const returnLinks = await returnLinksOf(c, intent, shard, session);
  if (returnLinks && PAID.includes(intent.status)) return c.redirect(returnLinks.successUrl, 303);
  const baseUrl = readSettings(c.env).publicBaseUrl;
  const secret = encodeURIComponent(intent.clientSecret);
  const key = storefront.publishableKey ? `&key=${encodeURIComponent(storefront.publishableKey)}` : '';
  const action = intent.nextAction;
  const confirmations = await confirmationsSoFar(c, intent);
  secureHeaders(c, storefront.frameAncestors, returnLinks?.successUrl ?? null);
  return c.html(
    renderPage({
      intent,
      merchantName: storefront.merchantName,
      publishableKey: storefront.publishableKey,
      locale: payerLocale(c.req.header('Accept-Language')),
      pageUrl: hostedPageUrl({ baseUrl }, intent.id, intent.clientSecret),
      formAction: `${baseUrl}/pay/${intent.id}`,
      liveUrl: `${baseUrl.replace(/^http/, 'ws')}/v1/payment_intents/${intent.id}/live?client_secret=${secret}${key}`,
      lookupUrl: `${baseUrl}/v1/payment_intents/${intent.id}?client_secret=${secret}`,
      challengeUrl: action?.type === 'redirect_to_url' ? challengeUrl({ baseUrl }, intent.id, action.challengeToken) : null,
      error: attempt.error,
      confirmations,
      session,
      returnLinks,
      cryptoChoices: await payerCryptoChoices(c, intent),
      amountInput: intent.payerAmount ? (attempt.amountInput ?? amountInputValue(intent.amount, intent.currency)) : null,
      now: Date.now(),
    }),
    status,
  );
}

/** A session's (or a Paytree intent's) payer goes to its success_url (return_url) once the payment went through (captured or authorized). */
const PAID: readonly PaymentIntent['status'][] = ['succeeded', 'requires_capture'];

/**
 * The networks and tokens a payer may choose, for an intent that takes crypto but has none chosen
 * yet: this deployment's chains in the intent's mode whose token can pay the intent's currency
 * exactly, and none at all unless the merchant has an xpub (no deposit address could be derived).
 */
async function payerCryptoChoices(c: Context<AppEnv>, intent: PaymentIntent): Promise<PayerCryptoChoice[]> {
  // A mandate's debit is paid by its schedule, never from this page.
  if (intent.crypto || intent.debit || !intent.paymentMethodTypes.includes('crypto')) return [];
  const payable = cryptoChoices(c.env, intent.livemode).filter((choice) => {
    try {
      tokenAmount(intent.amount, intent.currency, { symbol: choice.token, decimals: choice.decimals, usdPegged: choice.usdPegged });
      return true;
    } catch (error) {
      if (error instanceof DomainError) return false;
      throw error;
    }
  });
  if (payable.length === 0 || !(await cryptoSettings(c.env.DIRECTORY, intent.merchantId))?.xpub) return [];
  return payable.map((choice) => ({
    value: `${choice.network}:${choice.token}`,
    label: `${choice.token.toUpperCase()} on ${choice.network}`,
  }));
}

/**
 * While a crypto payment is processing: the confirmations of its latest transfer so far (head - block
 * + 1, at most the number required), read from the chain now. Confirmations do not change the intent
 * until the last one, so nothing pushes them: the page's script asks for the page again meanwhile.
 * Null when not processing, or when the chain cannot be read right now (the page then says how many
 * are required, without the count).
 */
async function confirmationsSoFar(c: Context<AppEnv>, intent: PaymentIntent): Promise<number | null> {
  const crypto = intent.crypto;
  if (intent.status !== 'processing' || !crypto || crypto.transfers.length === 0) return null;
  const reader = newChainReader(c.env, crypto.network);
  if (!reader) return null;
  let head: bigint;
  try {
    head = await reader.head();
  } catch (error) {
    if (error instanceof ChainUnavailable) return null;
    throw error;
  }
  // Block numbers are far below 2^53.
  const latest = Math.max(...crypto.transfers.map((t) => Number(t.blockNumber)));
  return Math.min(Math.max(Number(head) - latest + 1, 0), crypto.confirmationsRequired);
}

export const showPage: RouteHandler<typeof show, AppEnv> = async (c) => {
  const { id } = c.req.valid('param');
  const { client_secret: clientSecret } = c.req.valid('query');
  const payer = clientSecret === undefined ? null : await payerOfIntent(c.env, id, clientSecret, c.get('requestId'));
  if (!payer) return notFound(c);
  return page(c, payer.intent, payer.shard, { error: null }, 200);
};

export const payFromPage: RouteHandler<typeof pay, AppEnv> = async (c) => {
  const { id } = c.req.valid('param');
  const form = c.req.valid('json');
  const payer = await payerOfIntent(c.env, id, form.client_secret, c.get('requestId'));
  if (!payer) return notFound(c);
  const { intent, service } = payer;
  const baseUrl = readSettings(c.env).publicBaseUrl;
  const pageUrl = hostedPageUrl({ baseUrl }, intent.id, intent.clientSecret);
  const refuse = (error: string) => page(c, intent, payer.shard, { error, amountInput: form.amount }, 400);
  let amount: bigint | undefined;
  if (form.amount !== undefined) {
    if (!intent.payerAmount) return refuse("This payment's amount is set by the seller.");
    const parsed = parseAmountInput(form.amount, intent.currency);
    if (!parsed.ok) return refuse(parsed.message);
    const { minimum, maximum } = intent.payerAmount;
    // The intent refuses it too; the page says it in the payer's money rather than in minor units.
    if ((minimum !== null && parsed.amount < minimum) || (maximum !== null && parsed.amount > maximum)) {
      return refuse(
        `The amount must be ${amountBounds(intent.payerAmount, intent.currency, payerLocale(c.req.header('Accept-Language')))}`,
      );
    }
    amount = parsed.amount;
  }
  const withCrypto =
    intent.crypto !== null ||
    form.pay_with === 'crypto' ||
    (form.pay_with === undefined && form.crypto !== undefined && form.payment_method === undefined);
  let crypto: CryptoOptions | undefined;
  if (withCrypto && !intent.crypto) {
    const [network = '', token = ''] = form.crypto?.split(':') ?? [];
    if (!network) return refuse('Choose a network and token.');
    try {
      crypto = await cryptoOptionsFor(c.env, intent, { network, token });
    } catch (error) {
      if (!(error instanceof StripeError)) throw error;
      return refuse(error.message);
    }
  }
  if (!withCrypto && form.payment_method === undefined) return refuse('Choose a payment method.');
  const blik = !withCrypto && form.payment_method === 'pm_blik';
  const blikCode = blik ? form.blik_code?.trim() : undefined;
  if (blik && !/^\d{6}$/.test(blikCode ?? '')) return refuse('Enter the six-digit BLIK code from your bank app.');
  let after: PaymentIntent;
  try {
    ({ intent: after } = await service.confirm(
      id,
      withCrypto ? { amount, crypto } : { paymentMethod: form.payment_method, returnUrl: pageUrl, amount, blikCode },
    ));
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    return refuse(refusalToStripe(error).message);
  }
  const action = after.nextAction;
  if (action?.type === 'redirect_to_url') return c.redirect(challengeUrl({ baseUrl }, id, action.challengeToken), 303);
  return c.redirect(pageUrl, 303);
};
