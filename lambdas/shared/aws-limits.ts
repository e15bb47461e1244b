/**
 * The AWS limits an input can break on its way through the receiver, each with the AWS page it
 * comes from. The receiver checks every one of them before it calls AWS (see `docs/limits.md`),
 * and the strict test fakes enforce them independently. No SDK imports: the pure modules, the CDK
 * code and the local stand-ins all read this module.
 */

/**
 * AWS Lambda, synchronous invocation (what API Gateway does): the request payload, i.e. the whole
 * payload-2.0 event JSON, is at most 6 MB, which Lambda counts as 6,291,456 bytes
 * ("Request must be smaller than 6291456 bytes for the InvokeFunction operation").
 * Sources: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html ,
 * https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html
 */
export const LAMBDA_LIMITS = {
  maxSyncRequestPayloadBytes: 6_291_456,
} as const;

/**
 * API Gateway HTTP API: payload at most 10 MB; request line and header values at most 10,240 bytes
 * together. Source: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html
 */
export const HTTP_API_LIMITS = {
  maxPayloadBytes: 10 * 1024 * 1024,
  maxRequestLineAndHeaderBytes: 10_240,
} as const;

/**
 * Amazon EventBridge PutEvents.
 * - 10 entries per request; entry and request size counted by EventBridge's rule (14 bytes for
 *   `Time`, UTF-8 bytes of `Source`, `DetailType`, `Detail`, each of `Resources`), at most 1 MB
 *   (1,048,576 bytes): https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html ,
 *   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html ,
 *   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html
 * - `DetailType` 1–128 characters, `Source` 1–256 characters (the `aws.` prefix is reserved),
 *   each of `Resources` at most 2,048 characters:
 *   https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsRequestEntry.html
 * - `Detail` a JSON object; "PutEvents will only process nested JSON up to 1000 levels deep"; JSON
 *   integers from -9,223,372,036,854,775,808 to 9,223,372,036,854,775,807 (the PutEvents API
 *   reference, above; some SDK copies of that text say 1100 levels, the service page says 1000).
 */
export const PUT_EVENTS_LIMITS = {
  maxEntriesPerRequest: 10,
  /** Total size of one request, counted as EventBridge counts entry sizes. */
  maxRequestBytes: 1024 * 1024,
  /** Largest single entry. */
  maxEntryBytes: 1024 * 1024,
  /** Bytes EventBridge counts for a set `Time`, whatever the timestamp. */
  timeFieldBytes: 14,
  minDetailTypeLength: 1,
  maxDetailTypeLength: 128,
  minSourceLength: 1,
  maxSourceLength: 256,
  reservedSourcePrefix: 'aws.',
  maxResourceLength: 2048,
  maxDetailDepth: 1000,
  minInteger: -(2n ** 63n),
  maxInteger: 2n ** 63n - 1n,
} as const;

/**
 * Amazon SQS: a message body, and all bodies of one SendMessageBatch together, at most 1 MiB
 * (1,048,576 bytes); at most 10 entries per batch; only the XML 1.0 characters
 * `#x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF` are allowed.
 * Sources: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html ,
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-batch-api-actions.html
 */
export const SQS_LIMITS = {
  maxMessageBytes: 1024 * 1024,
  maxBatchBytes: 1024 * 1024,
  maxBatchEntries: 10,
} as const;

/**
 * Amazon S3: an object key is at most 1,024 bytes of UTF-8, prefixes included.
 * Source: https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html
 */
export const S3_LIMITS = {
  maxKeyBytes: 1024,
} as const;

/**
 * A file name (one path segment) on the file systems local mode writes the archive to (ext4, APFS,
 * NTFS: 255 bytes). Not an AWS limit: it bounds the `event_type=<value>` segment so the local
 * archive keeps the deployed layout (contract 2 in the project's coordination notes).
 */
export const FILE_NAME_MAX_BYTES = 255;
