import { afterAll, beforeAll, expect, it } from 'vitest';
import { readSampleFolder, type SimulationReport, simulate, withFreshIds } from '#local/simulator/index';
import { BRAZE_SAMPLES_DIR, describeWithSharedData } from '../shared-data';
import {
  busEvents,
  busIdCounts,
  copiesExplained,
  readArchive,
  spilloverEmpty,
  startTestPipeline,
  type TestPipeline,
  until,
} from './pipeline';

const samplesDir = BRAZE_SAMPLES_DIR;

// Braze's own samples live beside the project (../shared), never in it; a fresh clone without
// them still passes, with the fixture-factory tests covering the same ground.
describeWithSharedData("Braze's sample files replayed through local mode", [samplesDir], () => {
  let test: TestPipeline;
  let events: Array<Record<string, unknown>>;
  let report: SimulationReport;

  beforeAll(async () => {
    test = await startTestPipeline();
    events = withFreshIds(await readSampleFolder(samplesDir)) as Array<Record<string, unknown>>;
    report = await simulate({ url: test.pipeline.url, token: test.pipeline.token, events });
    // A loaded machine can make the receiver spill: those events reach the bus through the redrive.
    await until(() => {
      const onBus = busIdCounts(test.pipeline);
      return events.every((event) => onBus.has(event.id as string));
    }, 'every sample on the bus');
    await until(() => spilloverEmpty(test), 'the spillover queue to be empty');
    await test.pipeline.settle();
  });

  afterAll(async () => {
    await test?.close();
  });

  it('acknowledges every sample event and puts each on the bus with its detail as sent', () => {
    // Prepare
    const sent = new Map(events.map((e) => [e.id, e]));

    // Act
    const onBus = busEvents(test.pipeline);

    // Assess
    expect(report).toMatchObject({ acknowledged: events.length, dropped: 0 });
    expect(new Set(onBus.map((event) => (event.detail as { id: unknown }).id))).toEqual(new Set(sent.keys()));
    expect(onBus.length - events.length).toBeLessThanOrEqual(copiesExplained(test.pipeline, events.length));
    for (const event of onBus) {
      const detail = event.detail as Record<string, unknown>;
      expect(detail).toEqual(sent.get(detail.id));
      expect(JSON.stringify(detail)).toBe(JSON.stringify(sent.get(detail.id)));
      expect(event['detail-type']).toBe(detail.event_type);
    }
  });

  it('archives every sample under its own event type', async () => {
    // Act
    let archived: Array<{ key: string; line: string }> = [];
    await until(async () => {
      archived = await readArchive(test.s3, test.pipeline.names.archiveBucket);
      return archived.length >= busEvents(test.pipeline).length;
    }, 'every event on the bus in the archive');

    // Assess
    expect(archived).toHaveLength(busEvents(test.pipeline).length);
    expect(new Set(archived.map(({ line }) => JSON.parse(line).id))).toEqual(
      new Set(events.map((e) => e.id)),
    );
    for (const { key, line } of archived) {
      expect(key.startsWith(`events/event_type=${JSON.parse(line).event_type}/`)).toBe(true);
    }
  });
});
