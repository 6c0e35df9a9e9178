// Values handed from globalSetup modules (running in Node) to tests through `inject()`.
export {};

declare module 'vitest' {
  interface ProvidedContext {
    /** Port of the webhook receiver on 127.0.0.1 (test/webhook-receiver.ts). */
    webhookReceiverPort: number;
  }
}
