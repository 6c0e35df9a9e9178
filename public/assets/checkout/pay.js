/**
 * The hosted payment page's script (src/pages/checkout). The page works without it; with it:
 * - the status follows the intent live (and a processing crypto payment's confirmations, every 3 s): a WebSocket to the intent's Durable Object (GET …/live,
 *   the publishable key in `key`), polling the browser lookup every 3 s when the socket cannot open
 *   or closes early. When the state changes, <main> is fetched again from the server and swapped
 *   in, so there is one renderer (the server's, in the payer's locale) and no reload;
 * - the card form confirms through the API as Stripe.js does (POST …/confirm with the publishable
 *   key and the client secret), and submits the form itself when the API does not take that (401/403);
 * - a crypto payment gets copy buttons, a countdown and, when an EIP-1193 wallet is there, a
 *   "Pay with browser wallet" button.
 */
import { payWithWallet } from './wallet.js';

const FINAL = ['succeeded', 'canceled'];
const POLL_MS = 3000;
const PING_MS = 30000;

const main = () => document.getElementById('checkout');
const root = main();
if (root?.dataset.intent) start(root.dataset);

function start(page) {
  reveal();
  follow(page);
  document.addEventListener('click', onClick);
  document.addEventListener('submit', onSubmit);
  tick();
  setInterval(tick, 1000);
  // Confirmations change nothing on the intent until the last one, so nothing pushes them: ask the page.
  setInterval(() => main()?.dataset.confirmations && refresh(), POLL_MS);
}

/** What the page shows of a state, as the server wrote it in data-state: a change here means a new page. */
function stateKey(intent) {
  const c = intent.crypto;
  return [
    intent.status,
    c?.deposit_address ?? '',
    c?.amount_seen ?? '',
    c?.amount_confirmed ?? '',
    intent.next_action?.type ?? '',
    intent.last_payment_error?.code ?? '',
    intent.next_action?.display_bank_transfer_instructions?.amount_remaining ?? '',
  ].join('|');
}

// --- live status ---------------------------------------------------------------------------

function follow(page) {
  if (FINAL.includes(page.status)) return;
  if (!page.key || typeof WebSocket !== 'function') return poll(page);
  let socket;
  try {
    socket = new WebSocket(page.liveUrl);
  } catch {
    return poll(page);
  }
  let finished = false;
  let pinger;
  socket.addEventListener('open', () => {
    pinger = setInterval(() => socket.readyState === WebSocket.OPEN && socket.send('ping'), PING_MS);
  });
  socket.addEventListener('message', (event) => {
    if (event.data === 'pong') return;
    const intent = JSON.parse(event.data);
    if (FINAL.includes(intent.status)) finished = true;
    changed(intent);
  });
  socket.addEventListener('close', (event) => {
    clearInterval(pinger);
    // 1000 after a final status: nothing more will come. Anything else: keep following by polling.
    if (!(finished && event.code === 1000)) poll(page);
  });
}

function poll(page) {
  const timer = setInterval(async () => {
    try {
      if (!page.key) return refresh();
      const res = await fetch(page.lookupUrl, { headers: { Authorization: `Bearer ${page.key}` }, cache: 'no-store' });
      if (!res.ok) return;
      const intent = await res.json();
      if (FINAL.includes(intent.status)) clearInterval(timer);
      changed(intent);
    } catch {
      // Offline for a moment: the next poll tries again.
    }
  }, POLL_MS);
}

let refreshing = Promise.resolve();

/**
 * A session's payer goes to its success_url once paid (captured or authorized) by way of the page,
 * whose load sees the session complete first and then answers 303 there: the merchant's success page
 * never reads a session that is still open.
 */
const PAID = ['succeeded', 'requires_capture'];

/**
 * Leaves the page, once: the confirm's answer and the live status often say "paid" within
 * milliseconds of each other, and a second navigation would abort the first one mid-flight.
 */
