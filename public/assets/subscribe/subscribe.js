/**
 * The subscribe page's script (src/pages/subscribe). Without a wallet the page shows the terms and
 * says a wallet is needed. With an EIP-1193 wallet (window.ethereum): connect, move to the item's
 * chain, approve the ConnectedWallets contract (every debit, or unlimited) or deposit into
 * VirtualAccounts, sign the mandate (eth_signTypedData_v4), post it to the page's JSON endpoint,
 * then follow the mandate's status (the page again every 3 s, its status section swapped in: one
 * renderer, the server's) and send the payer to the merchant once it is registered. A mandate's page
 * (?mandate=) offers the payer's own cancel, sent from their wallet.
 */
import { approveCallData, cancelCallData, depositCallData, mandateTypedData, randomSalt, sendAndWait, UNLIMITED } from './mandate.js';

const POLL_MS = 3000;
/** How long the payer's signature may wait to be registered (validBefore − start). */
const VALID_FOR_S = 3600;

const root = document.getElementById('subscribe');
const page = root?.dataset;
let payer = null;

if (page?.button && page.active === 'true') {
  const mandate = document.getElementById('mandate')?.dataset;
  if (mandate?.id) follow(mandate.id, { leaveWhenRegistered: false });
  else if (document.getElementById('flow')) startFlow();
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
  const address = document.createElement('code');
  address.textContent = payer;
  $('account').replaceChildren('Paying from ', address);
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
  history.replaceState(null, '', `${page.pageUrl}?mandate=${encodeURIComponent(answer.id)}`);
  follow(answer.id, { leaveWhenRegistered: true });
}

// --- the mandate: the server renders its status; the script asks for the page again -----------

const FOLLOWING = ['registering', 'created', 'recurring', 'account_balance_too_low'];

function follow(id, { leaveWhenRegistered }) {
  const check = async () => {
    let status = null;
    try {
      const res = await fetch(`${page.pageUrl}?mandate=${encodeURIComponent(id)}`, { cache: 'no-store', headers: { Accept: 'text/html' } });
      if (res.ok) status = swapIn(new DOMParser().parseFromString(await res.text(), 'text/html').getElementById('mandate'));
    } catch {
      // Offline for a moment: the next poll tries again.
    }
    const section = $('mandate');
    if (leaveWhenRegistered && status && status !== 'registering' && status !== 'failed' && status !== 'missing') {
      return location.assign(section.dataset.redirectUrl);
    }
    if (status === null || FOLLOWING.includes(status)) setTimeout(check, POLL_MS);
  };
  if (!leaveWhenRegistered) revealCancel();
  setTimeout(check, leaveWhenRegistered ? 0 : POLL_MS);
}

/** The fresh section in place of the page's (or after the flow), when it changed: its status. */
function swapIn(fresh) {
  if (!fresh) return null;
  const current = $('mandate');
  if (current?.dataset.status === fresh.dataset.status && current.innerHTML === fresh.innerHTML) return fresh.dataset.status;
  const node = document.importNode(fresh, true);
  if (current) current.replaceWith(node);
  else $('flow').after(node);
  revealCancel();
  return fresh.dataset.status;
}

function revealCancel() {
  const cancel = $('cancel');
  if (!cancel) return;
  cancel.hidden = !window.ethereum;
  cancel.onclick = cancelOnChain;
}

/** The payer's own cancel(onchainId), from their wallet: the service sees it on the chain. */
async function cancelOnChain() {
  const button = $('cancel');
  const status = $('cancel-status');
  const { contract, onchainId } = $('mandate').dataset;
  button.disabled = true;
  try {
    const from = payer ?? (await connectedAccount());
    status.textContent = 'Confirm the cancel in your wallet…';
    await sendAndWait(window.ethereum, { from, to: contract, data: cancelCallData(onchainId) });
    status.textContent = 'Cancel sent. The status changes once the service has seen it.';
  } catch (error) {
    status.textContent = `The wallet did not cancel: ${error?.message ?? error}`;
    button.disabled = false;
  }
}
