/**
 * The pattern as a JSON tree that keeps what `JSON.parse` throws away: every member of an object in
 * order, repeated keys included, and where each value ends in the text.
 *
 * Why not `JSON.parse`: EventBridge compiles a pattern while streaming through its text, so a
 * repeated key is not "last one wins" on the object but "last one wins" per field *path* —
 * `{"detail":{"a":["x"]},"detail":{"b":["y"]}}` constrains both `detail.a` and `detail.b`, where
 * `JSON.parse` would keep only `detail.b`. The service also reports syntax errors in its JSON
 * parser's (Jackson's) words, with a line and column; users see those from `put-rule`, so we give
 * the same.
 */
import { InvalidEventPatternError, type PatternTextLocation } from './errors';

/** Offsets of the value in the pattern text (`end` is just past it); -1 when there was no text. */
interface Span {
  start: number;
  end: number;
}

export type PatternNode = Span &
  (
    | { kind: 'object'; members: PatternMember[] }
    | { kind: 'array'; items: PatternNode[] }
    | { kind: 'string'; value: string }
    | { kind: 'number'; value: number; text: string }
    | { kind: 'boolean'; value: boolean }
    | { kind: 'null' }
    /** A value that JSON cannot carry (only reachable from an in-memory object). */
    | { kind: 'unsupported' }
  );

export interface PatternMember {
  key: string;
  value: PatternNode;
}

/** The parsed tree plus a way to turn an offset into a location, when there was text. */
export interface PatternDocument {
  root: PatternNode | undefined;
  locate(offset: number): PatternTextLocation | undefined;
}

/** Turns an already-parsed value (e.g. from a CDK template) into the same tree, without locations. */
export function documentFromValue(value: unknown): PatternDocument {
  return { root: nodeFromValue(value), locate: () => undefined };
}

const NO_SPAN: Span = { start: -1, end: -1 };

function nodeFromValue(value: unknown): PatternNode {
  if (value === null) return { kind: 'null', ...NO_SPAN };
  if (Array.isArray(value)) return { kind: 'array', items: value.map(nodeFromValue), ...NO_SPAN };
  switch (typeof value) {
    case 'string':
      return { kind: 'string', value, ...NO_SPAN };
    case 'number':
      return Number.isFinite(value)
        ? { kind: 'number', value, text: String(value), ...NO_SPAN }
        : { kind: 'unsupported', ...NO_SPAN };
    case 'boolean':
      return { kind: 'boolean', value, ...NO_SPAN };
    case 'object':
      return {
        kind: 'object',
        members: Object.entries(value as object).map(([key, member]) => ({
          key,
          value: nodeFromValue(member),
        })),
        ...NO_SPAN,
      };
    default:
      return { kind: 'unsupported', ...NO_SPAN };
  }
}

/** Parses pattern text. Like the service, only the first JSON value is read; text after it is ignored. */
export function parsePatternText(text: string): PatternDocument {
  const locate = (offset: number): PatternTextLocation => {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < offset && i < text.length; i++) {
      if (text.charCodeAt(i) === 10) {
        line++;
        lineStart = i + 1;
      }
    }
    return { source: text, line, column: offset - lineStart + 1 };
  };
  const reader = new TextReader(text, locate);
  reader.skipWhitespace();
  const root = reader.atEnd() ? undefined : reader.readValue();
  return { root, locate };
}

const EXPECTED_VALUE =
  "was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')";
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const IDENTIFIER_PART = /[\p{L}\p{N}_$]/u;

class TextReader {
  private position = 0;

  constructor(
    private readonly text: string,
    private readonly locate: (offset: number) => PatternTextLocation,
  ) {}

  atEnd(): boolean {
    return this.position >= this.text.length;
  }

  skipWhitespace(): void {
    while (this.position < this.text.length) {
      const code = this.text.charCodeAt(this.position);
      if (code !== 32 && code !== 9 && code !== 10 && code !== 13) return;
      this.position++;
    }
  }

  readValue(): PatternNode {
    this.skipWhitespace();
    const char = this.text[this.position];
    if (char === undefined) this.fail('Unexpected end-of-input: expected a value', this.position);
    const start = this.position;
    if (char === '{') return this.readObject();
    if (char === '[') return this.readArray();
    if (char === '"') {
      const value = this.readString();
      return { kind: 'string', value, start, end: this.position };
    }
    if (char === '-' || (char >= '0' && char <= '9')) return this.readNumber();
    for (const [word, node] of [
      ['true', { kind: 'boolean', value: true }],
      ['false', { kind: 'boolean', value: false }],
      ['null', { kind: 'null' }],
    ] as const) {
      if (this.text.startsWith(word, this.position) && !this.isIdentifierPart(this.position + word.length)) {
        this.position += word.length;
        return { ...node, start, end: this.position };
      }
    }
    if (this.isIdentifierPart(this.position)) {
      let end = start;
      while (this.isIdentifierPart(end)) end++;
      this.fail(`Unrecognized token '${this.text.slice(start, end)}': ${EXPECTED_VALUE}`, end);
    }
    this.failUnexpected('expected a value');
  }

