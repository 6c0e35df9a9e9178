/**
 * Links this service hands out are built from configuration (PUBLIC_BASE_URL), never from the
 * request: a client that sends another Host cannot make the service hand its payers a link elsewhere.
 */
import { exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createMerchant, type TestMerchant } from '../helpers.js';

let m: TestMerchant;
beforeAll(async () => {
  m = await createMerchant('Links');
});

describe('links', () => {
  it.each(['http://evil.example', 'https://pay.test.evil.example:8443'])(
    'a 3-D Secure link is on PUBLIC_BASE_URL whatever the request’s origin (%s)',
    async (origin) => {
      const res = await exports.default.fetch(
        new Request(`${origin}/v1/payment_intents`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${m.keys.test.secret}`, 'Content-Type': 'application/json', Host: new URL(origin).host },
          body: JSON.stringify({ amount: 2000, currency: 'usd', payment_method: 'pm_card_threeDSecure2Required', confirm: true }),
        }),
      );
      expect(res.status).toBe(200);
      const intent = (await res.json()) as { id: string; next_action: { redirect_to_url: { url: string } } };
      const url = new URL(intent.next_action.redirect_to_url.url);
      expect(url.origin).toBe('http://pay.test');
      expect(url.pathname).toMatch(new RegExp(`^/challenge/${intent.id}/[0-9A-Za-z]{32}$`));
    },
  );
});