let leaving = false;
function leave(url) {
  if (leaving) return;
  leaving = true;
  location.assign(url);
}

function changed(intent) {
  if (main()?.dataset.successUrl && PAID.includes(intent.status)) return leave(main().dataset.pageUrl);
  if (stateKey(intent) !== main()?.dataset.state) refresh();
}

/** The page again from the server, its <main> swapped in (one at a time, in order). */
function refresh() {
  refreshing = refreshing.then(async () => {
    const current = main();
    // The page of a paid session redirects to the merchant's success_url: the browser goes there, not fetch().
    const res = await fetch(current.dataset.pageUrl, { cache: 'no-store', headers: { Accept: 'text/html' }, redirect: 'manual' });
    if (res.type === 'opaqueredirect') return leave(current.dataset.pageUrl);
    if (!res.ok) return;
    const fresh = new DOMParser().parseFromString(await res.text(), 'text/html').getElementById('checkout');
    if (!fresh || (fresh.dataset.state === current.dataset.state && fresh.dataset.confirmations === current.dataset.confirmations)) return;
    current.replaceWith(document.importNode(fresh, true));
    reveal();
    tick();
  });
  refreshing = refreshing.catch(() => {});
  return refreshing;
}

// --- what needs a script -------------------------------------------------------------------

function reveal() {
  for (const button of document.querySelectorAll('button.copy')) button.hidden = !navigator.clipboard;
  const wallet = document.getElementById('wallet-pay');
  if (wallet) wallet.hidden = !window.ethereum;
}

function tick() {
  const time = document.getElementById('countdown');
  if (!time) return;
  const left = Math.max(0, Math.floor((Date.parse(time.getAttribute('datetime')) - Date.now()) / 1000));
  const two = (n) => String(n).padStart(2, '0');
  const h = Math.floor(left / 3600);
  const text = `${h > 0 ? `${h}:` : ''}${two(Math.floor((left % 3600) / 60))}:${two(left % 60)}`;
  time.textContent = left === 0 ? `${text} (the window has closed)` : text;
}

async function onClick(event) {
  const button = event.target.closest?.('button');
  if (!button) return;
  if (button.classList.contains('copy')) {
    await navigator.clipboard.writeText(button.dataset.copy);
    button.textContent = 'Copied';
  } else if (button.id === 'wallet-pay') {
    await payFromWallet(button);
  }
}

async function payFromWallet(button) {
  const section = document.getElementById('crypto');
  const status = document.getElementById('wallet-status');
  button.disabled = true;
  status.textContent = 'Confirm the payment in your wallet…';
  try {
    const hash = await payWithWallet(window.ethereum, {
      chainId: section.dataset.chainId,
      tokenAddress: section.dataset.tokenAddress || null,
      deposit: section.dataset.deposit,
      amount: section.dataset.amount,
    });
    status.textContent = `Transaction sent (${hash}). Waiting for it on the network…`;
  } catch (error) {
    status.textContent = `The wallet did not send the payment: ${error?.message ?? error}`;
    button.disabled = false;
  }
}

/**
 * The payment form through the API (as Stripe.js confirms): the test payment method, or the network
 * and token the payer chose, with the payer's amount where they choose it; the form itself when the
 * API does not take a publishable key here. A refusal (an amount out of bounds) is shown beside the
 * payer's input, which stays as typed.
 */
