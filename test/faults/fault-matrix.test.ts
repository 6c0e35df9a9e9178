/**
 * The fault matrix (issue 10): every fault × every mutating command it applies to — evictions at
 * each step of a command, D1 failures, queue-send failures, chain RPC failures and client
 * disconnects, against create, confirm with each test payment method, update, capture, cancel,
 * the 3-D Secure challenge, a bank debit's settle and a crypto transfer seen by the alarm. After
 * each, once the intent has recovered: its events are gap-free and exactly once in the object, in
 * D1 and at the webhook receiver; its D1 row is the object's state; every delivery is done and
 * recorded; a command the client saw fail happened fully or not at all, and a retry with the same
 * Idempotency-Key never runs it twice.
 *
 * Faults confined to one intent run several cases at a time; the fault of a shared resource (the
 * chain's node) runs one case at a time after them.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { randomXpub } from '../chain/local-chain-client.js';
import { ADMIN_TOKEN, call, createMerchant, get } from '../helpers.js';
import { COMMANDS } from './commands.js';
import { installFaultHooks } from './injection.js';
import { chainNode, FAULTS, holdBackFaultLogs, runCase, type World } from './matrix.js';

const world: World = { sk: '', notificationSecret: '', logs: [] };
let uninstall: () => void = () => {};
let logs: ReturnType<typeof holdBackFaultLogs> | undefined;

beforeAll(async () => {
  const merchant = await createMerchant('Fault matrix');
  world.sk = merchant.keys.test.secret;
  const crypto = await call(`/v1/admin/merchants/${merchant.id}/crypto`, { key: ADMIN_TOKEN, json: { xpub: randomXpub() } });
  if (crypto.status !== 200) throw new Error(`crypto settings: ${crypto.status}`);
  world.notificationSecret = (await get(world.sk, '/v1/notification_secret')).body.secret;
  await chainNode(true);
  logs = holdBackFaultLogs();
  world.logs = logs.caught;
  uninstall = installFaultHooks();
});

afterAll(() => {
  uninstall();
  logs?.restore();
});

const cases = (shared: boolean) =>
  FAULTS.filter((f) => (f.shared ?? false) === shared).flatMap((fault) =>
    COMMANDS.filter((command) => fault.applies(command)).map((command) => ({ name: `${fault.name} × ${command.name}`, fault, command })),
  );

describe.concurrent('faults confined to one intent', () => {
  for (const { name, fault, command } of cases(false)) it(name, () => runCase(fault, command, world));
});

describe('faults of a shared resource', () => {
  for (const { name, fault, command } of cases(true)) it(name, () => runCase(fault, command, world));
});
