/** Shared assertions for the validation tests: the error envelope, and that nothing changed. */
import { expect } from 'vitest';
import { call, createMerchant, get } from '../helpers.js';

export interface WireError {
  type: string;
  code: string;
  message: string;
  param: string | null;
  [extra: string]: unknown;
}

/**
 * Asserts the whole error contract: status, JSON content type, a Request-Id header, and the
 * envelope's type, code and param. Returns the error for further checks on its message.
 */
export async function expectError(
  res: Response,
  expected: { status: number; type?: string; code: string; param: string | null },
): Promise<WireError> {
  const text = await res.text();
  expect(res.status, text).toBe(expected.status);
  expect(res.headers.get('content-type'), text).toMatch(/^application\/json/);
  expect(res.headers.get('request-id'), text).toMatch(/^req_[0-9A-Za-z]{24}$/);
  const body = JSON.parse(text) as { error: WireError };
  expect(Object.keys(body), text).toEqual(['error']);
  expect(body.error, text).toMatchObject({
    type: expected.type ?? 'invalid_request_error',
    code: expected.code,
    param: expected.param,
  });
  expect(body.error.message, text).toEqual(expect.any(String));
  expect(body.error.message.length, text).toBeGreaterThan(10);
  return body.error;
}

/** 400 invalid_request_error naming `param`. */
export function expectInvalid(res: Response, param: string | null, code = 'parameter_invalid'): Promise<WireError> {
  return expectError(res, { status: 400, code, param });
}

/** 404 resource_missing naming `param`. */
export function expectMissing(res: Response, param: string): Promise<WireError> {
  return expectError(res, { status: 404, code: 'resource_missing', param });
}

/** A new merchant's secret test key: its list of intents starts empty. */
export async function freshKey(): Promise<string> {
  return (await createMerchant()).keys.test.secret;
}

/** The merchant still has no payment intents at all. */
export async function expectNoIntents(key: string): Promise<void> {
  const list = await get(key, '/v1/payment_intents?limit=100');
  expect(list.res.status).toBe(200);
  expect(list.body.data).toEqual([]);
  expect(list.body.has_more).toBe(false);
}

/** The intent as its owner retrieves it now. */
export async function retrieve(key: string, id: string): Promise<any> {
  const { res, body } = await get(key, `/v1/payment_intents/${id}`);
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

/** Sends `text` verbatim as an application/json body. */
export function rawJson(key: string, path: string, text: string): Promise<Response> {
  return call(path, { key, method: 'POST', body: text, headers: { 'Content-Type': 'application/json' } });
}

/** A well-formed intent id that no intent has. */
export const UNKNOWN_INTENT_ID = 'pi_0000000000AAAAAAAAAAAAAA';
