/**
 * Stripe's search query language for payment intents, parsed into clauses. Pure: the SQL compiler
 * (src/db/search.ts) turns clauses into parameterized SQL — values are never spliced into SQL text.
 *
 *   query   := clause ((' ' | ' AND ') clause)*  |  clause (' OR ' clause)*
 *   clause  := ['-'] field op value
 *   field   := amount | created | currency | customer | mandate | status | metadata['key'] | metadata["key"]
 *   op      := ':' (equals) | '~' (substring, strings) | '>' | '<' | '>=' | '<=' (amount, created)
 *   value   := "quoted \"string\"" | bare-token
 */
import { STATUSES, type Status } from './status.js';

export type Operator = ':' | '~' | '>' | '<' | '>=' | '<=';
export type Field = 'amount' | 'created' | 'currency' | 'customer' | 'mandate' | 'status' | { metadata: string };

export type Clause =
  | { field: 'amount'; op: Exclude<Operator, '~'>; value: bigint; negated: boolean }
  | { field: 'created'; op: Exclude<Operator, '~'>; value: number; negated: boolean }
  | { field: 'currency' | 'customer' | 'mandate' | 'status' | { metadata: string }; op: ':' | '~'; value: string; negated: boolean };

export interface SearchQuery {
  join: 'AND' | 'OR';
  clauses: Clause[];
}

export class QueryError extends Error {
  constructor(
    readonly position: number,
    detail: string,
  ) {
    super(`Invalid search query at character ${position + 1}: ${detail}`);
    this.name = 'QueryError';
  }
}

const MAX_CLAUSES = 10;
const MIN_SUBSTRING = 3;

export function parseSearchQuery(input: string): SearchQuery {
  const p = new Parser(input);
  const clauses: Clause[] = [p.clause()];
  let join: SearchQuery['join'] | undefined;
  for (;;) {
    const gapStart = p.pos;
    p.skipSpaces();
    if (p.atEnd()) break;
    if (p.pos === gapStart) throw new QueryError(p.pos, 'expected a space, AND or OR between clauses.');
    // An explicit connector is blamed where it stands; an implicit AND where its space starts.
    const wordAt = p.pos;
    const word = p.keyword();
    const at = word === null ? gapStart : wordAt;
    if (word !== null) {
      p.skipSpaces();
      if (p.atEnd()) throw new QueryError(p.pos, `expected a clause after ${word}.`);
    }
    const connector = word ?? 'AND';
    if (join !== undefined && connector !== join) {
      throw new QueryError(at, 'cannot mix AND and OR in one query; use one of them throughout.');
    }
    join = connector;
    if (clauses.length === MAX_CLAUSES) throw new QueryError(p.pos, `a query can have at most ${MAX_CLAUSES} clauses.`);
    clauses.push(p.clause());
  }
  return { join: join ?? 'AND', clauses };
}

class Parser {
  pos = 0;
  constructor(private readonly s: string) {
    this.skipSpaces();
    if (this.atEnd()) throw new QueryError(0, 'the query is empty.');
  }

  atEnd(): boolean {
    return this.pos >= this.s.length;
  }

  /** AND or OR as a whole word (followed by a space or the end), consumed; otherwise null. */
  keyword(): 'AND' | 'OR' | null {
    for (const word of ['AND', 'OR'] as const) {
      const next = this.s[this.pos + word.length];
      if (this.s.startsWith(word, this.pos) && (next === undefined || /\s/.test(next))) {
        this.pos += word.length;
        return word;
      }
    }
    return null;
  }

