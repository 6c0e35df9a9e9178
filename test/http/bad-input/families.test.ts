/**
 * The generated bad-input suite (bad-input.test.ts) over the other API families: each serves its own
 * OpenAPI document (/amplify/openapi.json, /finternet/openapi.json, /api/v1/openapi.json), so the same
 * cases (cases.ts) are generated from it and sent with the family's credentials. Every answer must
 * hold, whatever was sent:
 * - never a 5xx; always a Request-Id; a refusal always in the family's envelope (FAMILIES below), its
 *   status the one its code or body says; a success only with a status the document gives the
 *   operation, its body as documented;
 * - a request the document makes invalid is refused (4xx); a refusal about parameters names the one
 *   that was mutated (in the family's spelling: `metadata.orderId` is `metadata[orderId]`), or else
 *   one the operation documents or the request sent;
 * - refused requests change nothing the merchant has (read through the canonical API);
 * - a card number in any free-text input is refused naming that input, not echoed and not logged.
 *
 * Seeded like the canonical suite: the seed is printed, `FUZZ_SEED=<seed> npx vitest run
 * test/http/bad-input/families.test.ts` sends the same cases again (`FUZZ_ONLY='POST /finternet/v1/payment-intents'`
 * for one operation, `FUZZ_SCALE=10` for ten times as many).
 *
 * A family is one entry of FAMILIES (families.ts): its document, credentials, a valid request per
 * operation, and how its envelope reads (status, named parameter).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestMerchant } from '../../helpers.js';
import {
  type ApiRequest,
  call as callThroughRuntime,
  callWith,
  createMerchant,
  get,
  type OpenApiDocument,
  type Operation,
  pathOf,
  post,
  registeredOperations,
} from '../route-fixtures.js';
import { buildRequest, Case, casesFor, documentedNames, hasLoneSurrogate, type Param, percentEncode } from './cases.js';
import { captureConsole, describeRequest, echoes, ONLY, runPhase, SEED, sentNames, settledState } from './harness.js';
import { FAMILIES, type Family, type Refusal } from './families.js';
import { conforms } from './schema.js';

/** Requests per operation in each phase, before scaling (as many as the canonical suite sends). */
const RUNS = { refusals: 36, open: 30, cards: 14 };

// --- the run ---------------------------------------------------------------------------------------

const totals = { requests: 0, refuse: 0, any: 0, card: 0, started: Date.now() };

async function documentOf(family: Family): Promise<OpenApiDocument> {
  const res = await callThroughRuntime(family.document);
  if (res.status !== 200) throw new Error(`GET ${family.document} answered ${res.status}`);
  return (await res.json()) as OpenApiDocument;
}

const documents = new Map<Family, OpenApiDocument>();
for (const family of FAMILIES) documents.set(family, await documentOf(family));

function operationsOf(family: Family): Operation[] {
  return registeredOperations(documents.get(family)!)
    .map((op) => ({ ...op, access: op.documentedSchemes.length === 0 ? ('public' as const) : ('api_key' as const) }))
    .filter((op) => ONLY === '' || op.name === ONLY);
}

function reproduce(op: Operation): string {
  return `FUZZ_SEED=${SEED} FUZZ_ONLY='${op.name}' npx vitest run test/http/bad-input/families.test.ts`;
}

class OperationRun {
  owner!: TestMerchant;
  base!: ApiRequest;
  honoursIdempotencyKey = false;
  params: Param[] = [];

  constructor(
    readonly family: Family,
    readonly doc: OpenApiDocument,
    readonly op: Operation,
  ) {}

  async setUp(): Promise<void> {
    this.owner = await createMerchant(`Bad input for ${this.op.name}`);
    this.base = await this.family.prepare(this.op, this.owner);
    if (this.op.method === 'POST' && this.op.access === 'api_key') {
      // A valid request with a key too long: only an operation that reads the key refuses it, naming it.
      const probe = buildRequest(
        { doc: this.doc, op: this.op },
        this.base,
        new Case('probe', 'any', 'json', null, { kind: 'request', variant: { type: 'header', name: 'X-Probe', value: '1' } }, false),
        { ...this.credentials(), 'Idempotency-Key': 'k'.repeat(256) },
      );
      const res = await callWith(probe);
      const refusal = res.status === 400 ? this.family.refusal(400, await res.json(), []) : undefined;
      this.honoursIdempotencyKey = refusal?.params.includes('Idempotency-Key') ?? false;
      if (res.status < 400) await this.refresh();
    }
  }

  async refresh(): Promise<void> {
    this.base = await this.family.prepare(this.op, this.owner);
  }

