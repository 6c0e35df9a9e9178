/**
 * The subscribe page's script (src/pages/subscribe). Without a wallet the page shows the terms and
 * says a wallet is needed. With an EIP-1193 wallet (window.ethereum): connect, move to the item's
 * chain, approve the ConnectedWallets contract (every debit, or unlimited) or deposit into
 * VirtualAccounts, sign the mandate (eth_signTypedData_v4), post it to the page's JSON endpoint,
 * then follow the mandate's status (polling every 3 s) and send the payer to the merchant once it is
 * registered. A mandate's page (?mandate=) offers the payer's own cancel, sent from their wallet.
 */
import { approveCallData, cancelCallData, depositCallData, mandateTypedData, randomSalt, sendAndWait, UNLIMITED } from './mandate.js';

const POLL_MS = 3000;
/** How long the payer's signature may wait to be registered (validBefore − start). */
const VALID_FOR_S = 3600;
const FINAL = ['paid', 'canceled', 'failed'];

const root = document.getElementById('subscribe');
const page = root?.dataset;
let payer = null;

if (page?.button && page.active === 'true') {
  if (page.mandate) follow(page.mandate, { leaveWhenRegistered: false });
  else startFlow();
}

function $(id) {
  return document.getElementById(id);
}

function say(text) {
  $('flow-status').textContent = text;
}

function startFlow() {
  if (!window.ethereum) return;
  $('needs-wallet').hidden = true;
  $('connect').hidden = false;
  $('connect').addEventListener('click', connect);
  $('subscribe-form').addEventListener('submit', onSubmit);
  $('subscribe-form').addEventListener('change', showAllowance);
}

async function connect() {
  try {
    payer = await connectedAccount();
  } catch (error) {
    return say(`The wallet did not connect: ${error?.message ?? error}`);
  }
  $('connect').hidden = true;
  $('account').hidden = false;
  $('account').textContent = `Paying from ${payer}`;
  $('subscribe-form').hidden = false;
  showAllowance();
  say('');
}

/** The wallet's account, on the item's chain. */
async function connectedAccount() {
  const [account] = await window.ethereum.request({ method: 'eth_requestAccounts' });
  if (!account) throw new Error('the wallet gave no account');
  await window.ethereum.request({
    method: 'wallet_switchEthereumChain',
    params: [{ chainId: `0x${Number(page.chainId).toString(16)}` }],
  });
  return account;
}

function chosen(name) {
  return new FormData($('subscribe-form')).get(name);
}

function showAllowance() {
  const allowance = $('allowance');
  if (allowance) allowance.hidden = chosen('account_type') !== 'connected_wallet';
}

async function onSubmit(event) {
  event.preventDefault();
  const button = $('subscribe-button');
  button.disabled = true;
  try {
    await subscribe(chosen('account_type'), chosen('allowance'));
  } catch (error) {
    say(`Not subscribed: ${error?.message ?? error}`);
    button.disabled = false;
  }
}

async function subscribe(accountType, allowance) {
  const contract = accountType === 'connected_wallet' ? page.connectedWallets : page.virtualAccounts;
  const total = BigInt(page.maxAmount) * BigInt(page.debitTimes);
  const token = page.token || null;
  if (accountType === 'connected_wallet') {
    say('Approve the allowance in your wallet…');
    await sendAndWait(window.ethereum, {
      from: payer,
      to: token,
      data: approveCallData(contract, allowance === 'unlimited' ? UNLIMITED : total),
    });
  } else {
    if (token) {
      say('Approve the deposit in your wallet…');
      await sendAndWait(window.ethereum, { from: payer, to: token, data: approveCallData(contract, total) });
    }
    say('Confirm the deposit in your wallet…');
    const value = token ? {} : { value: `0x${total.toString(16)}` };
    await sendAndWait(window.ethereum, { from: payer, to: contract, data: depositCallData(token, total), ...value });
  }
  const start = Math.floor(Date.now() / 1000);
  const signed = { start, validBefore: start + VALID_FOR_S, salt: randomSalt() };
  const typedData = mandateTypedData({
    accountType,
    chainId: page.chainId,
    contract,
    payer,
    payee: page.payee,
    token,
    maxAmount: page.maxAmount,
    debitTimes: page.debitTimes,
    interval: page.interval,
    ...signed,
  });
  say('Sign the subscription in your wallet…');
  const signature = await window.ethereum.request({ method: 'eth_signTypedData_v4', params: [payer, JSON.stringify(typedData)] });
  say('Registering…');
  const res = await fetch(page.mandatesUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      account_type: accountType,
      payer,
      start: signed.start,
      valid_before: signed.validBefore,
      salt: signed.salt,
      signature,
    }),
  });
  const answer = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(answer.error?.message ?? `the service answered ${res.status}`);
  $('subscribe-form').hidden = true;
  say('');
  // The page's own address now names the mandate: back (or a reload) shows its status and the cancel.
  history.replaceState(null, '', `?mandate=${encodeURIComponent(answer.id)}`);
  show(answer);
  follow(answer.id, { leaveWhenRegistered: true });
}