  clause(): Clause {
    const negated = this.s[this.pos] === '-';
    if (negated) this.pos++;
    const field = this.field();
    const opAt = this.pos;
    const op = this.operator();
    const valueAt = this.pos;
    const raw = this.value();
    const name = typeof field === 'string' ? field : `metadata['${field.metadata}']`;

    if (field === 'amount' || field === 'created') {
      if (op === '~') throw new QueryError(opAt, `${name} is a number: use :, >, <, >= or <=, not ~.`);
      // Amounts may be token base units (up to a uint256's 78 digits); times are seconds.
      if (!(field === 'amount' ? /^\d{1,78}$/ : /^\d{1,15}$/).test(raw))
        throw new QueryError(valueAt, `${name} needs a whole number, got ${JSON.stringify(raw)}.`);
      return field === 'amount' ? { field, op, value: BigInt(raw), negated } : { field, op, value: Number(raw), negated };
    }
    if (op !== ':' && op !== '~') throw new QueryError(opAt, `${name} is a string: use : (equals) or ~ (contains), not ${op}.`);
    if (op === '~' && raw.length < MIN_SUBSTRING) {
      throw new QueryError(valueAt, `a ~ (contains) search needs at least ${MIN_SUBSTRING} characters.`);
    }
    if (field === 'status' && op === ':' && !STATUSES.includes(raw as Status)) {
      throw new QueryError(valueAt, `unknown status ${JSON.stringify(raw)}; one of ${STATUSES.join(', ')}.`);
    }
    return { field, op, value: field === 'currency' ? raw.toLowerCase() : raw, negated };
  }

  private field(): Field {
    const at = this.pos;
    const word = /^[a-z_]+/.exec(this.s.slice(this.pos))?.[0] ?? '';
    this.pos += word.length;
    if (word === 'metadata') {
      if (this.s[this.pos] !== '[') throw new QueryError(this.pos, `expected [ after metadata, as in metadata['order_id'].`);
      this.pos++;
      const quote = this.s[this.pos];
      if (quote !== "'" && quote !== '"') throw new QueryError(this.pos, `expected a quoted metadata key, as in metadata['order_id'].`);
      const key = this.quoted(quote);
      if (key.length === 0 || key.length > 40) throw new QueryError(at, 'metadata keys are 1 to 40 characters long.');
      if (this.s[this.pos] !== ']') throw new QueryError(this.pos, `expected ] after the metadata key.`);
      this.pos++;
      return { metadata: key };
    }
    if (word === 'amount' || word === 'created' || word === 'currency' || word === 'customer' || word === 'mandate' || word === 'status') {
      return word;
    }
    if (word === '') {
      throw new QueryError(at, `expected a field name (amount, created, currency, customer, mandate, status or metadata['key']).`);
    }
    throw new QueryError(
      at,
      `unknown field ${JSON.stringify(word)}; searchable fields are amount, created, currency, customer, mandate, status and metadata['key'].`,
    );
  }

  private operator(): Operator {
    for (const op of ['>=', '<=', ':', '~', '>', '<'] as const) {
      if (this.s.startsWith(op, this.pos)) {
        this.pos += op.length;
        return op;
      }
    }
    throw new QueryError(this.pos, `expected an operator (:, ~, >, <, >= or <=).`);
  }

  private value(): string {
    const quote = this.s[this.pos];
    if (quote === '"' || quote === "'") return this.quoted(quote);
    const token = /^[^\s"'()]+/.exec(this.s.slice(this.pos))?.[0];
    if (!token) throw new QueryError(this.pos, 'expected a value.');
    this.pos += token.length;
    return token;
  }

  /** A quoted string; a backslash escapes the quote or itself. */
  private quoted(quote: string): string {
    const open = this.pos;
    this.pos++;
    let out = '';
    while (!this.atEnd()) {
      const ch = this.s[this.pos]!;
      if (ch === '\\' && (this.s[this.pos + 1] === quote || this.s[this.pos + 1] === '\\')) {
        out += this.s[this.pos + 1];
        this.pos += 2;
      } else if (ch === quote) {
        this.pos++;
        return out;
      } else {
        out += ch;
        this.pos++;
      }
    }
    throw new QueryError(open, `the quoted value starting here is never closed.`);
  }

  skipSpaces(): void {
    while (/\s/.test(this.s[this.pos] ?? '')) this.pos++;
  }
}
