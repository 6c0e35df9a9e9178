/** A merchant's checkout settings: the origins allowed to frame its hosted payment pages (CSP frame-ancestors). */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { findStorefront } from '../../src/merchants/keys.js';
import { call, createMerchant, get, post } from '../helpers.js';

describe('checkout settings', () => {
  it('start with no origin allowed; a list replaces the last one, canonical and without repeats', async () => {
    const m = await createMerchant('Framed shop');
    expect((await get(m.keys.test.secret, '/v1/checkout_settings')).body).toEqual({ object: 'checkout_settings', frame_ancestors: [] });
    const set = await post(m.keys.test.secret, '/v1/checkout_settings', {
      frame_ancestors: ['https://shop.example/', 'https://shop.example', 'https://pay.shop.example:8443', 'http://localhost:3000'],
    });
    expect(set.res.status).toBe(200);
    const expected = ['https://shop.example', 'https://pay.shop.example:8443', 'http://localhost:3000'];
    expect(set.body.frame_ancestors).toEqual(expected);
    expect((await get(m.keys.test.secret, '/v1/checkout_settings')).body.frame_ancestors).toEqual(expected);
    // The page reads them through the storefront, at once in this isolate.
    expect((await findStorefront(env.DIRECTORY, m.id, false))?.frameAncestors).toEqual(expected);
    expect((await findStorefront(env.DIRECTORY, m.id, true))?.frameAncestors).toEqual(expected);

    // The README's curl: form-encoded with brackets, one entry is a list too.
    const one = await call('/v1/checkout_settings', { key: m.keys.test.secret, form: 'frame_ancestors[]=https%3A%2F%2Fshop.example' });
    expect(((await one.json()) as any).frame_ancestors).toEqual(['https://shop.example']);

    // An empty list (in a form body: frame_ancestors=) allows none again.
    const cleared = await call('/v1/checkout_settings', { key: m.keys.test.secret, form: 'frame_ancestors=' });
    expect(cleared.status).toBe(200);
    expect(((await cleared.json()) as any).frame_ancestors).toEqual([]);
    expect((await findStorefront(env.DIRECTORY, m.id, false))?.frameAncestors).toEqual([]);
  });

  it.each([
    ['a wildcard', '*'],
    ['plain http to another host', 'http://shop.example'],
    ['a path', 'https://shop.example/checkout'],
    ['a query', 'https://shop.example?a=1'],
    ['credentials', 'https://user:pw@shop.example'],
    ['a script URL', 'javascript:alert(1)'],
    ['a CSP keyword', "'self'"],
    ['two origins in one string', 'https://a.example https://b.example'],
    ['not a URL', 'shop.example'],
  ])('refuses %s, naming the entry, and keeps the list it had', async (_name, origin) => {
    const m = await createMerchant('Careful shop');
    await post(m.keys.test.secret, '/v1/checkout_settings', { frame_ancestors: ['https://ok.example'] });
    const res = await post(m.keys.test.secret, '/v1/checkout_settings', { frame_ancestors: ['https://fine.example', origin] });
    expect(res.res.status).toBe(400);
    expect(res.body.error).toMatchObject({ type: 'invalid_request_error', code: 'parameter_invalid', param: 'frame_ancestors[1]' });
    expect((await get(m.keys.test.secret, '/v1/checkout_settings')).body.frame_ancestors).toEqual(['https://ok.example']);
  });

  it('refuses more than ten origins, a missing list and unknown parameters, each named', async () => {
    const m = await createMerchant('Greedy shop');
    const eleven = Array.from({ length: 11 }, (_, i) => `https://s${i}.example`);
    const cases: [Record<string, unknown>, string][] = [
      [{ frame_ancestors: eleven }, 'frame_ancestors'],
      [{}, 'frame_ancestors'],
      [{ frame_ancestors: [], extra: 1 }, 'extra'],
    ];
    for (const [params, param] of cases) {
      const res = await post(m.keys.test.secret, '/v1/checkout_settings', params);
      expect(res.res.status, JSON.stringify(params)).toBe(400);
      expect(res.body.error.param).toBe(param);
    }
  });

  it('are the merchant’s own: a publishable key cannot read or set them, and another merchant’s stay as they are', async () => {
    const a = await createMerchant('Shop A');
    const b = await createMerchant('Shop B');
    await post(a.keys.test.secret, '/v1/checkout_settings', { frame_ancestors: ['https://a.example'] });
    expect((await get(b.keys.test.secret, '/v1/checkout_settings')).body.frame_ancestors).toEqual([]);
    expect((await get(a.keys.test.publishable, '/v1/checkout_settings')).res.status).toBe(403);
    const refused = await post(a.keys.test.publishable, '/v1/checkout_settings', { frame_ancestors: [] });
    expect(refused.res.status).toBe(403);
    expect((await get(a.keys.live.secret, '/v1/checkout_settings')).body.frame_ancestors).toEqual(['https://a.example']);
  });
});
