/**
 * Matching an event against validated field conditions, with EventBridge's view of an event: a set
 * of leaf values, each under the path of field names that leads to it joined with `.` (so
 * `{"a":{"b":1}}` and `{"a.b":1}` are the same to a rule), where an array contributes each of its
 * elements and an empty object or array contributes nothing.
 *
 * Values inside arrays carry the position of every array they came through, because the service
 * only matches two fields of a rule against values from the *same* element of an array: the pattern
 * `{"items":{"sku":["a"],"qty":[1]}}` does not match `{"items":[{"sku":"a","qty":2},{"sku":"b","qty":1}]}`.
 */
import { isLosslessNumber } from './event-json';
import type { Scalar } from './operators';
import type { FieldCondition } from './validate';

interface Leaf {
  value: Scalar;
  /** `[arrayId, index]` for every array on the way to the value, outermost first. */
  arrays: readonly (readonly [number, number])[];
}

type FlatEvent = Map<string, Leaf[]>;

/**
 * Which members to look up in an object found at a given path: for each path leading to a condition's
 * path, the remaining names — a single key, or a dotted one, since `{"a.b": 1}` counts as `a.b`.
 * Looking up these few names, instead of walking every member of the event, keeps matching fast
 * however large the event is.
 */
export type VisitPlan = ReadonlyMap<string, readonly { key: string; path: string }[]>;

export function planVisit(conditions: Iterable<FieldCondition>): VisitPlan {
  const targets = new Set<string>();
  for (const { path } of conditions) {
    for (let dot = path.indexOf('.'); dot >= 0; dot = path.indexOf('.', dot + 1))
      targets.add(path.slice(0, dot));
    targets.add(path);
  }
  const plan = new Map<string, { key: string; path: string }[]>();
  for (const prefix of ['', ...targets]) {
    const lookups = [...targets]
      .filter((path) => prefix === '' || path.startsWith(`${prefix}.`))
      .map((path) => ({ key: prefix === '' ? path : path.slice(prefix.length + 1), path }));
    if (lookups.length > 0) plan.set(prefix, lookups);
  }
  return plan;
}

/** The event's leaf values under the paths of the plan. */
export function flattenEvent(event: Record<string, unknown>, plan: VisitPlan): FlatEvent {
  const flat: FlatEvent = new Map();
  let nextArrayId = 0;

  const visit = (value: unknown, path: string, arrays: Leaf['arrays']): void => {
    if (Array.isArray(value)) {
      const arrayId = nextArrayId++;
      for (const [index, element] of value.entries()) {
        // Like event-ruler (`Event.traverseArray`), only an object or array element is tied to its
        // position; a scalar element belongs to no element of this array, so it agrees with a value
        // taken from any sibling object: `{"a":[1,{"b":2}]}` matches `{"a":[1],"a.b":[2]}`.
        const nested = element !== null && typeof element === 'object' && !isLosslessNumber(element);
        visit(element, path, nested ? [...arrays, [arrayId, index]] : arrays);
      }
    } else if (isLosslessNumber(value)) {
      addLeaf(value, path, arrays);
    } else if (value !== null && typeof value === 'object') {
      visitMembers(value as Record<string, unknown>, path, arrays);
    } else if (isScalar(value)) {
      addLeaf(value, path, arrays);
    }
  };
  const addLeaf = (value: Scalar, path: string, arrays: Leaf['arrays']): void => {
    const leaves = flat.get(path);
    if (leaves) leaves.push({ value, arrays });
    else flat.set(path, [{ value, arrays }]);
  };
  const visitMembers = (object: Record<string, unknown>, prefix: string, arrays: Leaf['arrays']): void => {
    for (const { key, path } of plan.get(prefix) ?? []) {
      if (Object.hasOwn(object, key)) visit(object[key], path, arrays);
    }
  };

  visitMembers(event, '', []);
  return flat;
}

function isScalar(value: unknown): value is Scalar {
  return (
    value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
  );
}

interface Choice {
  /** Values that satisfy the condition; one of them must be taken, unless the field may be absent. */
  passing: readonly Leaf[];
  /** Every value at the path, to decide whether the field is absent. */
  present: readonly Leaf[];
  matchesAbsence: boolean;
}

const NO_LEAVES: readonly Leaf[] = [];

/**
 * Whether every condition of the branch holds, with values drawn consistently from arrays. The
 * conditions come in the order the service evaluates them (by path), which matters for
 * `exists: false`: like the service, a field counts as absent when no value of it belongs to the
 * array elements already chosen for the conditions before it.
 */
export function branchMatches(conditions: readonly FieldCondition[], flat: FlatEvent): boolean {
  const choices: Choice[] = [];
  for (const condition of conditions) {
    const present = flat.get(condition.path) ?? NO_LEAVES;
    if (condition.matchesAbsence && present.length === 0) continue;
    const passing = condition.matchesAnyValue
      ? present
      : present.filter((leaf) => condition.test?.(leaf.value) === true);
    // A value outside every array agrees with any choice made for the other fields.
    if (passing.some((leaf) => leaf.arrays.length === 0)) continue;
    if (
      passing.length === 0 &&
      (!condition.matchesAbsence || present.some((leaf) => leaf.arrays.length === 0))
    ) {
      return false;
    }
    choices.push({ passing, present, matchesAbsence: condition.matchesAbsence });
  }
  return choose(choices, 0, new Map());
}

/** Backtracking search for one value per condition such that shared arrays agree on the element. */
function choose(choices: readonly Choice[], next: number, chosen: Map<number, number>): boolean {
  const choice = choices[next];
  if (!choice) return true;
  for (const leaf of choice.passing) {
    const added: number[] = [];
    let consistent = true;
    for (const [arrayId, index] of leaf.arrays) {
      const existing = chosen.get(arrayId);
      if (existing === undefined) {
        chosen.set(arrayId, index);
        added.push(arrayId);
      } else if (existing !== index) {
        consistent = false;
        break;
      }
    }
    if (consistent && choose(choices, next + 1, chosen)) return true;
    for (const arrayId of added) chosen.delete(arrayId);
  }
  const absent = choice.matchesAbsence && !choice.present.some((leaf) => agrees(leaf, chosen));
  return absent && choose(choices, next + 1, chosen);
}

function agrees(leaf: Leaf, chosen: ReadonlyMap<number, number>): boolean {
  return leaf.arrays.every(([arrayId, index]) => {
    const existing = chosen.get(arrayId);
    return existing === undefined || existing === index;
  });
}
