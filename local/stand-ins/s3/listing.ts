/**
 * S3's listing semantics over a bucket's keys, as ListObjectsV2 and ListObjects (V1) document them:
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjects.html
 *
 * - keys come in ascending UTF-8 binary order ("List results are always returned in UTF-8 binary
 *   order"), only those that begin with `Prefix`;
 * - with a `Delimiter`, keys that contain it after the prefix are rolled up into one
 *   `CommonPrefixes` entry (the prefix through the first delimiter), which counts as one return
 *   against `MaxKeys`;
 * - `MaxKeys` defaults to 1,000 and never exceeds it; `IsTruncated` says more results are left;
 * - listing resumes after `StartAfter`/`Marker` (a key) or after the last result of the previous
 *   page (a continuation token, which also skips the rest of a common prefix already returned).
 */

/** Most results in one page, and the default: "returns up to 1,000 key names". */
export const MAX_KEYS_LIMIT = 1000;

/** UTF-8 binary order of two keys. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export interface ListRequest {
  prefix: string;
  delimiter: string;
  /** Results wanted, already bounded to 0..1000. */
  maxKeys: number;
  /** Only results after this key or common prefix. */
  after?: string;
}

export interface ListPage<T extends { key: string }> {
  objects: T[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last result returned (a key or a common prefix): where the next page starts after. */
  last?: string;
}

/** One page of results from `objects`, which must be in {@link compareKeys} order. */
export function listPage<T extends { key: string }>(
  objects: readonly T[],
  request: ListRequest,
): ListPage<T> {
  const { prefix, delimiter, maxKeys, after } = request;
  const page: ListPage<T> = { objects: [], commonPrefixes: [], isTruncated: false };
  let count = 0;
  let lastPrefix: string | undefined;
  for (const object of objects) {
    const key = object.key;
    if (!key.startsWith(prefix)) continue;
    if (after !== undefined && compareKeys(key, after) <= 0) continue;
    const at = delimiter === '' ? -1 : key.indexOf(delimiter, prefix.length);
    if (at >= 0) {
      const commonPrefix = key.slice(0, at + delimiter.length);
      if (commonPrefix === lastPrefix) continue;
      // A common prefix returned on an earlier page (the token or marker is it, or inside it).
      if (after?.startsWith(commonPrefix)) continue;
      if (count === maxKeys) {
        page.isTruncated = true;
        break;
      }
      page.commonPrefixes.push(commonPrefix);
      lastPrefix = commonPrefix;
      page.last = commonPrefix;
    } else {
      if (count === maxKeys) {
        page.isTruncated = true;
        break;
      }
      page.objects.push(object);
      page.last = key;
    }
    count += 1;
  }
  return page;
}
