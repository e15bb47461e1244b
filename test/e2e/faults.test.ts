import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '#lambdas/shared/contract';
import { factoryEvents, simulate } from '#local/simulator/index';
import { busIdCounts, readArchive, startTestPipeline, type TestPipeline, until } from './pipeline';

/** Braze-like retries, scaled down so a test takes seconds: same reactions, shorter waits. */
const fastBraze = {
  backoff: { baseDelayMs: 50, maxDelayMs: 500, maxRetryAfterMs: 300 },
  maxAttempts: 200,
  concurrency: 4,
};

describe('faults: nothing acknowledged is lost', () => {
  let test: TestPipeline;

  beforeAll(async () => {
    // A short publish budget makes throttled entries spill over instead of being retried inline;
    // a longer visibility keeps redrive attempts during the faults below the DLQ's receive count.
    test = await startTestPipeline({
      env: { [ENV.publishBudgetMs]: '400' },
      spilloverVisibilityTimeoutSeconds: 4,
    });
  });

  afterAll(async () => {
    await test?.close();
  });

  function standIns() {
    const { eventBridge, sqs } = test.pipeline.standIns;
    const s3Proxy = test.pipeline.standIns.proxies.s3;
    if (!eventBridge || !sqs || !s3Proxy) throw new Error('stand-ins and the S3 fault proxy must be running');
    return { eventBridge, sqs, s3Proxy };
  }

  function spilloverQueues() {
    const name = test.pipeline.names.spilloverQueueUrl.split('/').pop() ?? '';
    const spillover = test.pipeline.standIns.routes.queues.find((queue) => queue.name === name);
    const deadLetter = test.pipeline.standIns.routes.queues.find(
      (queue) => queue.logicalId === spillover?.deadLetterQueueLogicalId,
    );
    if (!spillover || !deadLetter) throw new Error('the spillover queue and its DLQ must be in the template');
    return { spillover: spillover.name, deadLetter: deadLetter.name };
  }

  function messagesIn(queueName: string): number {
    const counts = standIns().sqs.counts(queueName);
    return counts.visible + counts.inFlight + counts.delayed;
  }

  async function spilloverDrained(): Promise<boolean> {
    return messagesIn(spilloverQueues().spillover) === 0;
  }

  it('throttled entries, failing calls and an S3 outage: 0 dropped, every id on the bus and archived', async () => {
    // Prepare
    const { eventBridge, s3Proxy } = standIns();
    const events = factoryEvents({ count: 1_000, seed: 11 });
    eventBridge.faults.seed(7);
    eventBridge.faults.throttleEntries(0.5);
    eventBridge.faults.failCalls({ share: 0.2, kind: 'internal' });
    s3Proxy.fail('unavailable');
    const before = test.pipeline.counts();

    // Act
    const sending = simulate({ url: test.pipeline.url, token: test.pipeline.token, events, ...fastBraze });
    // The EventBridge faults end once the spillover has been used, so that on a slow machine the
    // redrive is not failed into the DLQ (which holds what five redrives could not publish).
    await until(() => test.pipeline.counts().spilled - before.spilled >= 10, 'some spillover');
    eventBridge.faults.clear();
    const report = await sending;
    s3Proxy.heal();
    await until(() => events.every((e) => busIdCounts(test.pipeline).has(e.id)), 'every id on the bus');
    await until(spilloverDrained, 'the spillover queue to drain');
    await test.pipeline.settle();

    // Assess
    expect(report).toMatchObject({ acknowledged: 1_000, dropped: 0, unsent: 0 });
    const after = test.pipeline.counts();
    expect(after.spilled - before.spilled).toBeGreaterThan(0);
    expect(after.redriven - before.redriven).toBeGreaterThan(0);
    expect(messagesIn(spilloverQueues().deadLetter)).toBe(0);
    expect(eventBridge.stats.failedByCode.ThrottlingException).toBeGreaterThan(0);
    expect(eventBridge.stats.callsFailedByCode.InternalException).toBeGreaterThan(0);
    expect(s3Proxy.stats.faulted).toBeGreaterThan(0);
    const archivedIds = new Set(
      (await readArchive(test.s3, test.pipeline.names.archiveBucket)).map(({ line }) => JSON.parse(line).id),
    );
    expect(events.filter((e) => !archivedIds.has(e.id))).toEqual([]);
  });

  it('EventBridge and SQS both down: 503 with Retry-After, and Braze-style retries bring everything through', async () => {
    // Prepare
    const { eventBridge, sqs } = standIns();
    const events = factoryEvents({ count: 300, seed: 12 });
    eventBridge.faults.failCalls({ share: 1, kind: 'internal' });
    sqs.failSends = true;
    const answered503 = () => test.pipeline.counts().responses['503'] ?? 0;
    const before503 = answered503();

    // Act
    const sending = simulate({ url: test.pipeline.url, token: test.pipeline.token, events, ...fastBraze });
    await until(() => answered503() - before503 >= 3, 'the receiver to answer 503 a few times');
    eventBridge.faults.clear();
    sqs.failSends = false;
    const report = await sending;
    await until(() => events.every((e) => busIdCounts(test.pipeline).has(e.id)), 'every id on the bus');

    // Assess
    expect(report).toMatchObject({ acknowledged: 300, dropped: 0, unsent: 0 });
    expect(report.byStatus['503']).toBeGreaterThanOrEqual(3);
    expect(report.retries).toBeGreaterThanOrEqual(3);
  });

  it('answers 503 with a Retry-After header while both are down', async () => {
    // Prepare
    const { eventBridge, sqs } = standIns();
    eventBridge.faults.failCalls({ share: 1, kind: 'internal' });
    sqs.failSends = true;

    // Act
    let response: Response;
    try {
      response = await fetch(test.pipeline.url, {
        method: 'POST',
        headers: { authorization: `Bearer ${test.pipeline.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ events: factoryEvents({ count: 2 }) }),
      });
    } finally {
      eventBridge.faults.clear();
      sqs.failSends = false;
    }

    // Assess
    expect(response.status).toBe(503);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
