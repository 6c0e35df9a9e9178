/**
 * Error logs a test provokes on purpose. The app reports a failure as one JSON line on console.error
 * (src/lib/log.ts). A test that causes one expects it: it checks that the line was written, with its
 * fields, and keeps it out of the run's output, which is for what nobody expected.
 *
 *   const logs = expectErrorLogs((log) => log.msg === 'configuration is invalid');
 *   try {
 *     …
 *     expect(logs.caught).toEqual([expect.objectContaining({ problems: [...] })]);
 *   } finally {
 *     logs.restore();
 *   }
 *
 * Only lines the predicate accepts are held back. Anything else written to console.error meanwhile
 * still reaches the output, so an unexpected error stays visible.
 */
import { vi } from 'vitest';

export interface AppErrorLog {
  level: 'error';
  msg: string;
  error: { name: string; message: string; stack?: string };
  [field: string]: unknown;
}

export interface ExpectedErrorLogs {
  /** The lines held back so far, oldest first. */
  caught: AppErrorLog[];
  /** Puts console.error back. */
  restore(): void;
}

export function expectErrorLogs(expected: (log: AppErrorLog) => boolean): ExpectedErrorLogs {
  const original = console.error;
  const caught: AppErrorLog[] = [];
  const spy = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    const log = appErrorLog(args);
    if (log && expected(log)) caught.push(log);
    else original.apply(console, args);
  });
  return { caught, restore: () => spy.mockRestore() };
}

function appErrorLog(args: unknown[]): AppErrorLog | undefined {
  if (args.length !== 1 || typeof args[0] !== 'string') return undefined;
  try {
    const parsed = JSON.parse(args[0]) as Partial<AppErrorLog> | null;
    return parsed?.level === 'error' && typeof parsed.msg === 'string' ? (parsed as AppErrorLog) : undefined;
  } catch {
    return undefined;
  }
}
