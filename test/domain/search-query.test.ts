/**
 * The search query parser (Stripe's query language): every field and operator, quoting and
 * escaping, negation, AND / OR / implicit AND, and malformed queries refused with the character
 * index where they break and a message that names the problem.
 */
import { describe, expect, it } from 'vitest';
import { STATUSES } from '../../src/domain/status.js';
import { parseSearchQuery, QueryError, type Clause, type SearchQuery } from '../../src/domain/search-query.js';

const and = (...clauses: Clause[]): SearchQuery => ({ join: 'AND', clauses });
const or = (...clauses: Clause[]): SearchQuery => ({ join: 'OR', clauses });
const amount = (op: Exclude<Clause['op'], '~'>, value: bigint, negated = false): Clause => ({ field: 'amount', op, value, negated });
const created = (op: Exclude<Clause['op'], '~'>, value: number, negated = false): Clause => ({ field: 'created', op, value, negated });
const str = (field: 'currency' | 'customer' | 'status' | { metadata: string }, op: ':' | '~', value: string, negated = false): Clause => ({
  field,
  op,
  value,
  negated,
});
const meta = (key: string, op: ':' | '~', value: string, negated = false) => str({ metadata: key }, op, value, negated);

describe('parseSearchQuery: fields and operators', () => {
  it.each<[string, SearchQuery]>([
    // amount: every numeric operator, bigint values
    ['amount:100', and(amount(':', 100n))],
    ['amount>100', and(amount('>', 100n))],
    ['amount<100', and(amount('<', 100n))],
    ['amount>=100', and(amount('>=', 100n))],
    ['amount<=100', and(amount('<=', 100n))],
    ['amount:0', and(amount(':', 0n))],
    ['amount:007', and(amount(':', 7n))],
    ['amount:999999999999999', and(amount(':', 999999999999999n))],
    ['amount:"250"', and(amount(':', 250n))],
    // created: every numeric operator, number values (Unix seconds)
    ['created:1700000000', and(created(':', 1700000000))],
    ['created>1700000000', and(created('>', 1700000000))],
    ['created<1700000000', and(created('<', 1700000000))],
    ['created>=1700000000', and(created('>=', 1700000000))],
    ['created<=1700000000', and(created('<=', 1700000000))],
    // currency: equality and substring, always lower-cased
    ['currency:usd', and(str('currency', ':', 'usd'))],
    ['currency:USD', and(str('currency', ':', 'usd'))],
    ['currency:"EuR"', and(str('currency', ':', 'eur'))],
    ['currency~GBP', and(str('currency', '~', 'gbp'))],
    // customer: equality, substring; the case of other string fields is kept
    ['customer:cus_123', and(str('customer', ':', 'cus_123'))],
    ['customer:Cus_ABC', and(str('customer', ':', 'Cus_ABC'))],
    ['customer~cus', and(str('customer', '~', 'cus'))],
    ['customer:cus:1', and(str('customer', ':', 'cus:1'))],
    ['customer:AND', and(str('customer', ':', 'AND'))],
    // status: equality and substring (a substring need not be a whole status)
    ['status:succeeded', and(str('status', ':', 'succeeded'))],
    ['status:"requires_capture"', and(str('status', ':', 'requires_capture'))],
    ['status~requires', and(str('status', '~', 'requires'))],
    // metadata: single- and double-quoted keys, equality and substring
    ["metadata['order_id']:A-1", and(meta('order_id', ':', 'A-1'))],
    ['metadata["order_id"]:A-1', and(meta('order_id', ':', 'A-1'))],
    ["metadata['order_id']~'A-1'", and(meta('order_id', '~', 'A-1'))],
    ['metadata["order id"]:"x y"', and(meta('order id', ':', 'x y'))],
    ["metadata['AND']:x", and(meta('AND', ':', 'x'))],
    ['metadata["k"]:""', and(meta('k', ':', ''))],
  ])('%s', (query, expected) => {
    expect(parseSearchQuery(query)).toEqual(expected);
  });

  it.each(STATUSES)('accepts status:%s', (status) => {
    expect(parseSearchQuery(`status:${status}`)).toEqual(and(str('status', ':', status)));
  });

  it('accepts a metadata key of 40 characters', () => {
    const key = 'k'.repeat(40);
    expect(parseSearchQuery(`metadata['${key}']:v`)).toEqual(and(meta(key, ':', 'v')));
  });
});

