/**
 * Test-side handle on the webhook receiver (test/webhook-receiver.ts), from inside workerd. The
 * receiver is shared by every test file of a run, so each mailbox gets a fresh random name.
 */
import { inject } from 'vitest';
import type { MailboxConfig, RecordedRequest } from '../webhook-receiver.js';

export interface TestMailbox {
  /** Where to deliver: `http://127.0.0.1:<port>/hooks/<name>`. */
  url: string;
  /** Everything delivered so far, oldest first. */
  received(): Promise<RecordedRequest[]>;
}

export async function openMailbox(config: MailboxConfig): Promise<TestMailbox> {
  const control = `${receiverOrigin()}/mailboxes/mbx-${crypto.randomUUID()}`;
  const configured = await fetch(control, { method: 'PUT', body: JSON.stringify(config) });
  if (configured.status !== 204) throw new Error(`receiver refused the mailbox: ${await configured.text()}`);
  return {
    url: control.replace('/mailboxes/', '/hooks/'),
    async received() {
      const res = await fetch(control);
      if (!res.ok) throw new Error(`receiver answered ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { requests: RecordedRequest[] }).requests;
    },
  };
}

export function receiverOrigin(): string {
  return `http://127.0.0.1:${inject('webhookReceiverPort')}`;
}
