/**
 * Patterns EventBridge refuses, each with the service's reason, and edge patterns it accepts.
 */
import { describe, expect, it } from 'vitest';
import { compileEventPattern, InvalidEventPatternError } from '#local/event-pattern/index';

function refusal(pattern: unknown): InvalidEventPatternError {
  try {
    compileEventPattern(pattern);
  } catch (error) {
    if (error instanceof InvalidEventPatternError) return error;
    throw error;
  }
  throw new Error(`accepted: ${JSON.stringify(pattern)}`);
}

const field = (operand: unknown) => ({ detail: { field: operand } });

describe('refused patterns', () => {
  it.each<[string, unknown, string]>([
    ['not an object', ['a'], 'Filter is not an object'],
    ['null', null, 'Filter is not an object'],
    ['the empty pattern', {}, 'Empty objects are not allowed'],
    ['an empty nested object', { detail: {} }, 'Empty objects are not allowed'],
    ['a leaf that is not an array', { source: 'braze.currents' }, '"source" must be an object or an array'],
    ['a numeric leaf', { int: 42 }, '"int" must be an object or an array'],
    ['an empty array', { source: [] }, 'Empty arrays are not allowed'],
    [
      'an array inside the values',
      { source: [['a']] },
      'Match value must be String, number, true, false, or null',
    ],
    ['an empty match expression', field([{}]), 'Match expression name not found'],
    ['an unknown operator', field([{ regex: 'a.*' }]), 'Unrecognized match type regex'],
    ['operators are case-sensitive', field([{ EXISTS: true }]), 'Unrecognized match type EXISTS'],
    [
      'two operators in one object',
      field([{ prefix: 'a', suffix: 'b' }]),
      'Only one key allowed in match expression',
    ],
    ['prefix of a number', field([{ prefix: 1 }]), 'prefix match pattern must be a string'],
    ['prefix of a list', field([{ prefix: ['a'] }]), 'prefix match pattern must be a string'],
    [
      'prefix with an unknown modifier',
      field([{ prefix: { wildcard: 'a' } }]),
      'Unsupported prefix pattern: wildcard',
    ],
    [
      'prefix ignore-case of a number',
      field([{ prefix: { 'equals-ignore-case': 1 } }]),
      'equals-ignore-case match pattern must be a string',
    ],
    ['suffix of a number', field([{ suffix: 1 }]), 'suffix match pattern must be a string'],
    ['suffix with an unknown modifier', field([{ suffix: { x: 'a' } }]), 'Unsupported suffix pattern: x'],
    [
      'equals-ignore-case of a list',
      field([{ 'equals-ignore-case': ['a'] }]),
      'equals-ignore-case match pattern must be a string',
    ],
    ['exists of a string', field([{ exists: 'true' }]), 'exists match pattern must be either true or false.'],
    ['numeric of a number', field([{ numeric: 10 }]), 'Value of numeric must be an array.'],
    ['numeric without operator', field([{ numeric: [10] }]), 'Invalid member in numeric match: 10'],
    ['numeric, empty', field([{ numeric: [] }]), 'Invalid member in numeric match: ]'],
    ['numeric, unknown operator', field([{ numeric: ['!=', 1] }]), 'Unrecognized numeric range operator: !='],
    ['numeric, string value', field([{ numeric: ['>', '1'] }]), 'Value of > must be numeric'],
    ['numeric =, string value', field([{ numeric: ['=', '1'] }]), 'Value of equals must be numeric'],
    ['numeric, two lower bounds', field([{ numeric: ['>', 0, '>', 0] }]), 'Bad numeric range operator: >'],
    [
      'numeric, upper bound first',
      field([{ numeric: ['<', 5, '>', 0] }]),
      'Too many elements in numeric expression',
    ],
    ['numeric, missing upper value', field([{ numeric: ['>', 0, '<'] }]), 'Value of < must be numeric'],
    ['numeric, empty range', field([{ numeric: ['>', 5, '<', 5] }]), 'Bottom must be less than top'],
    ['numeric, inverted range', field([{ numeric: ['>=', 5, '<=', 1] }]), 'Bottom must be less than top'],
    [
      'numeric, too many terms',
      field([{ numeric: ['>', 0, '<', 5, '<', 6] }]),
      'Too many terms in numeric range expression',
    ],
    [
      'numeric, out of range',
      field([{ numeric: ['<', 6e9] }]),
      'Value must be between -5.0E9 and 5.0E9, inclusive',
    ],
    [
      'numeric and another key',
      field([{ numeric: ['>', 0], x: 1 }]),
      'Too many elements in numeric expression',
    ],
    [
      'anything-but null',
      field([{ 'anything-but': null }]),
      'Value of anything-but must be an array or single string/number value.',
    ],
    [
      'anything-but true',
      field([{ 'anything-but': true }]),
      'Value of anything-but must be an array or single string/number value.',
    ],
    [
      'anything-but list with null',
      field([{ 'anything-but': ['a', null] }]),
      'Inside anything but list, start|null|boolean is not supported.',
    ],
    [
      'anything-but mixed list',
      field([{ 'anything-but': ['a', 1] }]),
      'Inside anything but list, either all values are number or string, mixed type is not supported',
    ],
    [
      'anything-but empty list',
      field([{ 'anything-but': [] }]),
      'Inside anything but list, either all values are number or string, mixed type is not supported',
    ],
    [
      'anything-but unknown modifier',
      field([{ 'anything-but': { numeric: ['>', 1] } }]),
      'Unsupported anything-but pattern: numeric',
    ],
    [
      'anything-but empty modifier',
      field([{ 'anything-but': {} }]),
      'Anything-But expression name not found',
    ],
    [
      'anything-but empty prefix',
      field([{ 'anything-but': { prefix: '' } }]),
      'Null prefix/suffix not allowed',
    ],
    [
      'anything-but empty suffix in a list',
      field([{ 'anything-but': { suffix: ['a', ''] } }]),
      'Null prefix/suffix not allowed',
    ],
    [
      'anything-but prefix of a number',
      field([{ 'anything-but': { prefix: 1 } }]),
      'prefix/suffix match pattern must be a string',
    ],
    [
      'anything-but prefix ignoring case',
      field([{ 'anything-but': { prefix: { 'equals-ignore-case': 'a' } } }]),
      'Value of anything-but must be an array or single string/number value.',
    ],
    [
      'anything-but ignore-case of a number',
      field([{ 'anything-but': { 'equals-ignore-case': 1 } }]),
      'Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.',
    ],
    [
      'anything-but wildcard of a number',
      field([{ 'anything-but': { wildcard: [1] } }]),
      'wildcard match pattern must be a string',
    ],
    [
      'anything-but wildcard with **',
      field([{ 'anything-but': { wildcard: 'a**' } }]),
      'Consecutive wildcard characters at pos 2',
    ],
    [
      'anything-but with two modifiers',
      field([{ 'anything-but': { prefix: 'a', suffix: 'b' } }]),
      'Too many elements in numeric expression',
    ],
    ['cidr of a list', field([{ cidr: ['10.0.0.0/8'] }]), 'prefix match pattern must be a string'],
    ['cidr without mask', field([{ cidr: '10.0.0.0' }]), "Malformed CIDR, one '/' required"],
    [
      'cidr with a text mask',
      field([{ cidr: '10.0.0.0/x' }]),
      'Malformed CIDR, mask bits must be an integer',
    ],
    [
      'cidr with a negative mask',
      field([{ cidr: '10.0.0.0/-1' }]),
      'Malformed CIDR, mask bits must not be negative',
    ],
    ['cidr of a host name', field([{ cidr: 'example.com/8' }]), 'Nonstandard IP address: example.com'],
    ['cidr of an impossible address', field([{ cidr: '10.0.0.256/8' }]), 'Invalid IP address: 10.0.0.256'],
    ['cidr with a v4 mask of 32', field([{ cidr: '10.0.0.1/32' }]), 'IPv4 mask bits must be < 32'],
    ['cidr with a v6 mask of 128', field([{ cidr: '::1/128' }]), 'IPv6 mask bits must be < 128'],
    ['wildcard of a number', field([{ wildcard: 1 }]), 'wildcard match pattern must be a string'],
    [
      'wildcard with **',
      field([{ wildcard: 'arn:aws:events:us-east-1:**' }]),
      'Consecutive wildcard characters at pos 26',
    ],
    [
      'wildcard positions count UTF-8 bytes',
      field([{ wildcard: 'é**' }]),
      'Consecutive wildcard characters at pos 3',
    ],
    ['wildcard with a stray backslash', field([{ wildcard: 'a\\b' }]), 'Invalid escape character at pos 2'],
    [
      'wildcards too complex for one field',
      field([{ wildcard: '*:*:*:*:*:event-bus/*' }]),
      'Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character',
    ],
    ['$or that is not a list', { $or: { a: ['b'] } }, 'It must be an Array followed with $or.'],
    [
      '$or with one alternative',
      { $or: [{ a: ['b'] }] },
      'There must have at least 2 Objects in $or relationship.',
    ],
    [
      '$or with a non-object',
      { $or: [{ a: ['b'] }, ['c']] },
      'Only JSON object is allowed in array of $or relationship.',
    ],
    [
      '$or with an operator name as a field',
      { $or: [{ a: ['b'] }, { prefix: ['c'] }] },
      'prefix is Ruler reserved fieldName which cannot be used inside $or.',
    ],
    [
      'a value JSON cannot carry',
      { a: [undefined] },
      'Match value must be String, number, true, false, or null',
    ],
  ])('%s', (_description, pattern, reason) => {
    const error = refusal(pattern);

    expect(error.reason).toBe(reason);
    expect(error.message).toBe(`Event pattern is not valid. Reason: ${reason}`);
    expect(error.location).toBeUndefined();
  });
});

describe('accepted edge patterns', () => {
  it.each<[string, unknown]>([
    ['an empty prefix', field([{ prefix: '' }])],
    ['an empty wildcard', field([{ wildcard: '' }])],
    ['anything-but an empty wildcard', field([{ 'anything-but': { wildcard: '' } }])],
    ['numeric at the limits', field([{ numeric: ['>=', -5e9, '<=', 5e9] }])],
    ['a number too large to compare, as an exact value', { account: [123456789012] }],
    ['an operator name as a field outside $or', { prefix: ['x'] }],
    ['cidr /0 and /31', field([{ cidr: '0.0.0.0/0' }, { cidr: '10.0.0.0/31' }])],
    [
      'a wildcard with repeated text after a star',
      field([{ wildcard: '/Users/*/dir/dir/dir/dir/dir/doc.txt' }]),
    ],
  ])('%s', (_description, pattern) => {
    expect(() => compileEventPattern(pattern)).not.toThrow();
  });
});