describe('parseSearchQuery: quoting and escaping', () => {
  it.each<[string, SearchQuery]>([
    // quoted values keep spaces and the other kind of quote
    ['customer:"cus with spaces"', and(str('customer', ':', 'cus with spaces'))],
    ["customer:'cus with spaces'", and(str('customer', ':', 'cus with spaces'))],
    [`customer:"it's"`, and(str('customer', ':', "it's"))],
    [`customer:'say "hi"'`, and(str('customer', ':', 'say "hi"'))],
    // a backslash escapes the quote or itself; anything else is kept as is
    [String.raw`customer:"say \"hi\" now"`, and(str('customer', ':', 'say "hi" now'))],
    [String.raw`customer:'it\'s mine'`, and(str('customer', ':', "it's mine"))],
    [String.raw`customer:"a\\b"`, and(str('customer', ':', String.raw`a\b`))],
    [String.raw`customer:"a\nb"`, and(str('customer', ':', String.raw`a\nb`))],
    [String.raw`customer:"ends with \\"`, and(str('customer', ':', 'ends with \\'))],
    // SQL-looking text is just a value
    [`metadata['note']:"x' OR '1'='1"`, and(meta('note', ':', "x' OR '1'='1"))],
    [String.raw`metadata['note']:'x\' OR \'1\'=\'1'`, and(meta('note', ':', "x' OR '1'='1"))],
    // keys: escaped quotes in either kind, the other kind unescaped, SQL-looking keys
    [String.raw`metadata['it\'s']:v`, and(meta("it's", ':', 'v'))],
    [`metadata["it's"]:v`, and(meta("it's", ':', 'v'))],
    [String.raw`metadata["say \"hi\""]:v`, and(meta('say "hi"', ':', 'v'))],
    [`metadata['say "hi"']:v`, and(meta('say "hi"', ':', 'v'))],
    [`metadata["'; DROP TABLE payment_intents; --"]:evil`, and(meta("'; DROP TABLE payment_intents; --", ':', 'evil'))],
    [`metadata["a b]:c"]:"d e"`, and(meta('a b]:c', ':', 'd e'))],
    // a quoted value may sit right before the next clause's separator
    [`customer:"a b" status:canceled`, and(str('customer', ':', 'a b'), str('status', ':', 'canceled'))],
  ])('%s', (query, expected) => {
    expect(parseSearchQuery(query)).toEqual(expected);
  });
});

describe('parseSearchQuery: negation and joins', () => {
  it.each<[string, SearchQuery]>([
    ['-status:canceled', and(str('status', ':', 'canceled', true))],
    ['-amount>100', and(amount('>', 100n, true))],
    ['-created<=1700000000', and(created('<=', 1700000000, true))],
    ['-currency:EUR', and(str('currency', ':', 'eur', true))],
    ['-customer~alice', and(str('customer', '~', 'alice', true))],
    ["-metadata['tier']:gold", and(meta('tier', ':', 'gold', true))],
    // implicit AND (whitespace), explicit AND, mixing the two is still AND
    ['status:succeeded currency:usd', and(str('status', ':', 'succeeded'), str('currency', ':', 'usd'))],
    ['status:succeeded AND currency:usd', and(str('status', ':', 'succeeded'), str('currency', ':', 'usd'))],
    [
      'status:succeeded AND currency:usd -amount>5',
      and(str('status', ':', 'succeeded'), str('currency', ':', 'usd'), amount('>', 5n, true)),
    ],
    ['amount>=100   AND\tamount<200', and(amount('>=', 100n), amount('<', 200n))],
    ['  amount:1', and(amount(':', 1n))],
    // OR
    ['status:succeeded OR status:canceled', or(str('status', ':', 'succeeded'), str('status', ':', 'canceled'))],
    [
      "customer:cus_1 OR -currency:usd OR metadata['k']~abc",
      or(str('customer', ':', 'cus_1'), str('currency', ':', 'usd', true), meta('k', '~', 'abc')),
    ],
    // a single clause is an AND query
    ['amount>1', and(amount('>', 1n))],
  ])('%s', (query, expected) => {
    expect(parseSearchQuery(query)).toEqual(expected);
  });

  it('accepts exactly 10 clauses, with either join', () => {
    const clauses = Array.from({ length: 10 }, (_, i) => `amount>${i}`);
    expect(parseSearchQuery(clauses.join(' ')).clauses).toHaveLength(10);
    expect(parseSearchQuery(clauses.join(' AND ')).clauses).toHaveLength(10);
    const ors = parseSearchQuery(clauses.join(' OR '));
    expect(ors.join).toBe('OR');
    expect(ors.clauses).toEqual(Array.from({ length: 10 }, (_, i) => amount('>', BigInt(i))));
  });
});

