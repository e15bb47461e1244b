/**
 * The matcher against the service itself: every case of the EventBridge pattern corpus in
 * `../shared/eventbridge-patterns/` (validated upstream against the real `TestEventPattern` API),
 * and the exact error messages the service returned. The corpus is public data read in place, never
 * copied; without it (a fresh clone alone) this suite is skipped and the unit tests still cover
 * every operator.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import JSON5 from 'json5';
import { expect, it } from 'vitest';
import { compileEventPattern, InvalidEventPatternError, testEventPattern } from '#local/event-pattern/index';
import { describeWithSharedData, EVENTBRIDGE_PATTERNS_DIR } from '../shared-data';

const corpus = EVENTBRIDGE_PATTERNS_DIR;
const templates = `${corpus}localstack-templates/`;
const corpusPresent = existsSync(templates);

/** The two files of the repeated-key case: JSON5 would silently drop one of the keys, so they are raw JSON. */
const REPEATED_KEY_EVENT = 'complex_multi_key_event.json';
const REPEATED_KEY_PATTERN = 'complex_multi_key_event_pattern.json';

interface RecordedResponse {
  Error?: { Code: string; Message: string };
}

interface Case {
  Event: unknown;
  EventPattern: unknown;
}

function readCase(file: string): Case {
  return JSON5.parse(readFileSync(`${templates}${file}`, 'utf8'));
}

/** `Message` of every recorded `InvalidEventPatternException`, by the name the snapshot records it under. */
function recordedMessages(): Map<string, string> {
  const snapshot = JSON.parse(
    readFileSync(`${corpus}localstack-expected-errors.snapshot.json`, 'utf8'),
  ) as Record<
    string,
    { 'recorded-content': Record<string, RecordedResponse & { exception_message?: RecordedResponse }> }
  >;
  const messages = new Map<string, string>();
  for (const [testName, { 'recorded-content': content }] of Object.entries(snapshot)) {
    for (const [name, recorded] of Object.entries(content)) {
      const error = (recorded.exception_message ?? recorded).Error;
      if (error?.Code !== 'InvalidEventPatternException') continue;
      // The invalid-JSON cases are recorded under one name; the pattern text is the test's parameter.
      const key = name === 'invalid-pattern' ? (/\[(.*)\]$/s.exec(testName)?.[1] ?? name) : name;
      messages.set(key, error.Message);
    }
  }
  return messages;
}

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

describeWithSharedData(
  'EventBridge pattern corpus in ../shared/eventbridge-patterns',
  [templates, `${corpus}localstack-expected-errors.snapshot.json`],
  () => {
    const files = corpusPresent ? readdirSync(templates).sort() : [];
    const cases = files.filter((file) => file.endsWith('.json5'));
    const messages = corpusPresent ? recordedMessages() : new Map<string, string>();

    it('holds every case this suite runs, and nothing else', () => {
      const others = files.filter((file) => !file.endsWith('.json5'));

      expect(cases.length).toBeGreaterThanOrEqual(155);
      expect(others).toEqual([REPEATED_KEY_EVENT, REPEATED_KEY_PATTERN]);
    });

    const matching = cases.filter((file) => !/_(NEG|EXC)\.json5$/.test(file));
    const notMatching = cases.filter((file) => file.endsWith('_NEG.json5'));
    const invalid = cases.filter((file) => file.endsWith('_EXC.json5'));

    it.each(matching)('%s: matches', (file) => {
      const { Event, EventPattern } = readCase(file);

      const result = testEventPattern(EventPattern, Event);

      expect(result).toBe(true);
    });

    it.each(notMatching)('%s: is valid and does not match', (file) => {
      const { Event, EventPattern } = readCase(file);

      const compiled = compileEventPattern(EventPattern);

      expect(compiled.matches(Event)).toBe(false);
    });

    it.each(invalid)('%s: is refused as the service refuses it', (file) => {
      const { EventPattern } = readCase(file);
      const name = file.replace(/\.json5$/, '');

      const error = thrownBy(() => compileEventPattern(EventPattern));

      expect(error).toBeInstanceOf(InvalidEventPatternError);
      const recorded = messages.get(name);
      if (recorded !== undefined) expect((error as Error).message).toBe(recorded);
    });

    it('words every refusal the service recorded for these cases exactly as the service did', () => {
      const names = invalid.map((file) => file.replace(/\.json5$/, ''));

      const unmatched = names.filter((name) => {
        const recorded = messages.get(name);
        const error = thrownBy(() => compileEventPattern(readCase(`${name}.json5`).EventPattern));
        return recorded !== undefined && (error as Error | undefined)?.message !== recorded;
      });

      expect(names.filter((name) => messages.has(name)).length).toBeGreaterThanOrEqual(30);
      expect(unmatched).toEqual([]);
    });

    it('reads a pattern with a repeated key as the service does: the last one counts', () => {
      const event = readFileSync(`${templates}${REPEATED_KEY_EVENT}`, 'utf8');
      const pattern = readFileSync(`${templates}${REPEATED_KEY_PATTERN}`, 'utf8');

      const result = testEventPattern(pattern, event);

      // The service answered Result: true (snapshot `complex-event-complex-pattern`).
      expect(result).toBe(true);
      expect(testEventPattern(pattern, event.replace('eu-central-1', 'us-east'))).toBe(false);
    });

    it('words the syntax errors of pattern text as the service did, location included', () => {
      const syntaxCases = [...messages].filter(([key]) => !/^[a-z0-9_-]+$/i.test(key));

      for (const [text, recorded] of syntaxCases) {
        const error = thrownBy(() => compileEventPattern(text));

        expect(error).toBeInstanceOf(InvalidEventPatternError);
        expect((error as Error).message).toBe(recorded);
      }
      expect(syntaxCases).toHaveLength(4);
    });
  },
);
