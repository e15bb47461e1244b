/**
 * Reading and writing events without losing numbers. EventBridge keeps every number of an event as
 * written: its engine (event-ruler) matches a number by its text and, within ±5e9, by its value
 * (`JsonRuleCompiler.writeRules`, `Event.traverseObject`), and PutEvents takes integers up to
 * 2^63 - 1 (PutEvents API reference). `JSON.parse` turns `1234567890123456789` into
 * `1234567890123456800`, so a rule for one id would match another and the bus log would show a
 * number nobody sent.
 *
 * Why `lossless-json` rather than our own parser: it is a maintained, dependency-free package that
 * does exactly this (numbers as their text), so the only code here is the choice of what stays a
 * plain `number`.
 */
import { isLosslessNumber, LosslessNumber, parse, stringify } from 'lossless-json';

export { isLosslessNumber, LosslessNumber };

/**
 * A number whose text `JSON.parse` would not give back (`1234567890123456789`, `1.0`, `1e2`, `-0`)
 * stays a {@link LosslessNumber} holding its text; every other number is a plain `number`, so code
 * that reads ordinary events sees ordinary values.
 */
function parseNumber(text: string): number | LosslessNumber {
  const value = Number(text);
  return String(value) === text ? value : new LosslessNumber(text);
}

/** The numbers of a JSON text whose text a `number` would not keep; cheap, no allocation per token. */
function hasLossyNumber(text: string): boolean {
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 92) i++;
      else if (code === 34) inString = false;
      continue;
    }
    if (code === 34) {
      inString = true;
      continue;
    }
    if (code === 45 || (code >= 48 && code <= 57)) {
      let end = i + 1;
      while (end < text.length && isNumberCharacter(text.charCodeAt(end))) end++;
      const token = text.slice(i, end);
      if (String(Number(token)) !== token) return true;
      i = end - 1;
    }
  }
  return false;
}

/** `0-9 . e E + -`: the characters a JSON number is made of. */
function isNumberCharacter(code: number): boolean {
  return (
    (code >= 48 && code <= 57) || code === 46 || code === 101 || code === 69 || code === 43 || code === 45
  );
}

/**
 * Parses event JSON keeping every number's text (see {@link parseNumber}). Throws a `SyntaxError`
 * for text that is not JSON, like `JSON.parse`.
 *
 * A repeated key is last-wins, as in `JSON.parse`; `lossless-json` refuses repeated keys, so for the
 * rare text that has both a repeated key and a number `JSON.parse` would alter, the numbers are the
 * ones `JSON.parse` gives (the only case where a number may differ from its text).
 */
export function parseEventJson(text: string): unknown {
  const plain: unknown = JSON.parse(text);
  if (!hasLossyNumber(text)) return plain;
  try {
    return parse(text, null, parseNumber);
  } catch {
    return plain;
  }
}

/**
 * JSON text of a value that may hold {@link LosslessNumber}s, each written exactly as it was read.
 * `JSON.stringify` writes a LosslessNumber as an object with an `"isLosslessNumber":true` member,
 * text that otherwise only an object with that very key produces; only then is the (about four
 * times slower) lossless writer needed, and it is right in both cases.
 */
export function stringifyEventJson(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  if (!text.includes('"isLosslessNumber":true')) return text;
  return stringify(value) ?? 'null';
}

/** A number of an event as event-ruler sees it: its text, and its value as a double. */
export interface EventNumber {
  text: string;
  value: number;
}

/** The number in `value` (a `number` or a {@link LosslessNumber}), or undefined for anything else. */
export function eventNumber(value: unknown): EventNumber | undefined {
  if (typeof value === 'number') return { text: String(value), value };
  if (isLosslessNumber(value)) return { text: value.value, value: Number(value.value) };
  return undefined;
}
