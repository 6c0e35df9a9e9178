/** A JSON.stringify replacer that writes bigints as digit strings (JSON has no exact big numbers). */
export function bigintAsString(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
