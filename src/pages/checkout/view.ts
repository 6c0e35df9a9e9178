/**
 * The hosted payment page's HTML (hono/html: every value escaped unless wrapped in raw()). Only
 * browser-safe fields of the intent are shown: amounts, status, description, the last payment
 * error's message, the crypto payment's network, token, deposit address and expiry. The page's one
 * script and its stylesheet are this worker's static assets (public/assets/checkout/).
 */
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { type CryptoPayment, displayAmount } from '../../domain/crypto.js';
import type { PayerAmount, PaymentIntent } from '../../domain/intent.js';
import { findTestPaymentMethod, TEST_PAYMENT_METHOD_IDS } from '../../domain/test-payment-methods.js';
import type { CheckoutPageView } from '../../checkout/view.js';
import { currencyExponent, isCurrency } from '../../domain/currency.js';
import { testBankAccount } from '../../domain/payment-methods.js';
import { amountRemaining, amountInputValue, formatMoney, formatTokenAmount, paymentUri, qrSvg } from './format.js';

export const SCRIPT = '/assets/checkout/pay.js';
export const STYLESHEET = '/assets/checkout/pay.css';

type Fragment = HtmlEscapedString | Promise<HtmlEscapedString>;

/** Everything the page is rendered from. */
export interface PageModel {
  intent: PaymentIntent;
  merchantName: string;
  /** Handed to the script for the live status socket and the confirm call; null for a key made before keys were kept. */
  publishableKey: string | null;
  locale: string;
  /** The page's own URL (PUBLIC_BASE_URL): the form posts to it, 3-D Secure returns to it. */
  pageUrl: string;
  /** The form's target: the page's path on PUBLIC_BASE_URL. */
  formAction: string;
  /** wss:// (or ws://) URL of the live status socket, built on PUBLIC_BASE_URL. */
  liveUrl: string;
  /** The browser lookup (GET /v1/payment_intents/:id?client_secret=…), the script's polling fallback. */
  lookupUrl: string;
  /** Where a pending 3-D Secure challenge is, when there is one. */
  challengeUrl: string | null;
  /** A refusal of the payer's last attempt, in words (a decline is the intent's last_payment_error instead). */
  error: string | null;
  /** A processing crypto payment's confirmations so far, when the chain could be read (handlers.ts). */
  confirmations: number | null;
  /** The Checkout Session that made the intent (its items, total and links), loaded as the intent's owner; null without one. */
  session: CheckoutPageView | null;
  /** Where the payer goes back to the merchant once paid, or to cancel (a session's URLs, or a Paytree intent's return_url and cancel_url); null without either. */
  returnLinks: { successUrl: string; cancelUrl: string | null } | null;
  /** For an intent that takes crypto with none chosen yet: the networks and tokens the payer may choose (none: crypto is not offered). */
  cryptoChoices: PayerCryptoChoice[];
  /** For an intent whose payer chooses the amount: the amount field's value (the payer's own input after a refusal); null otherwise. */
  amountInput: string | null;
  now: number;
}

/** One network and token on the page: the form's value (network:token) and its label ("USDC on base"). */
export interface PayerCryptoChoice {
  value: string;
  label: string;
}

/** How each test payment method is offered: what it is and what it does, so a tester knows what to pick. */
const TEST_METHOD_LABELS: Record<(typeof TEST_PAYMENT_METHOD_IDS)[number], string> = {
  pm_card_visa: 'Visa •••• 4242 — succeeds',
  pm_card_mastercard: 'Mastercard •••• 4444 — succeeds',
  pm_card_chargeDeclined: 'Visa •••• 0002 — declined',
  pm_card_chargeDeclinedInsufficientFunds: 'Visa •••• 9995 — insufficient funds',
  pm_card_threeDSecure2Required: 'Visa •••• 3155 — asks for 3-D Secure',
  pm_usBankAccount: 'US bank account — settles after a short while',
  pm_usBankAccount_insufficientFunds: 'US bank account — fails to settle',
  pm_card_refundFail: 'Visa •••• 5126 — succeeds; its refunds fail',
  pm_card_createDispute: 'Visa •••• 0259 — succeeds, then is disputed',
  pm_paypal: 'PayPal — authorize or fail on its test page',
  pm_klarna: 'Klarna — authorize or fail on its test page',
  pm_ideal: 'iDEAL — authorize or fail on its test page',
  pm_bancontact: 'Bancontact — authorize or fail on its test page',
  pm_trustly: 'Trustly — authorize or fail on its test page',
  pm_kakao_pay: 'Kakao Pay — authorize or fail on its test page',
  pm_p24: 'Przelewy24 — authorize or fail on its test page',
  pm_blik: 'BLIK — enter a code: 777xxx approves, any other is declined',
  pm_customer_balance: 'Bank transfer — shows the transfer instructions',
};

