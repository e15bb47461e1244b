/**
 * Whatever users feed it, the matcher answers: a pattern is compiled or refused with
 * InvalidEventPatternError (never a TypeError), a compiled pattern answers true or false for any
 * event, and a pattern behaves the same given as an object or as its JSON text.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileEventPattern, InvalidEventPatternError } from '#local/event-pattern/index';

type Outcome = { refused: string } | { compiled: ReturnType<typeof compileEventPattern> };

function outcome(pattern: unknown): Outcome {
  try {
    return { compiled: compileEventPattern(pattern) };
  } catch (error) {
    if (error instanceof InvalidEventPatternError) return { refused: error.reason };
    throw error;
  }
}

const fieldName = fc.constantFrom('a', 'b', 'a.b', 'detail', '$or', 'prefix', 'numeric');
const operand = fc.oneof(
  fc.constantFrom('x', '', 'a*b', '10.0.0.0/24', '>', '<=', '='),
  fc.integer({ min: -10, max: 10 }),
  fc.boolean(),
  fc.constant(null),
);
const operatorObject = fc
  .tuple(
    fc.constantFrom(
      'prefix',
      'suffix',
      'equals-ignore-case',
      'anything-but',
      'numeric',
      'exists',
      'cidr',
      'wildcard',
      'nope',
    ),
    fc.oneof(operand, fc.array(operand, { maxLength: 4 }), fc.dictionary(fieldName, operand, { maxKeys: 2 })),
  )
  .map(([name, value]) => ({ [name]: value }));
/** Patterns near the grammar, so most are almost valid and the edges of validation get exercised. */
const patternLike = fc.letrec((tie) => ({
  pattern: fc.dictionary(fieldName, fc.oneof(tie('leaf'), tie('pattern'), tie('or')), { maxKeys: 3 }),
  leaf: fc.array(fc.oneof(operand, operatorObject), { maxLength: 3 }),
  or: fc.array(tie('pattern'), { maxLength: 3 }),
})).pattern;
const eventLike = fc.dictionary(fieldName, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 });

describe('robustness', () => {
  it('compiles or refuses any JSON value, and matches any event without throwing', () => {
    fc.assert(
      fc.property(fc.oneof(patternLike, fc.jsonValue({ maxDepth: 3 })), eventLike, (pattern, event) => {
        const result = outcome(pattern);

        if ('compiled' in result) expect(typeof result.compiled.matches(event)).toBe('boolean');
      }),
      { numRuns: 1500 },
    );
  });

  it('reads a pattern the same way from its JSON text', () => {
    fc.assert(
      fc.property(patternLike, fc.array(eventLike, { maxLength: 5 }), (pattern, events) => {
        const fromObject = outcome(pattern);
        const fromText = outcome(JSON.stringify(pattern));

        if ('refused' in fromObject) {
          expect(fromText).toEqual(fromObject);
        } else {
          expect('compiled' in fromText).toBe(true);
          const compiledText = (fromText as { compiled: ReturnType<typeof compileEventPattern> }).compiled;
          for (const event of events)
            expect(compiledText.matches(event)).toBe(fromObject.compiled.matches(event));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses any text that is not a JSON object with the service error, never another exception', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (text) => {
        const result = outcome(text);

        if ('compiled' in result) expect(text.trim().startsWith('{')).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
