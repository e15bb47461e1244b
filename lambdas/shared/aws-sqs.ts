/**
 * The SQS half of `aws.ts`, which imports this module only when a request first needs SQS (see
 * there why). A module of its own, not `import('@aws-sdk/client-sqs')`: importing the package's
 * namespace dynamically keeps every SQS command in the bundle, these named imports only the one used.
 */
import { SendMessageBatchCommand, SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';

export { SendMessageBatchCommand };

export function newSqsClient(config: SQSClientConfig): SQSClient {
  return new SQSClient(config);
}