describe('parseSearchQuery: malformed queries', () => {
  const eleven = Array.from({ length: 11 }, () => 'amount>0');

  // [query, 0-based index where it breaks, what the message must say]
  it.each<[string, string, number, RegExp]>([
    ['empty query', '', 0, /empty/],
    ['blank query', '   ', 0, /empty/],
    ['unknown field', 'amout:100', 0, /unknown field "amout"/],
    ['unknown field in a later clause', 'status:succeeded description:x', 17, /unknown field "description"/],
    ['lower-case connector (read as a field)', 'status:succeeded and currency:usd', 17, /unknown field "and"/],
    ['upper-case field', 'Amount:1', 0, /expected a field name/],
    ['no field at all', ':100', 0, /expected a field name/],
    ['a lone minus', '-', 1, /expected a field name/],
    ['missing operator (space)', 'amount 100', 6, /expected an operator/],
    ['missing operator (nothing)', 'status', 6, /expected an operator/],
    ['missing operator (=)', 'status=succeeded', 6, /expected an operator/],
    ['~ on amount', 'amount~100', 6, /amount is a number.*not ~/],
    ['~ on created', 'created~170', 7, /created is a number.*not ~/],
    ['> on status', 'status>succeeded', 6, /status is a string.*not >/],
    ['<= on customer', 'customer<=cus_1', 8, /customer is a string.*not <=/],
    ['>= on metadata', "metadata['k']>=5", 13, /metadata\['k'\] is a string.*not >=/],
    ['non-numeric amount', 'amount:abc', 7, /amount needs a whole number, got "abc"/],
    ['negative amount', 'amount>-5', 7, /whole number/],
    ['decimal amount', 'amount:1.5', 7, /whole number/],
    ['amount of 79 digits (past a uint256)', `amount:1${'0'.repeat(78)}`, 7, /whole number/],
    ['created of 16 digits', 'created:1000000000000000', 8, /whole number/],
    ['non-numeric created', 'created>yesterday', 8, /created needs a whole number/],
    ['unknown status', 'status:done', 7, /unknown status "done"/],
    ['unknown status, quoted', 'amount>1 status:"Succeeded"', 16, /unknown status "Succeeded"/],
    ['missing value', 'status:', 7, /expected a value/],
    ['missing value before the next clause', 'customer: amount:1', 9, /expected a value/],
    ['unclosed double quote', 'customer:"cus_1', 9, /never closed/],
    ['unclosed single quote', "customer:'cus 1 AND amount:1", 9, /never closed/],
    ['quote closed only by an escaped quote', String.raw`customer:"abc\"`, 9, /never closed/],
    ['unclosed metadata key', "metadata['order_id:1", 9, /never closed/],
    ['mixed AND then OR', 'status:succeeded AND currency:usd OR amount:1', 34, /cannot mix AND and OR/],
    ['mixed OR then AND', 'status:succeeded OR currency:usd AND amount:1', 33, /cannot mix AND and OR/],
    ['mixed implicit AND then OR', 'status:succeeded currency:usd OR amount:1', 30, /cannot mix AND and OR/],
    ['mixed OR then implicit AND', 'status:succeeded OR currency:usd amount:1', 32, /cannot mix AND and OR/],
    ['trailing AND', 'status:succeeded AND', 20, /expected a clause after AND/],
    ['trailing AND and a space', 'status:succeeded AND ', 21, /expected a clause after AND/],
    ['trailing OR', 'status:succeeded OR', 19, /expected a clause after OR/],
    ['no space between clauses', 'customer:"a"status:canceled', 12, /expected a space, AND or OR/],
    ['~ with 2 characters', 'customer~ab', 9, /at least 3 characters/],
    ['~ with 2 quoted characters', "metadata['k']~'ab'", 14, /at least 3 characters/],
    ['~ with an empty value', 'currency~""', 9, /at least 3 characters/],
    ['more than 10 clauses', eleven.join(' '), 90, /at most 10 clauses/],
    ['more than 10 clauses joined by AND', eleven.join(' AND '), 10 * 'amount>0 AND '.length, /at most 10 clauses/],
    ['more than 10 clauses joined by OR', eleven.join(' OR '), 10 * 'amount>0 OR '.length, /at most 10 clauses/],
    ['metadata without brackets', 'metadata:x', 8, /expected \[ after metadata/],
    ['metadata with a dot', 'metadata.order_id:x', 8, /expected \[ after metadata/],
    ['metadata key without quotes', 'metadata[order_id]:x', 9, /expected a quoted metadata key/],
    ['junk between the metadata key and the operator', "metadata['k']x:1", 13, /expected an operator/],
    ['metadata key not followed by ]', "metadata['k':v", 12, /expected \] after the metadata key/],
    ['empty metadata key', "metadata['']:v", 0, /metadata keys are 1 to 40 characters/],
    ['metadata key of 41 characters', `amount>1 metadata['${'k'.repeat(41)}']:v`, 9, /metadata keys are 1 to 40 characters/],
  ])('%s: %j breaks at index %i', (_name, query, position, problem) => {
    let error: unknown;
    try {
      parseSearchQuery(query);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(QueryError);
    const q = error as QueryError;
    expect(q.position).toBe(position);
    expect(q.message).toContain(`at character ${position + 1}:`);
    expect(q.message).toMatch(problem);
  });

  it('is a plain Error subclass named QueryError', () => {
    expect(() => parseSearchQuery('nope:1')).toThrow(Error);
    try {
      parseSearchQuery('nope:1');
    } catch (e) {
      expect((e as Error).name).toBe('QueryError');
    }
  });
});
