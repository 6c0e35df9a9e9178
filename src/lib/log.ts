import { redactCardNumbers } from './card-numbers.js';

/**
 * Structured logs that never carry secrets. Drizzle wraps a driver error in one whose message
 * holds the SQL *and its parameters* — which may be an API key hash or an intent record with its
 * client secret — so only the driver's own error is logged. Nor do they carry card numbers: a
 * request path, an error message or a stored value may quote one (requests carrying one are
 * refused, but data stored before that was not), so every string is redacted before it is written.
 */
export function logError(msg: string, fields: Record<string, unknown>, error: unknown): void {
  console.error(JSON.stringify({ level: 'error', msg, ...fields, error: describe(error) }, withoutCardNumbers));
}

function withoutCardNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? redactCardNumbers(value) : value;
}

/**
 * Something an operator should know about that is not a fault of ours (a client that went away, a
 * chain that went backwards): a yellow line, not a red one.
 */
export function logWarn(msg: string, fields: Record<string, unknown>): void {
  console.warn(JSON.stringify({ level: 'warn', msg, ...fields }, withoutCardNumbers));
}

/** A notable return to normal (the end of what a warning announced). */
export function logInfo(msg: string, fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ level: 'info', msg, ...fields }, withoutCardNumbers));
}

function describe(error: unknown): { name: string; message: string; stack?: string } {
  let root = error;
  while (root instanceof Error && root.message.startsWith('Failed query:') && root.cause !== undefined) root = root.cause;
  if (root instanceof Error) return { name: root.name, message: root.message, stack: root.stack };
  return { name: 'NonError', message: typeof root === 'string' ? root : 'non-Error value thrown' };
}
