/**
 * The exact text of each event as it stands in the body, so `Detail` is the event byte for byte
 * (numbers as written, big integers intact, key order kept) and the hot path needs no
 * `JSON.stringify` per event. No library finds the source text of array elements after a
 * `JSON.parse`, hence this small scanner. It runs only on text `JSON.parse` has accepted, so it can
 * skip over values without validating them, and it jumps through strings with `indexOf`.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

function skipBlank(text: string, index: number): number {
  let i = index;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
    else return i;
  }
}

/** `index` is at an opening quote; returns the index just past the closing one. */
function skipString(text: string, index: number): number {
  let from = index + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) throw new Error('unterminated string');
    let backslashes = 0;
    for (let b = quote - 1; text.charCodeAt(b) === BACKSLASH; b--) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/**
 * What the scan saw of the last value it skipped, for the PutEvents limits on `Detail`: its
 * deepest nesting (an object or array is level 1) and whether it holds a run of 19 or more digits
 * outside strings (the only way to write an integer outside the signed 64-bit range).
 */
export interface ValueShape {
  depth: number;
  longDigitRun: boolean;
}

/**
 * 19 digits in a row: the shortest run that can spell an integer outside the signed 64-bit range
 * (whose largest is 9,223,372,036,854,775,807). Counted while skipping, outside strings only (the
 * scan jumps over strings, where most of an event's bytes are: cheaper than a regex over the body).
 */
const INT64_DIGITS = 19;

// Filled by skipValue as it walks: no allocation on the hot path.
let seenDepth = 0;
let seenLongDigitRun = false;

/** `index` is at the first character of a value; returns the index just past it. */
function skipValue(text: string, index: number): number {
  const first = text.charCodeAt(index);
  seenDepth = 0;
  seenLongDigitRun = false;
  if (first === QUOTE) return skipString(text, index);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    let digits = 0;
    let i = index;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        i = skipString(text, i);
        digits = 0;
        continue;
      }
      if (c <= 0x39 && c >= 0x30) {
        if (++digits >= INT64_DIGITS) seenLongDigitRun = true;
      } else {
        digits = 0;
        if (c === OPEN_BRACE || c === OPEN_BRACKET) {
          if (++depth > seenDepth) seenDepth = depth;
        } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
          depth--;
          if (depth === 0) return i + 1;
        } else if (Number.isNaN(c)) throw new Error('unterminated value');
      }
      i++;
    }
  }
  // A number, true, false or null: it ends at a delimiter or blank.
  let i = index;
  for (;;) {
    const c = text.charCodeAt(i);
    if (Number.isNaN(c) || c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || c <= 0x20) return i;
    i++;
  }
}

/**
 * The source text of each element of the root object's `events` array, or undefined when the
 * body is not such an object. Like `JSON.parse`, the last `events` key wins, and keys are compared
 * after unescaping. `text` must be JSON that `JSON.parse` accepted. When `shapes` is given, it
 * receives each element's {@link ValueShape}, aligned with the slices.
 */
export function sliceEvents(text: string, shapes?: ValueShape[]): string[] | undefined {
  let i = skipBlank(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACE) return undefined;
  i = skipBlank(text, i + 1);
  let eventsStart = -1;
  while (text.charCodeAt(i) === QUOTE) {
    const keyEnd = skipString(text, i);
    const rawKey = text.slice(i + 1, keyEnd - 1);
    const key = rawKey.includes('\\') ? (JSON.parse(text.slice(i, keyEnd)) as string) : rawKey;
    i = skipBlank(text, keyEnd);
    i = skipBlank(text, i + 1); // past ':'
    const valueEnd = skipValue(text, i);
    if (key === 'events') eventsStart = i;
    i = skipBlank(text, valueEnd);
    if (text.charCodeAt(i) === COMMA) i = skipBlank(text, i + 1);
  }
  if (eventsStart < 0 || text.charCodeAt(eventsStart) !== OPEN_BRACKET) return undefined;
  const slices: string[] = [];
  i = skipBlank(text, eventsStart + 1);
  while (text.charCodeAt(i) !== CLOSE_BRACKET) {
    const end = skipValue(text, i);
    slices.push(text.slice(i, end));
    shapes?.push({ depth: seenDepth, longDigitRun: seenLongDigitRun });
    i = skipBlank(text, end);
    if (text.charCodeAt(i) === COMMA) i = skipBlank(text, i + 1);
    else if (text.charCodeAt(i) !== CLOSE_BRACKET) return undefined;
  }
  return slices;
}

/** The {@link ValueShape} of one JSON value's text (`text` must be JSON). */
export function valueShape(text: string): ValueShape {
  skipValue(text, skipBlank(text, 0));
  return { depth: seenDepth, longDigitRun: seenLongDigitRun };
}

/**
 * The first integer literal in a JSON text (outside strings) that lies outside `[min, max]`, or
 * undefined. A number with a fraction or an exponent is not an integer literal. Slow (BigInt per
 * long literal): run it only on values whose shape says `longDigitRun`.
 */
export function integerOutOfRange(text: string, min: bigint, max: bigint): string | undefined {
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = skipString(text, i);
      continue;
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let end = i + 1;
      while (end < text.length && /[0-9.eE+-]/.test(text.charAt(end))) end++;
      const literal = text.slice(i, end);
      if (/^-?\d+$/.test(literal)) {
        const value = BigInt(literal);
        if (value < min || value > max) return literal;
      }
      i = end;
      continue;
    }
    i++;
  }
  return undefined;
}
