/**
 * Checks a pattern the way EventBridge does and turns it into field conditions. The grammar, the
 * order of the checks and the wording of every reason follow the service (its open-source engine,
 * event-ruler, and the messages the service returned in the conformance corpus), so a pattern that
 * passes here passes `put-rule`, and one that fails says why in the same words.
 *
 * The result is a list of branches (one per combination of `$or` alternatives); a branch is a set of
 * field conditions that must all hold; a field condition holds when some value at its path passes
 * one of its alternatives.
 */
import { InvalidEventPatternError } from './errors';
import { parseCidr } from './ip';
import {
  anyOf,
  anythingBut,
  anythingButString,
  cidr,
  comparable,
  equalsIgnoreCase,
  exactLiteral,
  exactNumber,
  exactString,
  NUMERIC_LIMIT,
  numericRange,
  prefix,
  suffix,
  type ValueTest,
  wildcard,
} from './operators';
import type { PatternDocument, PatternNode } from './pattern-json';
import {
  MAX_WILDCARD_COMPLEXITY,
  matchesWildcard,
  parseWildcard,
  type WildcardPattern,
  wildcardComplexity,
} from './wildcard';

export interface FieldCondition {
  /** Field names from the top of the event, joined with `.`. */
  path: string;
  /** Passes a value present at the path; undefined when only `exists: false` was given. */
  test: ValueTest | undefined;
  /** `{"exists": true}` is one of the alternatives: any value will do. */
  matchesAnyValue: boolean;
  /** `{"exists": false}` is one of the alternatives: the field may be missing. */
  matchesAbsence: boolean;
}

export interface ValidatedPattern {
  branches: FieldCondition[][];
}

type ObjectNode = Extract<PatternNode, { kind: 'object' }>;
type ArrayNode = Extract<PatternNode, { kind: 'array' }>;
type Alternative = { test: ValueTest } | { exists: boolean };

const OR = '$or';
/** Names the service keeps for operators, refused as field names inside `$or`. */
const RESERVED_INSIDE_OR = new Set([
  'exactly',
  'equals-ignore-case',
  'prefix',
  'suffix',
  'anything-but',
  'exists',
  'wildcard',
  'numeric',
  'cidr',
  'html',
  '=',
  '<',
  '<=',
  '>',
  '>=',
  'regex',
  'not-wildcard',
  'not-equals-ignore-case',
  'date-after',
  'date-on-or-after',
  'date-before',
  'date-on-or-before',
  'in-date-range',
  'ip-address-in-range',
  'ip-address-not-in-range',
]);
const ANYTHING_BUT_MODES = new Set(['equals-ignore-case', 'prefix', 'suffix', 'wildcard']);
const TOO_COMPLEX =
  'Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character';
/** Worded with Java's rendering of the limits, as the service prints them. */
const OUT_OF_RANGE = 'Value must be between -5.0E9 and 5.0E9, inclusive';

export function validatePattern(document: PatternDocument): ValidatedPattern {
  return new PatternValidator(document).validate();
}

class PatternValidator {
  /** The branches built so far; `$or` replaces the list with its product. */
  private branches: Map<string, FieldCondition>[] = [];
  private readonly wildcardsByPath = new Map<string, WildcardPattern[]>();

  constructor(private readonly document: PatternDocument) {}

  validate(): ValidatedPattern {
    const root = this.document.root;
    if (root?.kind !== 'object')
      this.fail('Filter is not an object', root === undefined ? 0 : afterFirstToken(root));
    this.readObject(root, [], false);
    for (const patterns of this.wildcardsByPath.values()) {
      if (wildcardComplexity(patterns) > MAX_WILDCARD_COMPLEXITY) this.fail(TOO_COMPLEX, root.end);
    }
    // The service walks a rule's fields in order of their paths; `exists: false` depends on it.
    const byPath = (a: FieldCondition, b: FieldCondition) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
    return { branches: this.branches.map((branch) => [...branch.values()].sort(byPath)) };
  }

