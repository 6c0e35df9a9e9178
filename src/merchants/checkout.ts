/**
 * A merchant's checkout settings: the origins allowed to frame its hosted payment pages (the page's
 * CSP frame-ancestors). None by default: a page no one may frame cannot be clickjacked.
 */
import { eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { merchants } from '../db/directory-schema.js';
import { forgetStorefront, parseFrameAncestors } from './keys.js';

export interface CheckoutSettings {
  frameAncestors: string[];
}

export const MAX_FRAME_ANCESTORS = 10;

/** An origin a merchant may allow to frame its page: https, or http on a loopback host (local development). Its canonical form, or null. */
export function frameAncestorOrigin(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  const loopback = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) return null;
  // An origin only: no path, query, fragment or credentials (a CSP source would read them otherwise).
  if (url.origin !== value.replace(/\/$/, '') || url.username || url.password) return null;
  return url.origin;
}

/** Undefined when there is no such merchant. */
export async function checkoutSettings(d1: D1Database, merchantId: string): Promise<CheckoutSettings | undefined> {
  const [row] = await drizzle(d1)
    .select({ frameAncestors: merchants.checkoutFrameAncestors })
    .from(merchants)
    .where(eq(merchants.id, merchantId))
    .limit(1);
  return row && { frameAncestors: parseFrameAncestors(row.frameAncestors) };
}

/** Replaces the allow-list (origins already canonical) in one statement, and returns it as that statement left it. */
export async function setCheckoutSettings(
  d1: D1Database,
  merchantId: string,
  settings: CheckoutSettings,
): Promise<CheckoutSettings | undefined> {
  const [row] = await drizzle(d1)
    .update(merchants)
    .set({ checkoutFrameAncestors: JSON.stringify(settings.frameAncestors) })
    .where(eq(merchants.id, merchantId))
    .returning({ frameAncestors: merchants.checkoutFrameAncestors });
  forgetStorefront(merchantId);
  return row && { frameAncestors: parseFrameAncestors(row.frameAncestors) };
}
