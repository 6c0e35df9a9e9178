/** What both benches (bench/run.mjs, bench/chain.mjs) do with the processes they start. */
import { createServer } from 'node:net';

/** A TCP port free on `host` now. */
export function freePort(host) {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Stops a `wrangler dev`: SIGINT, then SIGKILL if it is still there after 10 s. */
export async function stopChild(child) {
  if (!child || child.exitCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await gone;
  clearTimeout(timer);
}