  /** The valid request's answer in each encoding the document gives its body: a form is the same request as JSON. */
  async statusByEncoding(): Promise<Record<string, number>> {
    const statuses: Record<string, number> = {};
    for (const encoding of ['json', 'form'] as const) {
      const unchanged = new Case(
        'unchanged',
        'any',
        encoding,
        null,
        { kind: 'request', variant: { type: 'header', name: 'X-Probe', value: '1' } },
        false,
      );
      const res = await callWith(buildRequest({ doc: this.doc, op: this.op }, this.base, unchanged, this.credentials()));
      statuses[encoding] = res.status;
      if (res.status < 400) await this.refresh();
    }
    return statuses;
  }

  credentials(): Record<string, string> {
    return this.op.access === 'api_key' ? this.family.credentials(this.owner) : {};
  }

  async check(c: Case): Promise<void> {
    const headers = this.credentials();
    if (c.idempotencyKey) headers['Idempotency-Key'] = `fuzz-${SEED}-${totals.requests}`;
    const request = buildRequest({ doc: this.doc, op: this.op }, this.base, c, headers);
    const shown = await describeRequest(request.clone());
    const sent = await sentNames(request.clone());
    const logs = captureConsole();
    let res: Response;
    let text: string;
    try {
      res = await callWith(request);
      text = await res.text();
    } finally {
      logs.restore();
    }
    totals.requests += 1;
    totals[c.kind] += 1;
    const violations = this.violations(c, sent, res, text, logs.lines);
    if (res.status < 400 && this.family.usedUpBySuccess.includes(this.op.name)) await this.refresh();
    if (violations.length === 0) return;
    throw new Error(
      [
        `${this.op.name}: ${c}`,
        ...violations.map((v) => `  ✗ ${v}`),
        `  request: ${shown}`,
        `  answer: ${res.status} ${text.slice(0, 600)}`,
        ...(logs.lines.length > 0 ? [`  logged: ${logs.lines.join(' | ').slice(0, 600)}`] : []),
        `  reproduce: ${reproduce(this.op)}`,
      ].join('\n'),
    );
  }

  private violations(c: Case, sent: Set<string>, res: Response, text: string, logs: string[]): string[] {
    const { op, doc } = this;
    const v: string[] = [];
    if (res.status >= 500) v.push(`a ${res.status}`);
    if (!/^req_[0-9A-Za-z]{24}$/.test(res.headers.get('request-id') ?? '')) v.push('no Request-Id header');
    let body: unknown;
    const json = (res.headers.get('content-type') ?? '').startsWith('application/json');
    try {
      body = JSON.parse(text);
    } catch {
      if (res.status >= 400 || json) v.push('the answer is not JSON');
    }

    let refusal: Refusal | undefined;
    if (res.status >= 400) {
      if (!json) v.push(`content-type ${res.headers.get('content-type')}`);
      if (body !== undefined) refusal = this.family.refusal(res.status, body, v);
    } else {
      if (!op.success.includes(res.status)) v.push(`${res.status} is not a documented success of ${op.name} (${op.success.join(', ')})`);
      if (c.kind === 'refuse') v.push('accepted, but the document makes this request invalid');
      const documented = (op.spec.responses[String(res.status)] as any)?.content?.['application/json']?.schema;
      if (documented && body !== undefined && !conforms(doc, documented, body)) {
        v.push(`the ${res.status} answer does not match its documented schema`);
      }
    }

    const named = refusal?.params ?? [];
    const shown = JSON.stringify(named.length === 1 ? named[0] : named.length === 0 ? null : named);
    if (c.kind === 'refuse' && c.param !== null && refusal?.aboutParameters) {
      if (!named.some((p) => names(c.param!, p))) v.push(`refused naming ${shown}, not ${JSON.stringify(c.param)}`);
    } else if (c.kind !== 'card' && refusal?.aboutParameters) {
      const strangers = named.filter(
        (p) =>
          !(
            (c.param !== null && names(c.param, p)) ||
            documentedNames(this.params, op).some((n) => names(n, p)) ||
            sent.has(p) ||
            sent.has(p.split('.')[0]!)
          ),
      );
      if (strangers.length > 0)
        v.push(`refused naming ${JSON.stringify(strangers)}, which the operation does not document and the request did not send`);
    }
    if (c.kind === 'card' && c.card) {
      if (res.status < 400) v.push(`a card number was not refused (${res.status})`);
      // A path id that names nothing may be just "not found" (DRF's 404 names no field): refused, and neither echoed nor logged.
      else if (res.status === 404 && !refusal?.aboutParameters && op.pathParams.some((p) => p.name === c.param)) {
      } else if (!named.some((p) => names(c.param!, p)))
        v.push(`a card number was refused naming ${shown}, not ${JSON.stringify(c.param)}`);
      if (echoes(text, c.card)) v.push('the answer echoes the card number');
      if (logs.some((line) => echoes(line, c.card!))) v.push('the card number was logged');
    }
    return v;
  }
}

