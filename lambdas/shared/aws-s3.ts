/**
 * The S3 half of `aws.ts`, which imports this module only when a request first needs S3 (see
 * there why). A module of its own, not `import('@aws-sdk/client-s3')`: importing the package's
 * namespace dynamically keeps every S3 command in the bundle, these named imports only the one used.
 */
import { PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

export { PutObjectCommand };

export function newS3Client(config: S3ClientConfig): S3Client {
  return new S3Client(config);
}
