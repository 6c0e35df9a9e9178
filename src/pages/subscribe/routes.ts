/**
 * The subscribe page of a debit item (issue 13): the routes as data. Handlers are in handlers.ts,
 * the HTML in view.ts. The page's only credential is the unguessable button id in its path; there
 * is no API key, so the routes are public. A malformed or unknown button is one 404 (the page, or
 * the JSON envelope for the page's JSON endpoints), refused before any lookup when malformed.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { ErrorEnvelope } from '../../api/stripe/errors.js';
import { ACCOUNT_TYPES, MANDATE_STATUSES } from '../../domain/mandate.js';
import { errorResponses, htmlResponse, jsonBody, jsonResponse } from '../../http/schemas/common.js';
import { NOT_FOUND_PAGE } from './view.js';

const tags = ['Subscribe page'];

const EXAMPLE_BUTTON = 'btn_4eC39HqLyjWDarjtT1zdp7dcAbCdEfGh';
const EXAMPLE_MANDATE = 'mdt_01JQ7M4Z8X2K5N9P3R6T0V1W2Y';
const EXAMPLE_PAYER = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
const EXAMPLE_ONCHAIN_ID = `0x${'3b'.repeat(32)}`;

const buttonId = z
  .string()
  .max(255)
  .openapi({
    param: { name: 'button_id', in: 'path' },
    description: "The debit item's button id (its checkout_url's last segment). A malformed one gets the same 404 as an unknown one.",
    example: EXAMPLE_BUTTON,
  });

export const ButtonParam = z.object({ button_id: buttonId });

export const PageQuery = z.strictObject({
  mandate: z
    .string()
    .max(255)
    .optional()
    .openapi({
      description:
        'A mandate made on this page (mdt_…): the page shows its status (and the payer’s cancel) instead of the flow; the page’s ' +
        'script asks for it again to follow the status. A mandate of another item is “not found” there.',
      example: EXAMPLE_MANDATE,
    }),
});

/** Unix seconds, from a JSON integer or a digit string (the form encoding of the same body). */
const unixSeconds = z
  .union([z.number(), z.string()])
  .transform((value, ctx): number => {
    const n = typeof value === 'number' ? value : /^\d{1,15}$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < 1) {
      ctx.addIssue({ code: 'custom', message: 'must be a whole number of seconds since the epoch.' });
      return z.NEVER;
    }
    return n;
  })
  .openapi({ type: 'integer', minimum: 1 });

/** What the page's script posts once the payer has signed: the terms come from the item, these from the payer. */
export const SubscribeParams = z
  .strictObject({
    account_type: z.enum(ACCOUNT_TYPES).openapi({
      description:
        'Which contract the mandate is signed for: connected_wallet (pulls the token from the payer’s wallet through its ' +
        'allowance) or virtual_account (debits the payer’s deposit; the only one for the native coin).',
      example: 'connected_wallet',
    }),
    payer: z
      .string()
      .regex(/^0x[0-9a-fA-F]{40}$/, { error: 'must be an address: 0x followed by 40 hex digits' })
      .openapi({
        description: 'The payer’s address: the signer (a smart-contract wallet’s address for ERC-1271).',
        example: EXAMPLE_PAYER,
      }),
    start: unixSeconds.openapi({ description: 'The signed start (unix seconds): the first period begins here.', example: 1767225600 }),
    valid_before: unixSeconds.openapi({
      description: 'The signed deadline for registering the mandate (unix seconds); it must not have passed.',
      example: 1767229200,
    }),
    salt: z
      .string()
      .regex(/^0x[0-9a-fA-F]{64}$/, { error: 'must be 0x followed by 64 hex digits' })
      .openapi({ description: 'The signed salt (32 random bytes).', example: `0x${'5a'.repeat(32)}` }),
    signature: z
      .string()
      .max(4098)
      .regex(/^0x(?:[0-9a-fA-F]{2})+$/, { error: 'must be 0x followed by the signature’s bytes in hex' })
      .openapi({
        description: 'The EIP-712 signature (eth_signTypedData_v4) over the mandate in the chosen contract’s domain.',
        example: `0x${'ab'.repeat(65)}`,
      }),
  })
  .openapi('SubscribeParams');

