/**
 * A live status socket as a test reads it (GET /v1/payment_intents/{id}/live): its messages in
 * order, parsed, and how it closed.
 */
import { call } from './helpers.js';

/** Opens the socket as a browser does: no Authorization header, the publishable key in the URL. */
export async function openLive(intent: { id: string; client_secret: string }, publishableKey: string): Promise<Live> {
  const query = new URLSearchParams({ client_secret: intent.client_secret, key: publishableKey });
  const res = await call(`/v1/payment_intents/${intent.id}/live?${query}`, { headers: { Upgrade: 'websocket' } });
  if (res.status !== 101) throw new Error(`${res.status} ${await res.text()}`);
  return listen(res);
}

export interface Live {
  res: Response;
  ws: WebSocket;
  /** The next message, parsed (fails after a few seconds without one, saying what it waited for). */
  next(waitingFor?: string): Promise<any>;
  closed: Promise<{ code: number; reason: string }>;
}

/** Accepts the WebSocket of a 101 answer and queues its messages. */
export function listen(res: Response): Live {
  const ws = res.webSocket!;
  const queue: string[] = [];
  const waiting: ((text: string) => void)[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.addEventListener('close', (e) => resolve({ code: e.code, reason: e.reason })),
  );
  ws.addEventListener('message', (e) => {
    const text = e.data as string;
    const waiter = waiting.shift();
    if (waiter) waiter(text);
    else queue.push(text);
  });
  ws.accept();
  return {
    res,
    ws,
    closed,
    next: (waitingFor = 'a message') =>
      new Promise((resolve, reject) => {
        const queued = queue.shift();
        if (queued !== undefined) return resolve(JSON.parse(queued));
        const timer = setTimeout(() => reject(new Error(`no message within 5 s: waiting for ${waitingFor}`)), 5_000);
        waiting.push((text) => {
          clearTimeout(timer);
          resolve(JSON.parse(text));
        });
      }),
  };
}
