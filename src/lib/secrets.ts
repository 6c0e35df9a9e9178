/** Hashing and constant-time comparison for secrets (API keys, client secrets, tokens). */
const encoder = new TextEncoder();

export async function sha256Hex(value: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', encoder.encode(value));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Compares a presented secret with a known one in time independent of where they differ. For
 * secrets of a public, fixed format (client secrets, challenge tokens) the length gives nothing
 * away, so a length mismatch answers at once.
 */
export function fixedLengthSecretsEqual(presented: string, known: string): boolean {
  const a = encoder.encode(presented);
  const b = encoder.encode(known);
  return a.byteLength === b.byteLength && crypto.subtle.timingSafeEqual(a, b);
}

/**
 * The same for a secret whose length is itself secret (the operator's ADMIN_TOKEN): both sides are
 * hashed first, so the comparison runs over equal-length digests.
 */
export async function secretsEqual(presented: string, known: string): Promise<boolean> {
  const [a, b] = await Promise.all([
    crypto.subtle.digest('SHA-256', encoder.encode(presented)),
    crypto.subtle.digest('SHA-256', encoder.encode(known)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}
