/**
 * The subscribe page's HTML (hono/html: every value escaped). It shows what the payer signs — the
 * item's terms, the payee, the network — and nothing else of the merchant. The flow is the script's
 * (public/assets/subscribe/subscribe.js): the server renders the terms and the contracts into data
 * attributes, and the script builds the typed data from them. The stylesheet is the checkout page's.
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { type DebitItem, intervalSeconds } from '../../domain/debit-item.js';
import type { AccountType, MandateStatus } from '../../domain/mandate.js';
import { formatTokenAmount } from '../checkout/format.js';
import { notFoundPage, STYLESHEET } from '../checkout/view.js';

export const SCRIPT = '/assets/subscribe/subscribe.js';

type Fragment = HtmlEscapedString | Promise<HtmlEscapedString>;

export interface SubscribePageModel {
  item: DebitItem;
  merchantName: string;
  locale: string;
  /** The contracts of the item's network a payer may choose (none configured: the page says it cannot take mandates). */
  contracts: Partial<Record<AccountType, string>>;
  /** The page's own address (PUBLIC_BASE_URL): the script asks it again, with ?mandate=, to follow a mandate. */
  pageUrl: string;
  /** Where the script posts the signed mandate (PUBLIC_BASE_URL). */
  mandatesUrl: string;
  /** The mandate of ?mandate= when it is this item's ('missing' otherwise); null without one: the flow. */
  mandate: PageMandateView | 'missing' | null;
}

/** What the page shows of a mandate (and what its JSON endpoint answers): nothing of the merchant beyond the page. */
export interface PageMandateView {
  id: string;
  status: MandateStatus;
  account_type: AccountType;
  contract: string;
  onchain_id: string;
  used: number;
  debit_times: number;
  /** Unix seconds, or null once no debit is left. */
  next_payment_date: number | null;
  redirect_url: string;
}

/** The same bytes for every unknown or malformed button: it says nothing about any item. */
export const NOT_FOUND_PAGE = notFoundPage(
  'subscribe',
  'Subscribe page not found',
  'This subscription link is not valid. Ask the seller for a new one.',
);

/** "every 30 days", "every day", "every 10 seconds" (test mode). */
export function intervalText(item: DebitItem): string {
  const { interval } = item;
  if (interval.unit === 'days') return interval.days === 1 ? 'every day' : `every ${interval.days} days`;
  return interval.seconds === 1 ? 'every second' : `every ${interval.seconds} seconds`;
}

export function renderSubscribePage(m: SubscribePageModel): Fragment {
  const { item } = m;
  const price = formatTokenAmount(item.maxPrice, item.token.decimals, item.token.symbol, m.locale);
  const total = formatTokenAmount(item.maxPrice * BigInt(item.debitTimes), item.token.decimals, item.token.symbol, m.locale);
  const available = (['connected_wallet', 'virtual_account'] as const).filter((type) => m.contracts[type] !== undefined);
  return html`<!doctype html>
<html lang="${m.locale}">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Subscribe: ${item.name}</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="${STYLESHEET}" />
    <script type="module" src="${SCRIPT}"></script>
  </head>
  <body>
    <main
      id="subscribe"
      data-button="${item.buttonId}"
      data-active="${item.active ? 'true' : 'false'}"
      data-chain-id="${item.chainId}"
      data-token="${item.token.address ?? ''}"
      data-payee="${item.payeeAddress}"
      data-max-amount="${item.maxPrice.toString()}"
      data-debit-times="${item.debitTimes}"
      data-interval="${intervalSeconds(item.interval)}"
      data-connected-wallets="${m.contracts.connected_wallet ?? ''}"
      data-virtual-accounts="${m.contracts.virtual_account ?? ''}"
      data-page-url="${m.pageUrl}"
      data-mandates-url="${m.mandatesUrl}"
    >
      <header>
        <p class="merchant">${m.merchantName}${item.livemode ? '' : html` <span class="badge">Test mode</span>`}</p>
        <h1 id="item-name">${item.name}</h1>
        <p class="amount" id="price">${price}</p>
      </header>
      <dl id="terms">
        <dt>Pricing</dt>
        <dd id="pricing">
          ${item.pricing === 'fixed' ? `Fixed: ${price} each time` : `Dynamic: the seller asks each time, never more than ${price}`}
        </dd>
        <dt>Debits</dt>
        <dd id="debit-times">${item.debitTimes === 1 ? '1 debit' : `${item.debitTimes} debits`}, at most ${total} in all</dd>
        <dt>Interval</dt>
        <dd id="interval">${intervalText(item)}</dd>
        <dt>Network</dt>
        <dd id="network">
          ${item.network} (chain ${item.chainId})${item.token.address ? html`, token contract <code>${item.token.address}</code>` : ''}
        </dd>
        <dt>Paid to</dt>
        <dd><code id="payee">${item.payeeAddress}</code></dd>
      </dl>
      ${
        !item.active
          ? html`<section id="inactive" class="status" role="status">
              <h2>This subscription is no longer offered</h2>
              <p>${m.merchantName} has stopped taking new subscriptions to ${item.name}.</p>
            </section>`
          : m.mandate
            ? mandatePart(m, m.mandate)
            : available.length === 0
              ? html`<p class="error" id="unavailable" role="alert">Subscriptions on ${item.network} are not available right now.</p>`
              : flow(m, available, total)
      }
    </main>
  </body>
</html>`;
}

