// Types for scripts/dev-lock.mjs (plain Node ESM), for TypeScript callers such as its tests.

/** What the lock file holds: its holder's pid and start time, when it started, and what it told (URLs). */
export interface DevLockRecord {
  pid: number;
  /** Clock ticks since boot (Linux /proc/<pid>/stat), or null where unknown. */
  startTime: string | null;
  startedAt: string;
  apiBase?: string;
  rpcUrl?: string;
  [field: string]: unknown;
}

export type DevLock = { acquired: true; release(): void; staleHolderReplaced: boolean } | { acquired: false; holder: DevLockRecord | null };

/** Takes the lock at `path` for this process (info is stored for whoever is refused), or says who holds it. */
export function acquireDevLock(path: string, info?: Record<string, unknown>): DevLock;

/** Who holds the lock, and whether that process is still the one that wrote it. */
export function readHolder(path: string): { live: boolean; record: DevLockRecord | null };

/** A process's start time in clock ticks since boot (Linux), or null. */
export function processStartTime(pid: number): string | null;
