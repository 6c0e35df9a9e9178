/**
 * One `npm run dev` per checkout: a lock file in .wrangler/state, the directory wrangler keeps the
 * local D1 database and Durable Objects in (and scripts/dev.mjs the local chain). Two servers on one
 * state directory both write its SQLite files (SQLITE_BUSY from alarms) and share .dev-merchant.json,
 * so a second `npm run dev` in the same checkout is refused, with what it needs to use the first.
 *
 *   const lock = acquireDevLock(path, { apiBase, rpcUrl });
 *   if (!lock.acquired) … lock.holder (pid, apiBase, rpcUrl, startedAt) …
 *   lock.release();   // also done on process exit
 *
 * The file holds the holder's pid and, on Linux, its start time (/proc/<pid>/stat), so a lock left
 * by a process that died without cleaning up (SIGKILL, a crash, a reboot) is seen as stale — even
 * when its pid has been reused since — and taken over. Plain Node (>= 20).
 */
import { readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';

/** A lock file younger than this that cannot be parsed is being written by its holder right now. */
const BEING_WRITTEN_MS = 2_000;

/**
 * Takes the lock for this process, or says who holds it. `info` (apiBase, rpcUrl, …) is stored in
 * the file for whoever is refused.
 */
export function acquireDevLock(path, info = {}) {
  for (let attempt = 0; attempt < 2; attempt++) {
    const record = { pid: process.pid, startTime: processStartTime(process.pid), startedAt: new Date().toISOString(), ...info };
    try {
      writeFileSync(path, `${JSON.stringify(record, null, 2)}\n`, { flag: 'wx' });
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const holder = readHolder(path);
      if (holder.live) return { acquired: false, holder: holder.record };
      // Stale: taken over. Should two starts race for it, `wx` lets one of them win.
      try {
        unlinkSync(path);
      } catch (unlinkError) {
        if (unlinkError.code !== 'ENOENT') throw unlinkError;
      }
      continue;
    }
    const release = () => {
      process.removeListener('exit', release);
      try {
        if (readHolder(path).record?.pid === process.pid) unlinkSync(path);
      } catch {
        // gone already
      }
    };
    process.once('exit', release);
    return { acquired: true, release, staleHolderReplaced: attempt > 0 };
  }
  // Someone else took the stale lock between our unlink and our write.
  return { acquired: false, holder: readHolder(path).record };
}

/** Who holds the lock, and whether that process is still the one that wrote it. */
export function readHolder(path) {
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error.code === 'ENOENT') return { live: false, record: null };
    throw error;
  }
  let record;
  try {
    record = JSON.parse(text);
  } catch {
    // Empty or cut short: its holder is writing it now, or died while doing so.
    const fresh = Date.now() - statSync(path).mtimeMs < BEING_WRITTEN_MS;
    return { live: fresh, record: null };
  }
  return { live: isLive(record), record };
}

function isLive(record) {
  if (!Number.isInteger(record?.pid) || record.pid <= 0) return false;
  try {
    process.kill(record.pid, 0);
  } catch (error) {
    // EPERM: it exists, under another user.
    if (error.code !== 'EPERM') return false;
  }
  // The pid may have been reused by another process since: compare start times where known.
  const now = processStartTime(record.pid);
  return record.startTime == null || now == null || now === record.startTime;
}

/** The process's start time in clock ticks since boot (Linux: /proc/<pid>/stat field 22), or null. */
export function processStartTime(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: count from its end.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}
