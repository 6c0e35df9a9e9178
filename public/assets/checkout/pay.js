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

function changed(intent) {
  if (stateKey(intent) !== main()?.dataset.state) refresh();
}

/** The page again from the server, its <main> swapped in (one at a time, in order). */
function refresh() {
  refreshing = refreshing.then(async () => {
    const current = main();
    const res = await fetch(current.dataset.pageUrl, { cache: 'no-store', headers: { Accept: 'text/html' } });
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

/** The card form through the API (as Stripe.js confirms); the form itself when the API does not take a publishable key here. */
async function onSubmit(event) {
  const form = event.target;
  if (form.id !== 'card-form') return;
  const page = main().dataset;
  if (!page.key) return;
  event.preventDefault();
  const choice = new FormData(form);
  const pay = form.querySelector('button[type=submit]');
  pay.disabled = true;
  let res;
  try {
    res = await fetch(`${new URL(page.lookupUrl).origin}/v1/payment_intents/${page.intent}/confirm`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${page.key}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        payment_method: choice.get('payment_method'),
        client_secret: choice.get('client_secret'),
        return_url: page.pageUrl,
      }),
    });
  } catch {
    return form.submit();
  }
  if (res.status === 401 || res.status === 403) return form.submit();
  const body = await res.json().catch(() => ({}));
  if (res.ok && body.next_action?.type === 'redirect_to_url') return location.assign(body.next_action.redirect_to_url.url);
  // Paid, declined (402: the page shows the decline) or refused: the page as it is now, and the reason.
  await refresh();
  pay.disabled = false;
  if (!res.ok && res.status !== 402) showError(body.error?.message ?? 'The payment could not be made.');
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