async function onSubmit(event) {
  const form = event.target;
  if (form.id !== 'card-form') return;
  const page = main().dataset;
  if (!page.key) return;
  event.preventDefault();
  const choice = new FormData(form);
  const withCrypto = event.submitter?.value === 'crypto';
  const body = new URLSearchParams({ client_secret: choice.get('client_secret') });
  const amountInput = document.getElementById('amount-input');
  if (amountInput) {
    const amount = minorUnits(amountInput.value, Number(amountInput.dataset.exponent), amountInput.dataset.currency);
    if (amount.error) return showError(amount.error);
    // The API refuses it too (in minor units); the page says it in the payer's money, as its bounds read.
    const bound = (field) => (field ? BigInt(minorUnits(field, Number(amountInput.dataset.exponent), '').value) : null);
    const [minimum, maximum] = [bound(amountInput.dataset.minimum), bound(amountInput.dataset.maximum)];
    const chosen = BigInt(amount.value);
    if ((minimum !== null && chosen < minimum) || (maximum !== null && chosen > maximum)) {
      return showError(document.getElementById('amount-bounds').textContent);
    }
    body.set('amount', amount.value);
  }
  if (withCrypto) {
    const [network, token] = String(choice.get('crypto') ?? '').split(':');
    if (!token) return showError('Choose a network and token.');
    body.set('payment_method_options[crypto][network]', network);
    body.set('payment_method_options[crypto][token]', token);
  } else {
    if (!choice.get('payment_method')) return showError('Choose a payment method.');
    body.set('payment_method', choice.get('payment_method'));
    body.set('return_url', page.pageUrl);
    const blik = document.getElementById('blik-code');
    if (blik && blik.dataset.for === choice.get('payment_method')) {
      if (!/^\d{6}$/.test(blik.value.trim())) return showError('Enter the six-digit BLIK code from your bank app.');
      body.set('payment_method_options[blik][code]', blik.value.trim());
    }
  }
  const pay = event.submitter ?? form.querySelector('button[type=submit]');
  pay.disabled = true;
  let res;
  try {
    res = await fetch(`${new URL(page.lookupUrl).origin}/v1/payment_intents/${page.intent}/confirm`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${page.key}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body,
    });
  } catch {
    return fallbackSubmit(form, event.submitter);
  }
  if (res.status === 401 || res.status === 403) return fallbackSubmit(form, event.submitter);
  const answer = await res.json().catch(() => ({}));
  if (res.ok && answer.next_action?.type === 'redirect_to_url') return leave(answer.next_action.redirect_to_url.url);
  if (res.ok && page.successUrl && PAID.includes(answer.status)) return leave(page.pageUrl);
  pay.disabled = false;
  // Refused (not a decline): the reason beside what the payer typed, the page as it is.
  if (!res.ok && res.status !== 402) return showError(answer.error?.message ?? 'The payment could not be made.');
  // Paid, declined (402: the page shows the decline) or waiting for a transfer: the page as it is now.
  await refresh();
}

/** The form as a browser without the script would send it, the pressed button's value included. */
function fallbackSubmit(form, submitter) {
  document.removeEventListener('submit', onSubmit);
  form.requestSubmit(submitter ?? undefined);
}

/**
 * What the payer typed, in the currency's major unit, as minor units by string arithmetic (never a
 * float), as the server reads it: "12.5" usd → "1250"; more decimals than the currency has are refused.
 */
function minorUnits(input, exponent, currency) {
  const found = /^(\d{1,12})(?:\.(\d*))?$/.exec(input.trim()) ?? /^()\.(\d+)$/.exec(input.trim());
  if (!found) return { error: 'Enter the amount as a number, such as 12.50.' };
  const [, whole, fraction = ''] = found;
  if (fraction.length > exponent) {
    return {
      error:
        exponent === 0
          ? `The amount must be a whole number of ${currency.toUpperCase()}.`
          : `The amount can have at most ${exponent} decimal places in ${currency.toUpperCase()}.`,
    };
  }
  return { value: BigInt(`${whole || '0'}${fraction.padEnd(exponent, '0')}`).toString() };
}

function showError(message) {
  let error = document.getElementById('payment-error');
  if (!error) {
    error = document.createElement('p');
    error.id = 'payment-error';
    error.className = 'error';
    error.setAttribute('role', 'alert');
    document.getElementById('status').after(error);
  }
  error.textContent = message;
}
