/**
 * Conformance of the catalog and the registry's schemas with what Braze really sends: every event
 * of `../shared/braze-currents/samples/` (when that folder is there), wrapped as the receiver
 * publishes it, validates against its type's schema with a draft-4 validator, and the drift check
 * finds nothing in them (no false alarm on day one). A fresh clone without the folder skips this
 * suite; CI, which always has it, fails instead (see test/shared-data.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { expect, it, vi } from 'vitest';
import { createDriftDetector } from '#lambdas/receiver/drift';
import { DEFAULT_EVENT_SOURCE } from '#lambdas/shared/contract';
import { prepareEvents } from '#lambdas/shared/entries';
import { registrySchemas } from '#lib/constructs/schema-registry-schemas';
import { toEventBridgeEvent } from '#local/event-pattern/index';
import { BRAZE_SAMPLES_DIR, describeWithSharedData } from '../shared-data';
import { draft04Validator } from '../unit/schemas/validator';

const samplesDir = BRAZE_SAMPLES_DIR;

type SampleEvent = Record<string, unknown> & { event_type: string };

function loadSamples(): SampleEvent[] {
  return readdirSync(samplesDir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .flatMap((name) => JSON.parse(readFileSync(`${samplesDir}${name}`, 'utf8')) as SampleEvent[]);
}

describeWithSharedData(
  'Braze samples against the catalog and the schemas (../shared/braze-currents/samples)',
  [samplesDir],
  () => {
    it('all 107 sample events of the 96 types validate against their schema, as published', () => {
      // Prepare
      const samples = loadSamples();
      const schemas = new Map(
        registrySchemas(DEFAULT_EVENT_SOURCE).map((entry) => [entry.eventType, entry.schema]),
      );
      const validator = draft04Validator();
      const { prepared, invalid } = prepareEvents(samples, {
        source: DEFAULT_EVENT_SOURCE,
        resources: [],
        receivedAt: new Date(),
      });
      // Act
      const failures = prepared.flatMap(({ eventType, entry }) => {
        const schema = schemas.get(eventType);
        if (!schema) return [`${eventType}: no schema`];
        return validator.errors(schema, toEventBridgeEvent(entry)).map((error) => `${eventType}: ${error}`);
      });
      // Assess
      expect(samples).toHaveLength(107);
      expect(new Set(samples.map((event) => event.event_type)).size).toBe(96);
      expect(invalid).toEqual([]);
      expect(failures).toEqual([]);
    });

    it('carry no event type and no user or properties field the catalog lacks', () => {
      // Prepare
      const warn = vi.fn();
      const drift = createDriftDetector({ warn }, { addMetric: vi.fn() } as unknown as Metrics);
      // Act
      const found = drift.record(loadSamples().map((event) => ({ eventType: event.event_type, event })));
      // Assess
      expect(warn.mock.calls.map(([, finding]) => finding)).toEqual([]);
      expect(found).toEqual({ unknownEventTypes: 0, unknownFields: 0 });
    });
  },
);