function flow(m: SubscribePageModel, available: readonly AccountType[], total: string): Fragment {
  const native = m.item.token.address === null;
  return html`<section id="flow">
      <p id="needs-wallet">Subscribing needs a browser wallet (EIP-1193), such as MetaMask.</p>
      <button type="button" id="connect" hidden>Connect wallet</button>
      <p id="account" hidden></p>
      <form id="subscribe-form" hidden>
        <fieldset>
          <legend>Pay from</legend>
          ${available.map(
            (type, index) =>
              html`<label class="choice"
                ><input type="radio" name="account_type" value="${type}" ${index === 0 ? 'checked' : ''} />
                <span
                  >${
                    type === 'connected_wallet'
                      ? 'My wallet: the contract may take each debit from it (an allowance)'
                      : `A deposit: put ${total} into the contract first${native ? '' : ' (approve, then deposit)'}`
                  }</span
                ></label
              >`,
          )}
        </fieldset>
        ${
          available.includes('connected_wallet')
            ? html`<fieldset id="allowance">
                <legend>Allowance</legend>
                <label class="choice"
                  ><input type="radio" name="allowance" value="exact" checked /> <span>Exactly every debit: ${total}</span></label
                >
                <label class="choice"><input type="radio" name="allowance" value="unlimited" /> <span>Unlimited</span></label>
              </fieldset>`
            : ''
        }
        <button type="submit" id="subscribe-button">Subscribe</button>
      </form>
      <p id="flow-status" role="status" aria-live="polite"></p>
    </section>`;
}

/** A mandate's status in words, for the page. */
export function mandateText(m: SubscribePageModel, mandate: PageMandateView): { title: string; detail: string } {
  const next =
    mandate.next_payment_date === null
      ? ''
      : `${new Intl.DateTimeFormat(m.locale, { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' }).format(
          mandate.next_payment_date * 1000,
        )} UTC`;
  switch (mandate.status) {
    case 'registering':
      return {
        title: 'Registering your subscription',
        detail: `It is being registered on ${m.item.network}; nothing has been debited yet.`,
      };
    case 'created':
      return { title: 'Subscribed', detail: `The first debit is due ${next}.` };
    case 'recurring':
      return { title: 'Subscribed', detail: `${mandate.used} of ${mandate.debit_times} debits done; the next is due ${next}.` };
    case 'account_balance_too_low':
      return {
        title: 'Balance too low',
        detail: 'The due debit could not be taken: top up your wallet, allowance or deposit. It is tried again.',
      };
    case 'paid':
      return { title: 'Complete', detail: `All ${mandate.debit_times} debits are done.` };
    case 'canceled':
      return { title: 'Canceled', detail: 'No more debits will be taken.' };
    case 'failed':
      return { title: 'Not registered', detail: 'The subscription could not be registered. Nothing was debited.' };
  }
}

const CANCELABLE: readonly MandateStatus[] = ['created', 'recurring', 'account_balance_too_low'];

/**
 * A mandate made on this page: its status, the way on to the merchant, and the payer's own cancel
 * (shown by the script when a wallet is there). The script asks for the page again to follow it.
 */
function mandatePart(m: SubscribePageModel, mandate: PageMandateView | 'missing'): Fragment {
  if (mandate === 'missing') {
    return html`<section id="mandate" class="status" role="status" data-status="missing">
      <h2 id="mandate-title">Subscription not found</h2>
      <p id="mandate-detail">This page does not know that subscription.</p>
    </section>`;
  }
  const { title, detail } = mandateText(m, mandate);
  return html`<section
    id="mandate"
    class="status"
    role="status"
    aria-live="polite"
    data-id="${mandate.id}"
    data-status="${mandate.status}"
    data-contract="${mandate.contract}"
    data-onchain-id="${mandate.onchain_id}"
    data-redirect-url="${mandate.redirect_url}"
  >
    <h2 id="mandate-title">${title}</h2>
    <p id="mandate-detail">${detail}</p>
    <p><a class="button" id="continue" href="${mandate.redirect_url}">Continue to ${m.merchantName}</a></p>
    ${CANCELABLE.includes(mandate.status) ? html`<button type="button" id="cancel" hidden>Cancel this subscription</button>` : ''}
    <p id="cancel-status" role="status"></p>
  </section>`;
}