const CONFIRMABLE = ['requires_payment_method', 'requires_confirmation', 'requires_action'];

/** A page's 404: the same bytes for every wrong link, so it says nothing about what exists (no user text in it). */
export function notFoundPage(mainId: string, title: string, message: string): string {
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${title}</title><link rel="stylesheet" href="${STYLESHEET}"></head>` +
    `<body><main id="${mainId}"><h1>${title}</h1><p>${message}</p></main></body></html>`
  );
}

/** The same bytes for every unknown id, malformed id, missing or wrong secret: it says nothing about any intent. */
export const NOT_FOUND_PAGE = notFoundPage(
  'checkout',
  'Payment page not found',
  'This payment link is not valid. Ask the seller for a new one.',
);

export function renderPage(m: PageModel): Fragment {
  const { intent } = m;
  const c = intent.crypto;
  const title = `Pay ${m.merchantName}`;
  return html`<!doctype html>
<html lang="${m.locale}">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${title}</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="${STYLESHEET}" />
    <script type="module" src="${SCRIPT}"></script>
  </head>
  <body>
    <main
      id="checkout"
      data-intent="${intent.id}"
      data-status="${intent.status}"
      data-state="${stateKey(intent)}"
      data-confirmations="${m.confirmations ?? ''}"
      data-key="${m.publishableKey ?? ''}"
      data-live-url="${m.liveUrl}"
      data-lookup-url="${m.lookupUrl}"
      data-page-url="${m.pageUrl}"
      data-success-url="${m.returnLinks?.successUrl ?? ''}"
    >
      <header>
        <p class="merchant">${m.merchantName}${intent.livemode ? '' : html` <span class="badge">Test mode</span>`}</p>
        <p class="amount" id="amount">${formatMoney(intent.amount, intent.currency, m.locale, c?.token.decimals ?? intent.debit?.token.decimals)}</p>
        ${m.session ? lineItems(m, m.session) : intent.description ? html`<p class="description">${intent.description}</p>` : ''}
      </header>
      ${statusArea(m)}
      ${m.error ? html`<p class="error" id="payment-error" role="alert">${m.error}</p>` : ''}
      ${m.session?.status === 'expired' || intent.debit ? '' : c ? cryptoPart(m, c) : cardPart(m)}
      ${
        m.returnLinks?.cancelUrl && CONFIRMABLE.includes(intent.status)
          ? html`<p class="cancel"><a id="cancel-link" href="${m.returnLinks.cancelUrl}">Cancel and return to ${m.merchantName}</a></p>`
          : ''
      }
    </main>
  </body>
</html>`;
}

/**
 * What the page shows of a state, as the script computes it from the browser lookup's JSON
 * (public/assets/checkout/pay.js stateKey): when they differ, the script fetches the page again.
 */
export function stateKey(intent: PaymentIntent): string {
  const c = intent.crypto;
  return [
    intent.status,
    c?.depositAddress ?? '',
    c ? c.seen.toString() : '',
    c ? c.confirmed.toString() : '',
    intent.nextAction?.type ?? '',
    intent.lastPaymentError?.code ?? '',
    // A bank transfer paid in part: what remains changes the page.
    intent.nextAction?.type === 'display_bank_transfer_instructions' ? (intent.amount - intent.amountReceived).toString() : '',
  ].join('|');
}

/** The status in words; the script replaces the page's <main> from the server when it changes. */
function statusArea(m: PageModel): Fragment {
  const { title, detail } = statusText(m);
  return html`<section id="status" class="status status-${m.intent.status}" role="status" aria-live="polite">
    <h1 id="status-title">${title}</h1>
    ${detail ? html`<p id="status-detail">${detail}</p>` : ''}
  </section>`;
}

export function statusText(m: Pick<PageModel, 'intent' | 'merchantName' | 'locale' | 'confirmations' | 'session'>): {
  title: string;
  detail: string | null;
} {
  const { intent, locale } = m;
  const c = intent.crypto;
  if (m.session && (m.session.status === 'expired' || intent.status === 'canceled')) {
    const late =
      c && c.depositAddress !== null ? ` Funds sent to this address later are still recorded: contact ${m.merchantName} about them.` : '';
    return {
      title: 'This checkout has expired',
      detail: `The time to pay has run out${late ? '' : ' and nothing was charged'}. Return to ${m.merchantName} to start again.${late}`,
    };
  }
  if (intent.debit) return debitStatusText(m);
  const token = (units: bigint) => (c ? formatTokenAmount(units, c.token.decimals, c.token.symbol, locale) : '');
  switch (intent.status) {
    case 'succeeded':
      return { title: 'Payment received', detail: `Thank you. ${m.merchantName} has received your payment.` };
    case 'processing':
      return c
        ? {
            title: 'Payment seen on the network',
            detail:
              m.confirmations === null
                ? `Waiting for ${c.confirmationsRequired} confirmations on ${c.network}.`
                : `${m.confirmations} of ${c.confirmationsRequired} confirmations on ${c.network}.`,
          }
        : { title: 'Payment processing', detail: 'Your payment is being processed. This page updates when it completes.' };
    case 'requires_capture':
      return { title: 'Payment authorized', detail: `${m.merchantName} will complete the payment.` };
    case 'canceled': {
      const late = `Funds sent to this address later are still recorded: contact ${m.merchantName} about them.`;
      if (c && intent.cancellationReason === 'abandoned') {
        return { title: 'Payment window closed', detail: `The full amount did not arrive before the window closed. ${late}` };
      }
      if (c && c.depositAddress !== null) return { title: 'Payment canceled', detail: `${m.merchantName} canceled this payment. ${late}` };
      return { title: 'Payment canceled', detail: 'This payment was canceled. Nothing was charged.' };
    }
    case 'requires_action':
      if (c && c.depositAddress !== null) {
        return c.seen > 0n
          ? {
              title: 'Partially paid',
              detail: `Received ${token(c.seen)} of ${token(c.amount)}. Send the remaining ${token(amountRemaining(c))} to the same address.`,
            }
          : { title: 'Waiting for your transfer', detail: null };
      }
      if (intent.nextAction?.type === 'blik_authorize') {
        return { title: 'Approve in your bank app', detail: 'Your bank app asks you to approve this BLIK payment.' };
      }
      if (intent.nextAction?.type === 'display_bank_transfer_instructions') {
        const due = formatMoney(intent.amount - intent.amountReceived, intent.currency, locale);
        return intent.amountReceived > 0n
          ? {
              title: 'Partially paid',
              detail: `Received ${formatMoney(intent.amountReceived, intent.currency, locale)}. Send the remaining ${due} with the same reference.`,
            }
          : { title: 'Waiting for your bank transfer', detail: `Send ${due} to the account below with the reference shown.` };
      }
      if (intent.paymentMethod && findTestPaymentMethod(intent.paymentMethod)?.outcome.kind === 'redirect') {
        return { title: 'Authorization required', detail: 'Continue to authorize this payment, then you come back here.' };
      }
      return { title: 'Authentication required', detail: 'Your bank asks you to confirm this payment.' };
    default:
      return { title: 'Awaiting payment', detail: null };
  }
}

/**
 * A mandate's debit (issue 13) is paid off-session by the mandate's schedule: its page has nothing
 * to do, only the status to show (the payer tops up their wallet or deposit, not this page).
 */
function debitStatusText(m: Pick<PageModel, 'intent' | 'merchantName'>): { title: string; detail: string | null } {
  const { intent } = m;
  const debit = intent.debit!;
  const mandate = `Debit ${debit.period} of your subscription to ${m.merchantName}`;
  switch (intent.status) {
    case 'succeeded':
      return { title: 'Payment received', detail: `${mandate} was paid on ${debit.network}.` };
    case 'processing':
      return {
        title: 'Payment processing',
        detail: `${mandate} is being debited on ${debit.network}. This page updates when it completes.`,
      };
    case 'requires_payment_method':
      return {
        title: 'Debit not paid yet',
        detail: `${intent.lastPaymentError?.message ?? 'The debit could not be paid.'} It is tried again within this period.`,
      };
    case 'canceled':
      return { title: 'Debit canceled', detail: `${mandate} was not debited.` };
    default:
      return { title: 'Debit scheduled', detail: `${mandate} is debited automatically.` };
  }
}

/** A session's items (name, description, quantity × unit price, line total) and its total. */
function lineItems(m: PageModel, session: CheckoutPageView): Fragment {
  const money = (amount: bigint) => formatMoney(amount, session.currency, m.locale);
  return html`<table class="items" id="line-items">
    <caption class="visually-hidden">Order summary</caption>
    <tbody>
      ${session.lineItems.map(
        (item) => html`<tr class="item">
          <th scope="row">
            <span class="item-name">${item.name}</span>
            ${item.description ? html`<span class="item-description">${item.description}</span>` : ''}
            <span class="item-quantity">${item.quantity} × ${money(item.unitAmount)}</span>
          </th>
          <td class="item-total">${money(item.amountTotal)}</td>
        </tr>`,
      )}
    </tbody>
    <tfoot>
      <tr>
        <th scope="row">Total</th>
        <td id="total">${money(m.intent.amount)}</td>
      </tr>
    </tfoot>
  </table>`;
}

/** The payer's bounds in words, in their locale: "between $5.00 and $100.00.", "at least $5.00.". */
export function amountBounds({ minimum, maximum }: PayerAmount, currency: string, locale: string): string {
  const money = (amount: bigint) => formatMoney(amount, currency, locale);
  if (minimum !== null && maximum !== null) return `between ${money(minimum)} and ${money(maximum)}.`;
  if (minimum !== null) return `at least ${money(minimum)}.`;
  return maximum !== null ? `at most ${money(maximum)}.` : 'more than nothing.';
}

/** The payer's amount (an intent with payerAmount): in the currency's major unit, with its bounds. */
function amountField(m: PageModel): Fragment {
  const { intent } = m;
  if (m.amountInput === null || !intent.payerAmount) return html``;
  const { minimum, maximum } = intent.payerAmount;
  const bounds =
    minimum === null && maximum === null ? '' : `The amount must be ${amountBounds(intent.payerAmount, intent.currency, m.locale)}`;
  return html`<p class="field">
    <label for="amount-input">Amount (${intent.currency.toUpperCase()})</label>
    <input
      id="amount-input"
      name="amount"
      type="text"
      inputmode="decimal"
      autocomplete="off"
      required
      value="${m.amountInput}"
      data-currency="${intent.currency}"
      data-exponent="${isCurrency(intent.currency) ? currencyExponent(intent.currency) : 0}"
      data-minimum="${minimum === null ? '' : amountInputValue(minimum, intent.currency)}"
      data-maximum="${maximum === null ? '' : amountInputValue(maximum, intent.currency)}"
      aria-describedby="amount-bounds"
    />
    <span id="amount-bounds" class="hint">${bounds}</span>
  </p>`;
}

function hiddenSecret(m: PageModel): Fragment {
  return html`<input type="hidden" name="client_secret" value="${m.intent.clientSecret}" />`;
}

/** A bank transfer's instructions: what is due, the reference, the test account. */
function transferPart(m: PageModel, reference: string): Fragment {
  const { intent } = m;
  const account = testBankAccount(intent.currency);
  const rows: [string, string][] =
    account.kind === 'iban'
      ? [
          ['Account holder', account.holder],
          ['IBAN', account.iban],
          ['BIC', account.bic],
        ]
      : account.kind === 'sort_code'
        ? [
            ['Account holder', account.holder],
            ['Sort code', account.sortCode],
            ['Account number', account.accountNumber],
          ]
        : [
            ['Bank', account.bankName],
            ['Routing number', account.routingNumber],
            ['Account number', account.accountNumber],
          ];
  return html`<section id="bank-transfer" aria-label="Pay by bank transfer">
    <dl>
      <dt>Send exactly</dt>
      <dd><strong id="transfer-amount">${formatMoney(intent.amount - intent.amountReceived, intent.currency, m.locale)}</strong></dd>
      <dt>Reference</dt>
      <dd><code id="transfer-reference">${reference}</code></dd>
      ${rows.map(([label, value]) => html`<dt>${label}</dt><dd><code>${value}</code></dd>`)}
    </dl>
  </section>`;
}

function cardPart(m: PageModel): Fragment {
  const { intent } = m;
  if (!CONFIRMABLE.includes(intent.status)) return html``;
  const action = intent.nextAction;
  if (action?.type === 'display_bank_transfer_instructions') return transferPart(m, action.reference);
  if (action?.type === 'blik_authorize') return html``;
  const methods = TEST_PAYMENT_METHOD_IDS.filter((id) => {
    const type = findTestPaymentMethod(id)?.type;
    return type !== undefined && intent.paymentMethodTypes.includes(type);
  });
  const chosen = intent.lastPaymentError ? null : (intent.paymentMethod ?? methods[0]);
  const declined = intent.lastPaymentError;
  const price = intent.payerAmount ? '' : ` ${formatMoney(intent.amount, intent.currency, m.locale)}`;
  const cards = methods.length > 0;
  return html`${m.challengeUrl ? html`<p><a class="button" id="challenge-link" href="${m.challengeUrl}">Continue to authentication</a></p>` : ''}
    ${declined ? html`<p class="error" id="decline" role="alert">${declined.message} Choose another payment method.</p>` : ''}
    <form id="card-form" method="post" action="${m.formAction}">
      ${hiddenSecret(m)} ${amountField(m)}
      ${
        cards
          ? html`<fieldset>
              <legend>Test payment method</legend>
              ${methods.map(
                (id) =>
                  html`<label class="choice"
                    ><input type="radio" name="payment_method" value="${id}" ${id === chosen ? 'checked' : ''} />
                    <span>${TEST_METHOD_LABELS[id]}</span></label
                  >`,
              )}
            </fieldset>
            ${
              methods.includes('pm_blik')
                ? html`<p class="field">
                    <label for="blik-code">BLIK code (for BLIK: six digits from your bank app)</label>
                    <input id="blik-code" name="blik_code" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="6" data-for="pm_blik" />
                  </p>`
                : ''
            }
            <button type="submit" id="pay" name="pay_with" value="card">Pay${price}</button>`
          : ''
      }
      ${
        m.cryptoChoices.length > 0
          ? html`<fieldset id="crypto-choices">
              <legend>Pay with crypto</legend>
              ${m.cryptoChoices.map(
                (choice, index) =>
                  html`<label class="choice"
                    ><input type="radio" name="crypto" value="${choice.value}" ${index === 0 ? 'checked' : ''} />
                    <span>${choice.label}</span></label
                  >`,
              )}
            </fieldset>
            <button type="submit" id="pay-crypto" name="pay_with" value="crypto">Pay${price} with crypto</button>`
          : ''
      }
    </form>`;
}

function cryptoPart(m: PageModel, c: CryptoPayment): Fragment {
  const { intent } = m;
  const token = c.token.symbol.toUpperCase();
  if (c.depositAddress === null) {
    if (!CONFIRMABLE.includes(intent.status)) return html``;
    // Intents whose network and token the payer chooses (at confirm) get their choice here, in this form.
    return html`<form id="crypto-form" method="post" action="${m.formAction}">
      ${hiddenSecret(m)} ${amountField(m)}
      <button type="submit" id="pay">Pay with ${token} on ${c.network}</button>
    </form>`;
  }
  if (intent.status !== 'requires_action') return html``;
  const remaining = amountRemaining(c);
  const uri = paymentUri(c, remaining);
  const due = formatTokenAmount(remaining, c.token.decimals, c.token.symbol, m.locale);
  const expiresAt = c.expiresAt!;
  return html`<section
    id="crypto"
    aria-label="Pay by transfer"
    data-chain-id="${c.chainId}"
    data-token-address="${c.token.address ?? ''}"
    data-deposit="${c.depositAddress}"
    data-amount="${remaining.toString()}"
  >
    <dl>
      <dt>Send exactly</dt>
      <dd>
        <strong id="crypto-amount">${due}</strong>
        <button type="button" class="copy" data-copy="${displayAmount(remaining, c.token.decimals)}" hidden>Copy amount</button>
      </dd>
      <dt>Network</dt>
      <dd>${c.network} (chain ${c.chainId})${c.token.address ? html`, token contract <code id="token-address">${c.token.address}</code>` : ''}</dd>
      <dt>To this address</dt>
      <dd>
        <code id="deposit-address">${c.depositAddress}</code>
        <button type="button" class="copy" data-copy="${c.depositAddress}" hidden>Copy address</button>
      </dd>
      <dt>Time left</dt>
      <dd><time id="countdown" datetime="${new Date(expiresAt).toISOString()}">${countdown(expiresAt - m.now)}</time></dd>
    </dl>
    <figure>
      ${raw(qrSvg(uri, `QR code: ${uri}`))}
      <figcaption>Scan with a wallet app to pay ${due}.</figcaption>
    </figure>
    <button type="button" id="wallet-pay" hidden>Pay with browser wallet</button>
    <p id="wallet-status" role="status"></p>
  </section>`;
}

/** mm:ss left (hh:mm:ss past an hour); 00:00 once passed. */
function countdown(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const [h, mm, ss] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  const two = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(mm)}:${two(ss)}` : `${two(mm)}:${two(ss)}`;
}