/** What the page may know of a mandate: nothing of the merchant beyond what the page shows. */
export const PageMandate = z
  .object({
    id: z.string().openapi({ example: EXAMPLE_MANDATE }),
    status: z.enum(MANDATE_STATUSES),
    account_type: z.enum(ACCOUNT_TYPES),
    contract: z.string().openapi({ description: 'The contract the mandate is registered on: the payer cancels there.' }),
    onchain_id: z.string().openapi({ description: 'The mandate’s id on chain (the signed digest).', example: EXAMPLE_ONCHAIN_ID }),
    used: z.number().int().openapi({ description: 'Debits done so far.' }),
    debit_times: z.number().int(),
    next_payment_date: z.number().int().nullable().openapi({ description: 'Unix seconds of the next debit; null once none is left.' }),
    redirect_url: z.string().openapi({ description: 'Where the payer goes next: the item’s redirect_url with ?mandate=mdt_….' }),
  })
  .openapi('SubscribePageMandate');

const exampleMandate = {
  id: EXAMPLE_MANDATE,
  status: 'registering' as const,
  account_type: 'connected_wallet' as const,
  contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  onchain_id: EXAMPLE_ONCHAIN_ID,
  used: 0,
  debit_times: 12,
  next_payment_date: 1767225600,
  redirect_url: `https://shop.example/subscribed?mandate=${EXAMPLE_MANDATE}`,
};

const examplePage =
  '<!doctype html><html lang="en-US"><head><meta charset="utf-8"><title>Subscribe: Daily plan</title>' +
  '<link rel="stylesheet" href="/assets/checkout/pay.css"><script type="module" src="/assets/subscribe/subscribe.js"></script></head>' +
  '<body><main id="subscribe"><header><p class="merchant">Example shop</p><h1>Daily plan</h1><p class="amount">1.00 USDC</p></header>' +
  '<dl>…</dl><section id="flow">…</section></main></body></html>';

export const show = createRoute({
  method: 'get',
  path: '/subscribe/{button_id}',
  tags,
  summary: 'The subscribe page of a debit item (its checkout_url): the terms, and the payer’s flow to sign a mandate',
  description:
    'Server-rendered for the payer: the merchant, the item’s name, the price (max_price in the token’s units, exactly), the ' +
    'number of debits, the interval, the pricing and the network. Its script connects an EIP-1193 wallet, lets the payer ' +
    'choose a connected wallet (approve the ConnectedWallets contract for every debit, or unlimited) or a virtual account ' +
    '(deposit into VirtualAccounts), signs the mandate (eth_signTypedData_v4) and posts it to /subscribe/{button_id}/mandates. ' +
    'A deactivated item is a page saying so. Strict Content-Security-Policy, Referrer-Policy: no-referrer, Cache-Control: no-store.',
  security: [],
  request: { params: ButtonParam, query: PageQuery },
  responses: {
    200: htmlResponse(examplePage),
    404: {
      description: 'No such page: an unknown or malformed button id (the same page for each).',
      content: { 'text/html': { schema: z.string(), example: NOT_FOUND_PAGE } },
    },
  },
});

export const subscribeRoute = createRoute({
  method: 'post',
  path: '/subscribe/{button_id}/mandates',
  tags,
  summary: 'Register the payer’s signed mandate for the button’s item (what the page’s script posts)',
  description:
    'The terms come from the item; the payer sends what they signed besides. The service checks the signature against the ' +
    'item’s terms and registers the mandate on chain through its relayer. The same signature again answers the same mandate.',
  security: [],
  request: {
    params: ButtonParam,
    body: jsonBody(SubscribeParams, true, {
      account_type: 'connected_wallet',
      payer: EXAMPLE_PAYER,
      start: 1767225600,
      valid_before: 1767229200,
      salt: `0x${'5a'.repeat(32)}`,
      signature: `0x${'ab'.repeat(65)}`,
    }),
  },
  responses: {
    200: jsonResponse(PageMandate, 'The mandate, as the page may show it.', exampleMandate),
    ...errorResponses(ErrorEnvelope, {
      400: 'Invalid request (the error names the parameter), or the item was deactivated (debit_item_inactive, param button_id).',
      404: 'No such button (unknown or malformed).',
      503: 'The chain could not be asked; nothing was written. Retry.',
    }),
  },
});
