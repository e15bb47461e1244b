/**
 * Patterns given as JSON text (as in a rule file or `put-rule`): read the way the service reads them.
 */
import { describe, expect, it } from 'vitest';
import { compileEventPattern, InvalidEventPatternError, testEventPattern } from '#local/event-pattern/index';

function refusal(text: string): InvalidEventPatternError {
  try {
    compileEventPattern(text);
  } catch (error) {
    if (error instanceof InvalidEventPatternError) return error;
    throw error;
  }
  throw new Error(`accepted: ${text}`);
}

describe('repeated keys', () => {
  it('keep the last conditions of a field named twice', () => {
    const text = '{"detail": {"location": [{"prefix": "us-"}], "location": [{"anything-but": "us-east"}]}}';

    expect(testEventPattern(text, { detail: { location: 'eu-central-1' } })).toBe(true);
    expect(testEventPattern(text, { detail: { location: 'us-east' } })).toBe(false);
  });

  it('keep the fields of both objects when an object key is repeated', () => {
    const text = '{"detail": {"a": ["x"]}, "detail": {"b": ["y"]}}';

    expect(testEventPattern(text, { detail: { a: 'x', b: 'y' } })).toBe(true);
    expect(testEventPattern(text, { detail: { a: 'other', b: 'y' } })).toBe(false);
  });

  it('treat a dotted key and a nested key as the same field, last one counting', () => {
    const text = '{"a.b": ["first"], "a": {"b": ["second"]}}';

    expect(testEventPattern(text, { a: { b: 'second' } })).toBe(true);
    expect(testEventPattern(text, { a: { b: 'first' } })).toBe(false);
  });
});

describe('text that reads like the service reads it', () => {
  it('accepts whitespace, escapes and unicode', () => {
    const text = '{\n  "detail": {\n    "name": ["caf\\u00e9 \\"quoted\\" \\\\ 🚀"]\n  }\n}';

    expect(testEventPattern(text, { detail: { name: 'café "quoted" \\ 🚀' } })).toBe(true);
  });

  it('ignores text after the pattern, as the service does', () => {
    expect(testEventPattern('{"a": ["b"]} trailing', { a: 'b' })).toBe(true);
  });

  it('reads the number text as a number', () => {
    expect(testEventPattern('{"n": [3.018e2]}', { n: 301.8 })).toBe(true);
  });
});

describe('syntax errors', () => {
  it.each<[string, string, string, number, number]>([
    [
      'a bare word',
      'this is valid json but not a dict',
      "Unrecognized token 'this': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
      1,
      5,
    ],
    [
      'single quotes',
      "{'bad': 'quotation'}",
      "Unexpected character (''' (code 39)): was expecting double-quote to start field name",
      1,
      2,
    ],
    [
      'a missing colon',
      '{"a" ["b"]}',
      "Unexpected character ('[' (code 91)): was expecting a colon to separate field name and value",
      1,
      6,
    ],
    [
      'a missing comma',
      '{"a": ["b"] "c": ["d"]}',
      "Unexpected character ('\"' (code 34)): was expecting comma to separate Object entries",
      1,
      13,
    ],
    ['an unclosed object', '{"a": ["b"]', 'Unexpected end-of-input: expected close marker for Object', 1, 12],
    ['an unclosed array', '{"a": ["b"', 'Unexpected end-of-input: expected close marker for Array', 1, 11],
    [
      'an unclosed string',
      '{"a": ["b',
      'Unexpected end-of-input: was expecting closing quote for a string value',
      1,
      10,
    ],
    ['a bad escape', '{"a": ["\\x"]}', "Unrecognized character escape 'x' (code 120)", 1, 11],
    ['a leading zero', '{"a": [01]}', 'Invalid numeric value: Leading zeroes not allowed', 1, 10],
    [
      'the error on a later line',
      '{\n  "a": [\n    nope\n  ]\n}',
      `Unrecognized token 'nope': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')`,
      3,
      9,
    ],
  ])('%s', (_description, text, reason, line, column) => {
    const error = refusal(text);

    expect(error.reason).toBe(reason);
    expect(error.location).toEqual({ source: text, line, column });
    expect(error.message).toBe(
      `Event pattern is not valid. Reason: ${reason}\n at [Source: (String)"${text}"; line: ${line}, column: ${column}]`,
    );
  });

  it('says where a rule problem is in the text', () => {
    const error = refusal('{"int": 42}');

    expect(error.message).toBe(
      'Event pattern is not valid. Reason: "int" must be an object or an array\n at [Source: (String)"{"int": 42}"; line: 1, column: 11]',
    );
  });

  it('shortens a long source the way the service does', () => {
    const text = `{"a": [${'"x",'.repeat(200)} nope]}`;

    const error = refusal(text);

    expect(error.message).toContain(
      `(String)"${text.slice(0, 500)}"[truncated ${text.length - 500} chars]; line: 1`,
    );
  });

  it('refuses empty text as not an object', () => {
    expect(refusal('   ').reason).toBe('Filter is not an object');
  });
});
