/** A debit item on the wire (schemas.ts DebitItem): the domain's item, its amounts exact, its times in Unix seconds. */
import type { z } from '@hono/zod-openapi';
import { type DebitItem, intervalSeconds } from '../../../domain/debit-item.js';
import { amountToWire, type Links } from '../wire/payment-intent.js';
import type { DebitItem as WireDebitItem } from './schemas.js';

/** The subscribe page of a button (the page itself comes with the subscribe issue). */
export function checkoutUrl(links: Links, buttonId: string): string {
  return `${links.baseUrl}/subscribe/${buttonId}`;
}

export function debitItemToWire(item: DebitItem, links: Links): z.input<typeof WireDebitItem> {
  return {
    id: item.id,
    object: 'debit_item',
    name: item.name,
    network: item.network,
    chain_id: item.chainId,
    token: { ...item.token },
    payee_address: item.payeeAddress,
    max_price: amountToWire(item.maxPrice),
    debit_times: item.debitTimes,
    debit_interval: item.interval.unit === 'days' ? item.interval.days : null,
    debit_interval_seconds: intervalSeconds(item.interval),
    pricing: item.pricing,
    redirect_url: item.redirectUrl,
    button_id: item.buttonId,
    checkout_url: checkoutUrl(links, item.buttonId),
    active: item.active,
    deleted: !item.active,
    metadata: { ...item.metadata },
    created: Math.floor(item.created / 1000),
    livemode: item.livemode,
  };
}