/** The family's dotted spelling in the cases' brackets: `metadata.orderId` is `metadata[orderId]`. */
function bracketed(name: string): string {
  const [head, ...rest] = name.split('.');
  return (head ?? '') + rest.map((p) => `[${p}]`).join('');
}

/** Whether the answer's parameter names the mutated one: the same, one inside it, or the one it sits in. */
function names(mutated: string, answered: string): boolean {
  if (answered !== mutated && hasLoneSurrogate(mutated)) return names(mutated.replace(/[\ud800-\udfff]/g, percentEncode), answered);
  const a = bracketed(answered);
  return a === mutated || answered === mutated || a.startsWith(`${mutated}[`) || mutated.startsWith(`${a}[`);
}

/** Cancels every intent of the merchant that can be: a crypto intent watches its chain until it ends. */
async function cancelIntents(m: TestMerchant): Promise<void> {
  const sk = m.keys.test.secret;
  for (let after = ''; ; ) {
    const { body } = await get(sk, `/v1/payment_intents?limit=100${after && `&starting_after=${after}`}`);
    const open = body.data.filter((intent: any) => !['canceled', 'succeeded'].includes(intent.status));
    await Promise.all(open.map((intent: any) => post(sk, `/v1/payment_intents/${intent.id}/cancel`)));
    if (!body.has_more) return;
    after = body.data.at(-1).id;
  }
}

describe('generated bad input on every family`s own document', () => {
  beforeAll(() => {
    console.log(`bad-input (families): seed ${SEED} (FUZZ_SEED=${SEED} reproduces this run)${ONLY ? `, only ${ONLY}` : ''}`);
  });

  afterAll(() => {
    const seconds = ((Date.now() - totals.started) / 1000).toFixed(1);
    console.log(
      `bad-input (families): seed ${SEED}: ${totals.requests} requests (${totals.refuse} refusals, ${totals.any} open, ${totals.card} card numbers) in ${seconds} s`,
    );
  });

  it('finds the operations of each family`s document', () => {
    for (const family of FAMILIES) expect(registeredOperations(documents.get(family)!).length, family.name).toBeGreaterThan(0);
  });

  describe.each(FAMILIES.map((family) => ({ family, name: family.name })))('$name', ({ family }) => {
    const doc = documents.get(family)!;
    const operations = operationsOf(family);
    it.runIf(ONLY === '')('answers an unknown path in its envelope (a 404), never quoting a card number in it', async () => {
      for (const method of ['GET', 'POST']) {
        const res = await callWith(new Request(`http://pay.test${family.prefix}/no-such-route/4242424242424242`, { method }));
        const text = await res.text();
        const v: string[] = [];
        family.refusal(res.status, JSON.parse(text), v);
        expect({ status: res.status, violations: v, requestId: res.headers.get('request-id') }).toEqual({
          status: 404,
          violations: [],
          requestId: expect.stringMatching(/^req_/),
        });
        expect(text).not.toContain('4242424242424242');
      }
    });
    describe.each(operations)('$name', (op) => {
      it('answers every generated bad input in the family`s envelope, refusing what its document refuses, changing nothing', async () => {
        const run = new OperationRun(family, doc, op);
        await run.setUp();
        expect(pathOf(op, run.base.path)).not.toContain('{');
        // The document says which operations honour an Idempotency-Key (its header parameter); the probe finds the same.
        const documentsKey = (op.spec.parameters ?? []).some((p) => p.in === 'header' && p.name === 'Idempotency-Key');
        expect(run.honoursIdempotencyKey, 'whether the operation refuses a 256-character Idempotency-Key').toBe(documentsKey);
        if (op.hasBody) {
          const statuses = await run.statusByEncoding();
          expect(statuses.form, `the valid request answered ${JSON.stringify(statuses)} as JSON and as a form`).toBe(statuses.json);
        }
        const cases = casesFor(doc, op, run.base, run.honoursIdempotencyKey, family.rules);
        run.params = cases.params;

        if (cases.refusals) {
          const before = await settledState(run.owner);
          await runPhase(run, cases.refusals, 'refusals', RUNS.refusals);
          expect(await settledState(run.owner), `refused requests changed what the merchant has (${reproduce(op)})`).toEqual(before);
        }
        await runPhase(run, cases.all, 'open', RUNS.open, cases.examples);
        if (cases.cards) {
          await run.refresh();
          const before = await settledState(run.owner);
          await runPhase(run, cases.cards, 'cards', RUNS.cards);
          expect(await settledState(run.owner), `requests with card numbers changed what the merchant has (${reproduce(op)})`).toEqual(
            before,
          );
        }
        await cancelIntents(run.owner);
      }, 180_000);
    });
  });
});