  private readObject(node: ObjectNode, path: string[], insideOr: boolean): void {
    if (node.members.length === 0) this.fail('Empty objects are not allowed', node.end);
    for (const { key, value } of node.members) {
      if (key === OR) {
        this.readOr(value, path);
        continue;
      }
      if (insideOr && RESERVED_INSIDE_OR.has(key)) {
        this.fail(`${key} is Ruler reserved fieldName which cannot be used inside ${OR}.`, value.end);
      }
      if (value.kind === 'object') {
        this.readObject(value, [...path, key], insideOr);
      } else if (value.kind === 'array') {
        this.addField([...path, key].join('.'), value);
      } else {
        this.fail(`"${key}" must be an object or an array`, value.end);
      }
    }
  }

  private readOr(node: PatternNode, path: string[]): void {
    const before = this.branches;
    if (node.kind !== 'array') this.fail(`It must be an Array followed with ${OR}.`, node.end);
    const after: Map<string, FieldCondition>[] = [];
    for (const item of node.items) {
      if (item.kind !== 'object') {
        this.fail(`Only JSON object is allowed in array of ${OR} relationship.`, item.end);
      }
      this.branches = before.length > 0 ? before.map((branch) => new Map(branch)) : [new Map()];
      this.readObject(item, path, true);
      after.push(...this.branches);
    }
    if (node.items.length < 2)
      this.fail(`There must have at least 2 Objects in ${OR} relationship.`, node.end);
    this.branches = after;
  }

  private addField(path: string, values: ArrayNode): void {
    const alternatives = values.items.map((item) => this.readAlternative(item, path));
    if (alternatives.length === 0) this.fail('Empty arrays are not allowed', values.end);
    const tests = alternatives.flatMap((alternative) => ('test' in alternative ? [alternative.test] : []));
    const condition: FieldCondition = {
      path,
      test: tests.length > 0 ? anyOf(tests) : undefined,
      matchesAnyValue: alternatives.some((alternative) => 'exists' in alternative && alternative.exists),
      matchesAbsence: alternatives.some((alternative) => 'exists' in alternative && !alternative.exists),
    };
    if (this.branches.length === 0) this.branches.push(new Map());
    // A field named twice (a repeated key, or `a.b` next to `a: {b}`) keeps its last conditions.
    for (const branch of this.branches) branch.set(path, condition);
  }

  private readAlternative(item: PatternNode, path: string): Alternative {
    switch (item.kind) {
      case 'object':
        return this.readMatchExpression(item, path);
      case 'string':
        return { test: exactString(item.value) };
      case 'number':
        return { test: exactNumber(item.text, item.value) };
      case 'boolean':
        return { test: exactLiteral(item.value) };
      case 'null':
        return { test: exactLiteral(null) };
      default:
        return this.fail('Match value must be String, number, true, false, or null', afterFirstToken(item));
    }
  }

  private readMatchExpression(node: ObjectNode, path: string): Alternative {
    const [first, ...others] = node.members;
    if (!first) this.fail('Match expression name not found', node.end);
    const { key, value } = first;
    const onlyOneKey = () => {
      if (others.length > 0) this.fail('Only one key allowed in match expression', first.value.end);
    };
    switch (key) {
      case 'prefix':
      case 'suffix': {
        const ignoreCase = value.kind === 'object';
        const operand = ignoreCase ? this.readIgnoreCaseOperand(value, key) : value;
        if (operand.kind !== 'string') this.fail(`${key} match pattern must be a string`, operand.end);
        onlyOneKey();
        return { test: (key === 'prefix' ? prefix : suffix)(operand.value, ignoreCase) };
      }
      case 'equals-ignore-case':
        if (value.kind !== 'string')
          this.fail('equals-ignore-case match pattern must be a string', value.end);
        onlyOneKey();
        return { test: equalsIgnoreCase(value.value) };
      case 'wildcard': {
        if (value.kind !== 'string') this.fail('wildcard match pattern must be a string', value.end);
        const pattern = this.readWildcard(value.value, value.end, path);
        onlyOneKey();
        return { test: wildcard(pattern) };
      }
      case 'numeric': {
        if (value.kind !== 'array') this.fail('Value of numeric must be an array.', value.end);
        const test = this.readNumeric(value);
        if (others.length > 0) this.tooManyElements(value.end);
        return { test };
      }
      case 'anything-but':
        return { test: this.readAnythingBut(value, others.length > 0, path) };
      case 'exists':
        if (value.kind !== 'boolean')
          this.fail('exists match pattern must be either true or false.', value.end);
        onlyOneKey();
        return { exists: value.value };
      case 'cidr': {
        // The service's reason for a non-string CIDR really does say "prefix".
        if (value.kind !== 'string') this.fail('prefix match pattern must be a string', value.end);
        const range = parseCidr(value.value);
        if ('problem' in range) this.fail(range.problem, value.end);
        onlyOneKey();
        return { test: cidr(range) };
      }
      default:
        return this.fail(`Unrecognized match type ${key}`, first.value.end);
    }
  }

