/**
 * A JSON Schema draft 4 validator (Ajv's draft-04 build), as a consumer of the registry would
 * validate an event: EventBridge's `x-amazon-events-*` annotations known, `date-time` checked.
 */
import Ajv04 from 'ajv-draft-04';
import type { JsonSchema } from '#lib/constructs/schema-registry-schemas';

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export function draft04Validator() {
  const ajv = new Ajv04({
    allErrors: true,
    strict: true,
    // `required` inside `anyOf` names properties declared beside it, which is plain draft 4; Ajv's
    // strict mode only asks for them to be declared in the same subschema.
    strictRequired: false,
    formats: { 'date-time': DATE_TIME },
  });
  ajv.addVocabulary(['x-amazon-events-source', 'x-amazon-events-detail-type']);
  return {
    /** The errors of `value` against `schema`, as `path message` lines; empty when valid. */
    errors(schema: JsonSchema, value: unknown): string[] {
      const validate = ajv.compile(schema);
      if (validate(value)) return [];
      return (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? ''}`);
    },
  };
}
