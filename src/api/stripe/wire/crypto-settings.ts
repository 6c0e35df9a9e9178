/** A merchant's crypto settings on Stripe's wire. */
export function cryptoSettingsToWire(settings: { xpub: string | null; addressesIssued: number } | undefined) {
  return { object: 'crypto_settings' as const, xpub: settings?.xpub ?? null, addresses_issued: settings?.addressesIssued ?? 0 };
}
