/**
 * What each pattern operator accepts, as a test on one value of the event (a string, number,
 * boolean or null found at the field's path). Building the tests is done once, when the pattern is
 * compiled; matching only calls them.
 */
import { eventNumber, type LosslessNumber } from './event-json';
import { type IpBytes, type IpRange, ipInRange, parseIp, sameIp } from './ip';
import { matchesWildcard, type WildcardPattern } from './wildcard';

/** A value of the event; numbers whose text a `number` cannot keep are {@link LosslessNumber}s. */
export type Scalar = string | number | LosslessNumber | boolean | null;
export type ValueTest = (value: Scalar) => boolean;

/**
 * The service compares numbers as fixed-point values with six decimals between -5e9 and 5e9;
 * outside that range a number only equals itself and takes part in no numeric comparison.
 */
export const NUMERIC_LIMIT = 5e9;
const SCALE = 1e6;

/** The number in the service's fixed-point form, or undefined when it has none. */
export function comparable(value: number): number | undefined {
  return Math.abs(value) <= NUMERIC_LIMIT ? Math.round(value * SCALE) : undefined;
}

export function exactString(expected: string): ValueTest {
  // A pattern value shaped like an IP address matches the same address however it is written.
  const ip = parseIp(expected);
  if (ip) return (value) => typeof value === 'string' && (value === expected || sameIpText(value, ip));
  return (value) => value === expected;
}

function sameIpText(value: string, ip: IpBytes): boolean {
  const parsed = parseIp(value);
  return parsed !== undefined && sameIp(parsed, ip);
}

/**
 * A number in a pattern matches a number of the event written the same way, or, within the
 * comparable range, of the same value: event-ruler compiles a pattern number into both an exact
 * match on its text and a numeric match (`JsonRuleCompiler.writeRules`), and reads event numbers as
 * their text (`Event.traverseObject`). So `1234567890123456789` does not match `1234567890123456788`,
 * which `JSON.parse` would make the same double.
 */
export function exactNumber(expectedText: string, expected: number): ValueTest {
  const fixed = comparable(expected);
  return (value) => {
    const number = eventNumber(value);
    if (!number) return false;
    return number.text === expectedText || (fixed !== undefined && comparable(number.value) === fixed);
  };
}

export function exactLiteral(expected: boolean | null): ValueTest {
  return (value) => value === expected;
}

export function prefix(expected: string, ignoreCase: boolean): ValueTest {
  if (!ignoreCase) return (value) => typeof value === 'string' && value.startsWith(expected);
  const folded = expected.toLowerCase();
  return (value) => typeof value === 'string' && value.toLowerCase().startsWith(folded);
}

export function suffix(expected: string, ignoreCase: boolean): ValueTest {
  if (!ignoreCase) return (value) => typeof value === 'string' && value.endsWith(expected);
  const folded = expected.toLowerCase();
  return (value) => typeof value === 'string' && value.toLowerCase().endsWith(folded);
}

export function equalsIgnoreCase(expected: string): ValueTest {
  const folded = expected.toLowerCase();
  return (value) => typeof value === 'string' && value.toLowerCase() === folded;
}

export function wildcard(pattern: WildcardPattern): ValueTest {
  return (value) => typeof value === 'string' && matchesWildcard(pattern, value);
}

export interface NumericBound {
  value: number;
  inclusive: boolean;
}

/** A numeric comparison; bounds are in the fixed-point form of {@link comparable}. */
export function numericRange(lower: NumericBound | undefined, upper: NumericBound | undefined): ValueTest {
  return (value) => {
    const number = eventNumber(value);
    if (!number) return false;
    const fixed = comparable(number.value);
    if (fixed === undefined) return false;
    if (lower && (lower.inclusive ? fixed < lower.value : fixed <= lower.value)) return false;
    if (upper && (upper.inclusive ? fixed > upper.value : fixed >= upper.value)) return false;
    return true;
  };
}

export function cidr(range: IpRange): ValueTest {
  return (value) => {
    if (typeof value !== 'string') return false;
    const ip = parseIp(value);
    return ip !== undefined && ipInRange(ip, range);
  };
}

/**
 * `anything-but` matches every value present except the listed ones — null, booleans and values of
 * the other type included. A missing field has no value, so it never matches.
 */
export function anythingBut(strings: ReadonlySet<string>, numbers: ReadonlySet<number>): ValueTest {
  return (value) => {
    if (typeof value === 'string') return !strings.has(value);
    const number = eventNumber(value);
    if (number) {
      const fixed = comparable(number.value);
      return fixed === undefined || !numbers.has(fixed);
    }
    return true;
  };
}

/** `anything-but` with `equals-ignore-case`, `prefix`, `suffix` or `wildcard`: only strings can be excluded. */
export function anythingButString(excluded: ValueTest): ValueTest {
  return (value) => typeof value !== 'string' || !excluded(value);
}

export function anyOf(tests: readonly ValueTest[]): ValueTest {
  if (tests.length === 1) return tests[0] as ValueTest;
  return (value) => tests.some((test) => test(value));
}