  private readObject(): PatternNode {
    const start = this.position++;
    const members: PatternMember[] = [];
    this.skipWhitespace();
    if (this.text[this.position] === '}') {
      this.position++;
      return { kind: 'object', members, start, end: this.position };
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.position] !== '"') {
        if (this.atEnd()) this.failEndOfInput('Object');
        this.failUnexpected('was expecting double-quote to start field name');
      }
      const key = this.readString();
      this.skipWhitespace();
      if (this.text[this.position] !== ':') {
        if (this.atEnd()) this.failEndOfInput('Object');
        this.failUnexpected('was expecting a colon to separate field name and value');
      }
      this.position++;
      members.push({ key, value: this.readValue() });
      this.skipWhitespace();
      const next = this.text[this.position];
      if (next === ',') {
        this.position++;
        continue;
      }
      if (next === '}') {
        this.position++;
        return { kind: 'object', members, start, end: this.position };
      }
      if (next === undefined) this.failEndOfInput('Object');
      this.failUnexpected('was expecting comma to separate Object entries');
    }
  }

  private readArray(): PatternNode {
    const start = this.position++;
    const items: PatternNode[] = [];
    this.skipWhitespace();
    if (this.text[this.position] === ']') {
      this.position++;
      return { kind: 'array', items, start, end: this.position };
    }
    for (;;) {
      if (this.atEnd()) this.failEndOfInput('Array');
      items.push(this.readValue());
      this.skipWhitespace();
      const next = this.text[this.position];
      if (next === ',') {
        this.position++;
        continue;
      }
      if (next === ']') {
        this.position++;
        return { kind: 'array', items, start, end: this.position };
      }
      if (next === undefined) this.failEndOfInput('Array');
      this.failUnexpected('was expecting comma to separate Array entries');
    }
  }

  private readString(): string {
    const start = this.position;
    this.position++; // opening quote
    let value = '';
    let chunkStart = this.position;
    for (;;) {
      const code = this.text.charCodeAt(this.position);
      if (Number.isNaN(code)) {
        this.fail('Unexpected end-of-input: was expecting closing quote for a string value', this.position);
      }
      if (code === 34) {
        value += this.text.slice(chunkStart, this.position);
        this.position++;
        return value;
      }
      if (code < 32) {
        this.fail(
          `Illegal unquoted character ((CTRL-CHAR, code ${code})): has to be escaped using backslash to be included in string value`,
          this.position,
        );
      }
      if (code === 92) {
        value += this.text.slice(chunkStart, this.position);
        value += this.readEscape(start);
        chunkStart = this.position;
        continue;
      }
      this.position++;
    }
  }

  private readEscape(stringStart: number): string {
    const escaped = this.text[this.position + 1];
    this.position += 2;
    switch (escaped) {
      case '"':
      case '\\':
      case '/':
        return escaped;
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'u': {
        const hex = this.text.slice(this.position, this.position + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
          this.fail(
            'Unexpected character: expected a hex-digit for character escape sequence',
            this.position + 1,
          );
        }
        this.position += 4;
        return String.fromCharCode(Number.parseInt(hex, 16));
      }
      case undefined:
        return this.fail(
          'Unexpected end-of-input in character escape sequence',
          Math.max(stringStart, this.position),
        );
      default:
        return this.fail(
          `Unrecognized character escape '${escaped}' (code ${escaped.charCodeAt(0)})`,
          this.position,
        );
    }
  }

  private readNumber(): PatternNode {
    NUMBER.lastIndex = this.position;
    const match = NUMBER.exec(this.text);
    if (!match || match[0] === '-')
      this.failUnexpected('expected digit (0-9) to follow minus sign, for valid numeric value');
    const text = match[0];
    const start = this.position;
    this.position += text.length;
    if (/^-?0\d/.test(this.text.slice(this.position - text.length, this.position + 1))) {
      this.fail('Invalid numeric value: Leading zeroes not allowed', this.position + 1);
    }
    return { kind: 'number', value: Number(text), text, start, end: this.position };
  }

  private isIdentifierPart(offset: number): boolean {
    const char = this.text[offset];
    return char !== undefined && IDENTIFIER_PART.test(char);
  }

  private failUnexpected(expectation: string): never {
    const char = this.text[this.position] ?? '';
    const code = char.codePointAt(0) ?? -1;
    this.fail(`Unexpected character ('${char}' (code ${code})): ${expectation}`, this.position);
  }

  private failEndOfInput(container: 'Object' | 'Array'): never {
    this.fail(`Unexpected end-of-input: expected close marker for ${container}`, this.position);
  }

  private fail(reason: string, offset: number): never {
    throw new InvalidEventPatternError(reason, this.locate(offset));
  }
}
