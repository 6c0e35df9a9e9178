import { it } from 'vitest';
import { call, createMerchant } from '../helpers.js';

it('probe', async () => {
  const m = await createMerchant();
  const k = m.keys.test.secret;
  const cases: [string, Parameters<typeof call>[1]][] = [
    ['proto meta json', { key: k, body: '{"amount":100,"currency":"usd","metadata":{"__proto__":"x","constructor":"y"}}', headers: { 'content-type': 'application/json' } }],
    ['form meta constructor', { key: k, form: 'amount=100&currency=usd&metadata[constructor]=x&metadata[toString]=y&metadata[__proto__]=z' }],
    ['form hasOwnProperty', { key: k, form: 'amount=100&currency=usd&hasOwnProperty=1' }],
    ['no ct bytes', { key: k, body: new TextEncoder().encode('{"amount":100}'), method: 'POST' }],
    ['multipart', { key: k, body: (() => { const f = new FormData(); f.set('amount', '100'); f.set('currency', 'usd'); return f; })(), method: 'POST' }],
    ['json charset', { key: k, body: '{"amount":100,"currency":"usd"}', headers: { 'content-type': 'Application/JSON; charset=utf-8' } }],
    ['amount -1e20', { key: k, body: '{"amount":-100000000000000000000,"currency":"usd"}', headers: { 'content-type': 'application/json' } }],
    ['amount 2^53+1', { key: k, body: '{"amount":9007199254740993,"currency":"usd"}', headers: { 'content-type': 'application/json' } }],
    ['amount 10.5', { key: k, json: { amount: 10.5, currency: 'usd' } }],
    ['sd', { key: k, json: { amount: 100, currency: 'usd', statement_descriptor: 'ABC<DEF' } }],
    ['sd long', { key: k, json: { amount: 100, currency: 'usd', statement_descriptor: 'A'.repeat(23) } }],
    ['rawcard', { key: k, json: { amount: 100, currency: 'usd', payment_method: '4242 4242 4242 4242' } }],
    ['pm missing', { key: k, json: { amount: 100, currency: 'usd', payment_method: 'pm_does_not_exist' } }],
    ['return no confirm', { key: k, json: { amount: 100, currency: 'usd', return_url: 'https://x.com' } }],
    ['empty', { key: k, method: 'POST' }],
    ['json string', { key: k, json: 'hello' }],
    ['json null', { key: k, body: 'null', headers: { 'content-type': 'application/json' } }],
  ];
  for (const [name, init] of cases) {
    const res = await call('/v1/payment_intents', init);
    const t = await res.text();
    console.log(name, res.status, t.includes('"metadata"') ? t.slice(t.indexOf('"metadata"'), t.indexOf('"metadata"') + 100) : t.slice(0, 300));
  }
});
