/**
 * S3's error responses: HTTP status plus an XML `<Error><Code>…</Code><Message>…</Message>`, with
 * the codes and statuses of "Error responses":
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList
 */
export class S3Error extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    /** Extra elements of the error document (`Key`, `BucketName`, `ArgumentName`, …). */
    readonly details: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const s3Errors = {
  noSuchBucket: (bucket: string) =>
    new S3Error('NoSuchBucket', 404, 'The specified bucket does not exist', { BucketName: bucket }),
  noSuchKey: (key: string) =>
    new S3Error('NoSuchKey', 404, 'The specified key does not exist.', { Key: key }),
  noSuchUpload: (uploadId: string) =>
    new S3Error(
      'NoSuchUpload',
      404,
      'The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed.',
      { UploadId: uploadId },
    ),
  keyTooLong: () => new S3Error('KeyTooLongError', 400, 'Your key is too long'),
  invalidBucketName: (bucket: string) =>
    new S3Error('InvalidBucketName', 400, 'The specified bucket is not valid.', { BucketName: bucket }),
  bucketNotEmpty: (bucket: string) =>
    new S3Error('BucketNotEmpty', 409, 'The bucket you tried to delete is not empty', { BucketName: bucket }),
  bucketAlreadyOwnedByYou: (bucket: string) =>
    new S3Error(
      'BucketAlreadyOwnedByYou',
      409,
      'Your previous request to create the named bucket succeeded and you already own it.',
      { BucketName: bucket },
    ),
  invalidArgument: (message: string, name?: string, value?: string) =>
    new S3Error('InvalidArgument', 400, message, {
      ...(name !== undefined ? { ArgumentName: name } : {}),
      ...(value !== undefined ? { ArgumentValue: value } : {}),
    }),
  invalidRequest: (message: string) => new S3Error('InvalidRequest', 400, message),
  invalidRange: (size: number) =>
    new S3Error('InvalidRange', 416, 'The requested range is not satisfiable', {
      ActualObjectSize: String(size),
    }),
  badDigest: (message: string) => new S3Error('BadDigest', 400, message),
  invalidDigest: () => new S3Error('InvalidDigest', 400, 'The Content-MD5 you specified is not valid.'),
  incompleteBody: () =>
    new S3Error(
      'IncompleteBody',
      400,
      'You did not provide the number of bytes specified by the Content-Length HTTP header.',
    ),
  entityTooLarge: (max: number) =>
    new S3Error('EntityTooLarge', 400, 'Your proposed upload exceeds the maximum allowed size', {
      MaxSizeAllowed: String(max),
    }),
  entityTooSmall: () =>
    new S3Error(
      'EntityTooSmall',
      400,
      'Your proposed upload is smaller than the minimum allowed object size.',
    ),
  invalidPart: (message: string) => new S3Error('InvalidPart', 400, message),
  invalidPartOrder: () =>
    new S3Error(
      'InvalidPartOrder',
      400,
      'The list of parts was not in ascending order. Parts must be ordered by part number.',
    ),
  malformedXml: () =>
    new S3Error(
      'MalformedXML',
      400,
      'The XML you provided was not well-formed or did not validate against our published schema.',
    ),
  notImplemented: (what: string) =>
    new S3Error(
      'NotImplemented',
      501,
      `A header or query you provided implies functionality that is not implemented: ${what}`,
    ),
  methodNotAllowed: (method: string) =>
    new S3Error(
      'MethodNotAllowed',
      405,
      `The specified method is not allowed against this resource: ${method}`,
    ),
  preconditionFailed: (condition: string) =>
    new S3Error('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold', {
      Condition: condition,
    }),
  invalidUri: () => new S3Error('InvalidURI', 400, "Couldn't parse the specified URI."),
};
