#!/usr/bin/env node
/**
 * A merchant's server in a few lines, for trying the hosted checkout against `npm run dev`: the
 * official `stripe` SDK, pointed at this API, creates a Checkout Session and the browser is sent to
 * its `url`. README: "Hosted checkout".
 *
 *   node scripts/checkout-server.mjs        then open http://127.0.0.1:4242
 *
 * The API and key, first found wins: API_BASE and SK (or STRIPE_SECRET_KEY) from the environment,
 * else what `npm run dev` saved in .dev-merchant.json. SHOP_PORT moves the shop off 4242.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import Stripe from 'stripe';

const saved = existsSync(new URL('../.dev-merchant.json', import.meta.url))
  ? JSON.parse(readFileSync(new URL('../.dev-merchant.json', import.meta.url), 'utf8'))
  : undefined;
const apiBase = new URL(process.env.API_BASE ?? saved?.dev?.api_base ?? 'http://127.0.0.1:8787');
const secretKey = process.env.SK ?? process.env.STRIPE_SECRET_KEY ?? saved?.keys?.test?.secret;
if (!secretKey) {
  console.error('no key: set SK (a test secret key), or run `npm run dev` once, which saves its demo merchant in .dev-merchant.json');
  process.exit(1);
}
const port = Number(process.env.SHOP_PORT ?? 4242);
const shop = `http://127.0.0.1:${port}`;

// The official SDK, unmodified: only where it sends its requests changes.
const stripe = new Stripe(secretKey, {
  host: apiBase.hostname,
  port: Number(apiBase.port || (apiBase.protocol === 'https:' ? 443 : 80)),
  protocol: apiBase.protocol.replace(':', ''),
});

const page = (title, body) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title></head>` +
  `<body style="font-family: system-ui; max-width: 32rem; margin: 3rem auto">${body}</body></html>`;

const server = createServer(async (req, res) => {
  const url = new URL(req.url, shop);
  try {
    if (req.method === 'POST' && url.pathname === '/checkout') {
      const session = await stripe.checkout.sessions.create({
        mode: 'payment',
        line_items: [{ price_data: { currency: 'usd', unit_amount: 1500, product_data: { name: 'Espresso beans, 250 g' } }, quantity: 2 }],
        payment_method_types: ['card', 'crypto'],
        success_url: `${shop}/success?session_id={CHECKOUT_SESSION_ID}`,
        cancel_url: `${shop}/`,
      });
      res.writeHead(303, { location: session.url }).end();
      return;
    }
    if (url.pathname === '/success') {
      const session = await stripe.checkout.sessions.retrieve(url.searchParams.get('session_id') ?? '');
      const html = page(
        'Thank you',
        `<h1>Thank you</h1><p>Session <code>${session.id}</code> is <b>${session.status}</b>, payment <b>${session.payment_status}</b>.</p><p><a href="/">Again</a></p>`,
      );
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      return;
    }
    const html = page(
      'Shop',
      '<h1>Espresso beans</h1><p>2 × 15.00 USD</p><form method="post" action="/checkout"><button>Check out</button></form>',
    );
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
  } catch (error) {
    res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' }).end(`The API answered: ${error.message}\n`);
  }
});
server.listen(port, '127.0.0.1', () => console.log(`shop on ${shop} (API ${apiBase.origin}); Ctrl-C stops it`));