  /** `{"prefix": {"equals-ignore-case": "..."}}` and the same for `suffix`. */
  private readIgnoreCaseOperand(node: ObjectNode, operator: 'prefix' | 'suffix'): PatternNode {
    const name = operator === 'prefix' ? 'Prefix' : 'Suffix';
    const [inner, ...others] = node.members;
    if (!inner) this.fail(`${name} expression name not found`, node.end);
    if (inner.key !== 'equals-ignore-case')
      this.fail(`Unsupported ${operator} pattern: ${inner.key}`, inner.value.end);
    if (inner.value.kind !== 'string') {
      this.fail('equals-ignore-case match pattern must be a string', inner.value.end);
    }
    if (others.length > 0) this.fail('Only one key allowed in match expression', inner.value.end);
    return inner.value;
  }

  private readWildcard(text: string, end: number, path: string): WildcardPattern {
    const parsed = parseWildcard(text);
    if ('problem' in parsed) this.fail(parsed.problem, end);
    const patterns = this.wildcardsByPath.get(path) ?? [];
    patterns.push(parsed);
    this.wildcardsByPath.set(path, patterns);
    return parsed;
  }

  private readNumeric(node: ArrayNode): ValueTest {
    const [operatorNode, valueNode, ...rest] = node.items;
    if (operatorNode?.kind !== 'string') {
      this.fail(`Invalid member in numeric match: ${tokenText(operatorNode)}`, operatorNode?.end ?? node.end);
    }
    const operator = operatorNode.value;
    if (!['=', '>=', '>', '<=', '<'].includes(operator)) {
      this.fail(`Unrecognized numeric range operator: ${operator}`, operatorNode.end);
    }
    if (valueNode?.kind !== 'number') {
      this.fail(
        `Value of ${operator === '=' ? 'equals' : operator} must be numeric`,
        valueNode?.end ?? node.end,
      );
    }
    const value = valueNode.value;
    if (operator === '=') {
      if (rest.length > 0) this.tooManyElements(valueNode.end);
      return this.range(value, false, value, false, valueNode.end);
    }
    if (operator === '<' || operator === '<=') {
      if (rest.length > 0) this.tooManyElements(valueNode.end);
      return this.range(-NUMERIC_LIMIT, false, value, operator === '<', valueNode.end);
    }
    const [upperOperatorNode, upperNode, ...extra] = rest;
    if (!upperOperatorNode) return this.range(value, operator === '>', NUMERIC_LIMIT, false, valueNode.end);
    if (upperOperatorNode.kind !== 'string') {
      this.fail(`Bad value in numeric range: ${tokenText(upperOperatorNode)}`, upperOperatorNode.end);
    }
    const upperOperator = upperOperatorNode.value;
    if (upperOperator !== '<' && upperOperator !== '<=') {
      this.fail(`Bad numeric range operator: ${upperOperator}`, upperOperatorNode.end);
    }
    if (upperNode?.kind !== 'number')
      this.fail(`Value of ${upperOperator} must be numeric`, upperNode?.end ?? node.end);
    if (extra.length > 0) this.fail('Too many terms in numeric range expression', upperNode.end);
    return this.range(value, operator === '>', upperNode.value, upperOperator === '<', upperNode.end);
  }

  private range(bottom: number, openBottom: boolean, top: number, openTop: boolean, end: number): ValueTest {
    if (bottom > top || (bottom === top && (openBottom || openTop)))
      this.fail('Bottom must be less than top', end);
    const low = this.fixedPoint(bottom, end);
    const high = this.fixedPoint(top, end);
    return numericRange({ value: low, inclusive: !openBottom }, { value: high, inclusive: !openTop });
  }

