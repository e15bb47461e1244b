import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_EVENT_SOURCE, S3_PREFIX } from '#lambdas/shared/contract';
import { buildApp } from '#lib/app';
import {
  type CloudFormationTemplate,
  LOCAL_CREDENTIALS,
  loadRoutes,
  S3_CLIENT_SETTINGS_FOR_STAND_IN,
  startStandIns,
} from '#local/stand-ins/index';

function synthesizedTemplate(): CloudFormationTemplate {
  const { app, stack } = buildApp({ bundle: false });
  return app.synth().getStackArtifact(stack.artifactId).template as CloudFormationTemplate;
}

describe('the stand-ins on the real synthesized stack', () => {
  let template: CloudFormationTemplate;

  beforeAll(() => {
    template = synthesizedTemplate();
  });

  it('finds the custom bus, the archive rule on it and its Firehose target with the archive layout', () => {
    const routes = loadRoutes(template);

    const busNames = Object.values(routes.buses);
    const archiveTargets = routes.rules
      .filter((rule) => busNames.includes(rule.eventBusName))
      .flatMap((rule) => rule.targets)
      .filter((target) => target.kind === 'firehose');
    expect(busNames).toHaveLength(1);
    expect(archiveTargets).toHaveLength(1);
    expect(archiveTargets[0]?.inputPath).toBe('$.detail');
    expect(archiveTargets[0]?.firehose).toMatchObject({
      prefix: expect.stringContaining(`${S3_PREFIX.archive}event_type=!{partitionKeyFromQuery:event_type}/`),
      errorOutputPrefix: expect.stringContaining(S3_PREFIX.archiveErrors),
      partitionKeyQueries: { event_type: '.event_type|@uri' },
      recordDelimiter: '\n',
      compression: 'GZIP',
    });
    expect(routes.warnings).toEqual([]);
  });

  it('sets up every queue of the stack, with the spillover queue redriving to its dead-letter queue', () => {
    const routes = loadRoutes(template);

    const withDeadLetter = routes.queues.filter((queue) => queue.deadLetterQueueLogicalId);
    expect(withDeadLetter.length).toBeGreaterThan(0);
    for (const queue of withDeadLetter) {
      expect(routes.queues.map((candidate) => candidate.logicalId)).toContain(queue.deadLetterQueueLogicalId);
      expect(JSON.parse(queue.attributes.RedrivePolicy ?? '{}').deadLetterTargetArn).toMatch(
        new RegExp(`:${queue.deadLetterQueueLogicalId}$`),
      );
    }
  });

  describe('archiving through startStandIns', () => {
    let dataDir: string;
    let standIns: Awaited<ReturnType<typeof startStandIns>>;

    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'stack-routing-'));
      standIns = await startStandIns({ dataDir, template });
    });

    afterAll(async () => {
      await standIns.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('archives an event put on the stack bus under events/event_type=<t>/dt=/hour=/ in the archive bucket', async () => {
      const busName = Object.values(standIns.routes.buses)[0];
      const archiveBucket = standIns.routes.rules.flatMap((rule) => rule.targets).find((t) => t.firehose)
        ?.firehose?.bucketName;
      const eventBridge = new EventBridgeClient({
        region: 'us-east-1',
        endpoint: standIns.endpoints.eventBridge,
        credentials: LOCAL_CREDENTIALS,
      });
      const s3 = new S3Client({
        region: 'us-east-1',
        endpoint: standIns.endpoints.s3,
        credentials: LOCAL_CREDENTIALS,
        ...S3_CLIENT_SETTINGS_FOR_STAND_IN,
      });
      const detail = '{"event_type":"users.messages.email.Send","id":"stack-1","time":1763900000}';

      const result = await eventBridge.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: DEFAULT_EVENT_SOURCE,
              DetailType: 'users.messages.email.Send',
              Detail: detail,
              EventBusName: busName,
            },
          ],
        }),
      );
      await standIns.settle();
      const listed = await s3.send(
        new ListObjectsV2Command({ Bucket: archiveBucket, Prefix: S3_PREFIX.archive }),
      );
      const key = listed.Contents?.[0]?.Key ?? '';
      const object = await s3.send(new GetObjectCommand({ Bucket: archiveBucket, Key: key }));
      const text = gunzipSync(Buffer.from((await object.Body?.transformToByteArray()) ?? [])).toString(
        'utf8',
      );

      expect(result.FailedEntryCount).toBe(0);
      expect(listed.Contents).toHaveLength(1);
      expect(key).toMatch(
        /^events\/event_type=users\.messages\.email\.Send\/dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/.+\.gz$/,
      );
      expect(text).toBe(`${detail}\n`);
      eventBridge.destroy();
      s3.destroy();
    });
  });
});