// --- the mandate ---------------------------------------------------------------------------

let current = null;

function follow(id, { leaveWhenRegistered }) {
  const url = `${page.mandatesUrl}/${encodeURIComponent(id)}`;
  const check = async () => {
    try {
      const res = await fetch(url, { cache: 'no-store' });
      if (res.status === 404) return showMissing();
      if (!res.ok) return;
      const mandate = await res.json();
      show(mandate);
      if (leaveWhenRegistered && mandate.status !== 'registering' && mandate.status !== 'failed') {
        return location.assign(mandate.redirect_url);
      }
      if (FINAL.includes(mandate.status)) return;
    } catch {
      // Offline for a moment: the next poll tries again.
    }
    setTimeout(check, POLL_MS);
  };
  check();
}

const TEXT = {
  registering: ['Registering your subscription', 'It is being registered on the network; nothing has been debited yet.'],
  created: ['Subscribed', 'The first debit is due {next}.'],
  recurring: ['Subscribed', '{used} of {times} debits done; the next is due {next}.'],
  account_balance_too_low: [
    'Balance too low',
    'The due debit could not be taken: top up your wallet, allowance or deposit. It is tried again.',
  ],
  paid: ['Complete', 'All {times} debits are done.'],
  canceled: ['Canceled', 'No more debits will be taken.'],
  failed: ['Not registered', 'The subscription could not be registered. Nothing was debited.'],
};

function show(mandate) {
  current = mandate;
  const [title, detail] = TEXT[mandate.status] ?? [mandate.status, ''];
  const next = mandate.next_payment_date ? new Date(mandate.next_payment_date * 1000).toLocaleString() : '—';
  const section = $('mandate');
  section.hidden = false;
  section.dataset.status = mandate.status;
  $('mandate-title').textContent = title;
  $('mandate-detail').textContent = detail
    .replace('{next}', next)
    .replace('{used}', String(mandate.used))
    .replace('{times}', String(mandate.debit_times));
  const onward = $('continue');
  onward.href = mandate.redirect_url;
  onward.hidden = false;
  const cancel = $('cancel');
  cancel.hidden = FINAL.includes(mandate.status) || mandate.status === 'registering' || !window.ethereum;
  cancel.onclick = cancelOnChain;
}

function showMissing() {
  const section = $('mandate');
  section.hidden = false;
  $('mandate-title').textContent = 'Subscription not found';
  $('mandate-detail').textContent = 'This page does not know that subscription.';
}

/** The payer's own cancel(onchainId), from their wallet: the service sees it on the chain. */
async function cancelOnChain() {
  const button = $('cancel');
  button.disabled = true;
  try {
    const from = payer ?? (await connectedAccount());
    $('mandate-detail').textContent = 'Confirm the cancel in your wallet…';
    await sendAndWait(window.ethereum, { from, to: current.contract, data: cancelCallData(current.onchain_id) });
    $('mandate-detail').textContent = 'Cancel sent. The status changes once the service has seen it.';
  } catch (error) {
    $('mandate-detail').textContent = `The wallet did not cancel: ${error?.message ?? error}`;
    button.disabled = false;
  }
}