  private fixedPoint(value: number, end: number): number {
    const fixed = comparable(value);
    if (fixed === undefined) this.fail(OUT_OF_RANGE, end);
    return fixed;
  }

  private readAnythingBut(node: PatternNode, moreKeys: boolean, path: string): ValueTest {
    let mode = 'plain';
    let operand = node;
    let moreInnerKeys = false;
    if (node.kind === 'object') {
      const [inner, ...others] = node.members;
      if (!inner) this.fail('Anything-But expression name not found', node.end);
      if (!ANYTHING_BUT_MODES.has(inner.key))
        this.fail(`Unsupported anything-but pattern: ${inner.key}`, inner.value.end);
      mode = inner.key;
      operand = inner.value;
      moreInnerKeys = others.length > 0;
    }
    if (operand.kind !== 'array' && operand.kind !== 'string' && operand.kind !== 'number') {
      this.fail('Value of anything-but must be an array or single string/number value.', operand.end);
    }
    const values = operand.kind === 'array' ? operand.items : [operand];
    const test =
      mode === 'plain'
        ? this.readAnythingButValues(values, operand.end)
        : this.readAnythingButStrings(values, mode, path);
    if (moreInnerKeys || moreKeys) this.tooManyElements(operand.end);
    return test;
  }

  private readAnythingButValues(values: PatternNode[], end: number): ValueTest {
    const strings = new Set<string>();
    const numbers = new Set<number>();
    for (const value of values) {
      if (value.kind === 'string') strings.add(value.value);
      else if (value.kind === 'number') numbers.add(this.fixedPoint(value.value, value.end));
      else this.fail('Inside anything but list, start|null|boolean is not supported.', value.end);
    }
    if (strings.size > 0 === numbers.size > 0) {
      this.fail(
        'Inside anything but list, either all values are number or string, mixed type is not supported',
        end,
      );
    }
    return anythingBut(strings, numbers);
  }

  private readAnythingButStrings(values: PatternNode[], mode: string, path: string): ValueTest {
    const strings: string[] = [];
    for (const value of values) {
      if (value.kind !== 'string') {
        if (mode === 'equals-ignore-case') {
          this.fail(
            'Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.',
            value.end,
          );
        }
        this.fail(
          `${mode === 'wildcard' ? 'wildcard' : 'prefix/suffix'} match pattern must be a string`,
          value.end,
        );
      }
      if ((mode === 'prefix' || mode === 'suffix') && value.value === '') {
        this.fail('Null prefix/suffix not allowed', value.end);
      }
      strings.push(value.value);
    }
    switch (mode) {
      case 'equals-ignore-case': {
        const folded = new Set(strings.map((text) => text.toLowerCase()));
        return anythingButString((text) => folded.has((text as string).toLowerCase()));
      }
      case 'prefix':
        return anythingButString((text) => strings.some((excluded) => (text as string).startsWith(excluded)));
      case 'suffix':
        return anythingButString((text) => strings.some((excluded) => (text as string).endsWith(excluded)));
      default: {
        const patterns = strings.map((text, i) => this.readWildcard(text, values[i]?.end ?? -1, path));
        return anythingButString((text) =>
          patterns.some((pattern) => matchesWildcard(pattern, text as string)),
        );
      }
    }
  }

  private tooManyElements(end: number): never {
    this.fail('Too many elements in numeric expression', end);
  }

  private fail(reason: string, offset: number): never {
    throw new InvalidEventPatternError(reason, offset >= 0 ? this.document.locate(offset) : undefined);
  }
}

/** How the service quotes the token it stopped at. */
function tokenText(node: PatternNode | undefined): string {
  switch (node?.kind) {
    case undefined:
      return ']';
    case 'string':
      return node.value;
    case 'number':
      return node.text;
    case 'boolean':
      return String(node.value);
    case 'null':
      return 'null';
    case 'array':
      return '[';
    default:
      return '{';
  }
}

/** Where the service's parser stands after reading the first token of a value. */
function afterFirstToken(node: PatternNode): number {
  if (node.start < 0) return -1;
  return node.kind === 'object' || node.kind === 'array' ? node.start + 1 : node.end;
}
