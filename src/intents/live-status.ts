/**
 * Live status: browsers holding an intent's client secret keep a WebSocket to the intent's
 * Durable Object (the hibernation API), which sends the intent's browser-safe fields on connect
 * and after every committed change. Nothing about a socket lives only in memory: each socket
 * carries its attachment (which family renders it), so an object evicted between changes still
 * pushes the next one. This file is the protocol between the seam and the object, and the limits.
 */
import { type LiveWireName, LIVE_WIRES } from '../api/live-wires.js';
import type { PaymentIntent } from '../domain/intent.js';

/** Sockets one intent keeps; the next one is accepted and closed at once with LIVE_CLOSE.full. */
export const LIVE_SOCKET_CAP = 20;

/** Close codes and reasons (a reason is at most 123 bytes). */
export const LIVE_CLOSE = {
  full: { code: 1013, reason: `Too many live connections to this PaymentIntent (${LIVE_SOCKET_CAP}); poll it instead.` },
  final: (intent: PaymentIntent) => ({ code: 1000, reason: `PaymentIntent ${intent.status}: nothing more to push.` }),
} as const;

/**
 * Statuses after which the browser has nothing left to wait for: succeeded and canceled. A crypto
 * intent may still record late funds after either (within its late-funds window); those reach the
 * merchant by webhook and the read model, not the payer's page, which has already said the
 * payment is over (and that late funds are still recorded).
 */
export function isFinal(intent: PaymentIntent): boolean {
  return intent.status === 'succeeded' || intent.status === 'canceled';
}

/** Who opens a socket: the key's merchant and mode, the client secret shown (null: a secret key holder), the family. */
export interface LiveRequest {
  merchantId: string;
  livemode: boolean;
  clientSecret: string | null;
  wire: LiveWireName;
}

/** What a socket remembers across hibernation. */
export interface LiveAttachment {
  wire: LiveWireName;
}

const HEADER = 'x-live-request';

/** The upgrade the seam sends to the object's fetch, with who is asking. */
export function liveRequest(live: LiveRequest): Request {
  const headers = new Headers({ Upgrade: 'websocket', [HEADER]: JSON.stringify(live) });
  return new Request('https://payment-intent.internal/live', { headers });
}

export function readLiveRequest(request: Request): LiveRequest | null {
  const header = request.headers.get(HEADER);
  return header === null ? null : (JSON.parse(header) as LiveRequest);
}

export function renderLive(intent: PaymentIntent, attachment: LiveAttachment, baseUrl: string): string {
  return LIVE_WIRES[attachment.wire](intent, { baseUrl });
}
