/**
 * `wildcard` patterns: `*` matches any run of characters (also none), `\*` a literal star, `\\` a
 * literal backslash; any other backslash is an error, as are two stars in a row.
 */

/** A parsed wildcard pattern: literal runs separated by stars. */
export interface WildcardPattern {
  /** The literal text between stars; `segments.length - 1` stars. */
  segments: string[];
}

/** The problem with a wildcard pattern, worded as the service words it, or the parsed pattern. */
export function parseWildcard(pattern: string): WildcardPattern | { problem: string } {
  const segments: string[] = [];
  let literal = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    if (char === '*') {
      if (pattern[i + 1] === '*')
        return { problem: `Consecutive wildcard characters at pos ${bytePosition(pattern, i)}` };
      segments.push(literal);
      literal = '';
    } else if (char === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\')
        return { problem: `Invalid escape character at pos ${bytePosition(pattern, i)}` };
      literal += next;
      i++;
    } else {
      literal += char;
    }
  }
  segments.push(literal);
  return { segments };
}

/** The service counts positions in UTF-8 bytes of the value *with its opening quote*. */
function bytePosition(pattern: string, index: number): number {
  return 1 + Buffer.byteLength(pattern.slice(0, index));
}

/**
 * Whether `value` matches. Greedy leftmost search of each middle segment is exact for patterns whose
 * only metacharacter is `*`, and runs in linear time — a regular expression with several `.*` can
 * backtrack for a very long time on a long value.
 */
export function matchesWildcard({ segments }: WildcardPattern, value: string): boolean {
  const first = segments[0] as string;
  if (segments.length === 1) return value === first;
  const last = segments[segments.length - 1] as string;
  if (value.length < first.length + last.length) return false;
  if (!value.startsWith(first) || !value.endsWith(last)) return false;
  let position = first.length;
  const end = value.length - last.length;
  for (let i = 1; i < segments.length - 1; i++) {
    const segment = segments[i] as string;
    const found = value.indexOf(segment, position);
    if (found < 0 || found + segment.length > end) return false;
    position = found + segment.length;
  }
  return true;
}

/**
 * The service refuses a field whose wildcard patterns could keep too many partial matches alive at
 * once (event-ruler's `MachineComplexityEvaluator`): beyond this many, `Rule is too complex`.
 */
export const MAX_WILDCARD_COMPLEXITY = 10;

/**
 * The largest number of partial matches that some input keeps alive at once across the given
 * patterns of one field: a subset construction over the patterns' automata (each pattern quoted, as
 * the service matches the quoted JSON string). This follows the idea of event-ruler's evaluator, not
 * its code: it agrees with the service on the conformance corpus (`*:*:*:*:*:event-bus/*` is too
 * complex, `/Users/*\/dir/dir/dir/dir/dir/doc.txt` is not), and may differ at the margin.
 */
export function wildcardComplexity(patterns: readonly WildcardPattern[]): number {
  const automata = patterns.map(toTokens);
  const alphabet = new Set<string>();
  for (const tokens of automata) for (const token of tokens) if (token !== STAR) alphabet.add(token);
  // One character that appears in no pattern stands for all of them.
  const inputs = [...alphabet, '\u0000'];

  const key = (automaton: number, position: number) => automaton * 100_000 + position;
  const close = (states: Set<number>): Set<number> => {
    const pending = [...states];
    while (pending.length > 0) {
      const state = pending.pop() as number;
      const tokens = automata[Math.floor(state / 100_000)] as string[];
      const position = state % 100_000;
      if (tokens[position] === STAR && !states.has(state + 1)) {
        states.add(state + 1);
        pending.push(state + 1);
      }
    }
    return states;
  };

  const start = close(new Set(automata.map((_, i) => key(i, 0))));
  const seen = new Set<string>();
  const pending = [start];
  let maximum = 0;
  while (pending.length > 0) {
    const current = pending.pop() as Set<number>;
    for (const input of inputs) {
      const next = new Set<number>();
      for (const state of current) {
        const tokens = automata[Math.floor(state / 100_000)] as string[];
        const position = state % 100_000;
        if (tokens[position] === input) next.add(state + 1);
        if (position > 0 && tokens[position - 1] === STAR) next.add(state);
      }
      if (next.size === 0) continue;
      close(next);
      maximum = Math.max(maximum, next.size);
      if (maximum > MAX_WILDCARD_COMPLEXITY) return maximum;
      const id = [...next].sort((a, b) => a - b).join(',');
      if (!seen.has(id)) {
        seen.add(id);
        pending.push(next);
      }
    }
  }
  return maximum;
}

const STAR = '\u0001*';

function toTokens({ segments }: WildcardPattern): string[] {
  const tokens: string[] = ['"'];
  segments.forEach((segment, i) => {
    if (i > 0) tokens.push(STAR);
    tokens.push(...segment);
  });
  tokens.push('"');
  return tokens;
}
