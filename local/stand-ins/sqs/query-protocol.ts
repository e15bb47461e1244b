/**
 * SQS's Query protocol, which SQS still serves next to AWS JSON and which AWS CLI and SDK versions
 * released before November 2023 speak: a form-encoded `Action=<Op>&Version=2012-11-05&...` request
 * (POST, or GET with the same query string), answered in XML in the
 * `http://queue.amazonaws.com/doc/2012-11-05/` namespace, errors as `<ErrorResponse>` with the
 * legacy error code (`AWS.SimpleQueueService.NonExistentQueue`, ...).
 *
 * Request parameters are flattened as the Query protocol flattens them (SQS API Reference,
 * "Making Query API requests"): lists as `AttributeName.1`, maps as `Attribute.1.Name` /
 * `Attribute.1.Value`, message attributes as `MessageAttribute.1.Name` /
 * `MessageAttribute.1.Value.StringValue`, batch entries as `SendMessageBatchRequestEntry.1.Id`.
 * This module turns them into the input the JSON operations take, and their output into the
 * XML shape of each action's response, so both protocols share one implementation.
 */
import type { IncomingMessage } from 'node:http';
import { type AlternateProtocol, AwsServiceError } from '../aws-json-server';

export const SQS_QUERY_NAMESPACE = 'http://queue.amazonaws.com/doc/2012-11-05/';
export const SQS_QUERY_VERSION = '2012-11-05';

/** Integer parameters: form values are text, the operations take numbers. */
const INTEGER_FIELDS = new Set([
  'MaxNumberOfMessages',
  'VisibilityTimeout',
  'WaitTimeSeconds',
  'DelaySeconds',
]);

/** `<Prefix>.N....` batch entry lists, by the JSON field they become. */
const BATCH_ENTRY_PREFIXES: Record<string, string> = {
  SendMessageBatchRequestEntry: 'Entries',
  DeleteMessageBatchRequestEntry: 'Entries',
  ChangeMessageVisibilityBatchRequestEntry: 'Entries',
};

/** `<Prefix>.N` string lists. */
const STRING_LIST_PREFIXES: Record<string, string> = {
  AttributeName: 'AttributeNames',
  MessageAttributeName: 'MessageAttributeNames',
  MessageSystemAttributeName: 'MessageSystemAttributeNames',
};

export const sqsQueryProtocol: AlternateProtocol = {
  accepts(request: IncomingMessage): boolean {
    if (request.method === 'GET')
      return new URL(request.url ?? '/', 'http://local').searchParams.has('Action');
    const type = String(request.headers['content-type'] ?? '');
    return request.method === 'POST' && type.startsWith('application/x-www-form-urlencoded');
  },

  parse(request: IncomingMessage, body: Buffer) {
    const url = new URL(request.url ?? '/', 'http://local');
    const params = request.method === 'GET' ? url.searchParams : new URLSearchParams(body.toString('utf8'));
    const operation = params.get('Action');
    if (!operation) {
      throw new AwsServiceError(
        'MissingAction',
        'The request must contain the parameter Action.',
        400,
        'MissingAction',
      );
    }
    const input = queryInput(params);
    // Older clients may address the queue by its URL path instead of the QueueUrl parameter.
    if (input.QueueUrl === undefined && /^\/\d{12}\/[^/]+\/?$/.test(url.pathname)) {
      input.QueueUrl = `http://${request.headers.host ?? 'localhost'}${url.pathname}`;
    }
    return { operation, input };
  },

  success(operation: string, output: unknown, requestId: string) {
    const result = resultXml(operation, (output ?? {}) as Record<string, unknown>);
    return {
      contentType: 'text/xml',
      body:
        `<?xml version="1.0"?><${operation}Response xmlns="${SQS_QUERY_NAMESPACE}">${result}` +
        `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`,
    };
  },

  failure(error: AwsServiceError, requestId: string) {
    const type = error.statusCode < 500 ? 'Sender' : 'Receiver';
    return {
      contentType: 'text/xml',
      body:
        `<?xml version="1.0"?><ErrorResponse xmlns="${SQS_QUERY_NAMESPACE}"><Error><Type>${type}</Type>` +
        `<Code>${escapeXml(error.queryErrorCode ?? error.code)}</Code><Message>${escapeXml(error.message)}</Message>` +
        `<Detail/></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
    };
  },
};

/** The flattened form parameters as the JSON input of the same operation. */
export function queryInput(params: URLSearchParams): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  const maps: Record<string, Map<string, Record<string, string>>> = {};
  const member = (group: string, index: string) => {
    maps[group] ??= new Map();
    const entries = maps[group];
    let entry = entries.get(index);
    if (!entry) {
      entry = {};
      entries.set(index, entry);
    }
    return entry;
  };
  for (const [name, value] of params) {
    if (name === 'Action' || name === 'Version') continue;
    const parts = name.split('.');
    const [head, index] = parts;
    if (parts.length === 1) {
      input[name] = INTEGER_FIELDS.has(name) ? toInteger(value) : value;
    } else if (head && index && /^\d+$/.test(index)) {
      member(head, index)[parts.slice(2).join('.')] = value;
    }
  }
  for (const [group, entries] of Object.entries(maps)) {
    const ordered = [...entries.entries()]
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([, entry]) => entry);
    if (group in STRING_LIST_PREFIXES) {
      input[STRING_LIST_PREFIXES[group] as string] = ordered.map((entry) => entry[''] ?? '');
    } else if (group === 'Attribute') {
      input.Attributes = Object.fromEntries(ordered.map((entry) => [entry.Name ?? '', entry.Value ?? '']));
    } else if (group === 'Tag') {
      input.tags = Object.fromEntries(ordered.map((entry) => [entry.Key ?? '', entry.Value ?? '']));
    } else if (group === 'MessageAttribute') {
      input.MessageAttributes = messageAttributes(ordered);
    } else if (group in BATCH_ENTRY_PREFIXES) {
      input[BATCH_ENTRY_PREFIXES[group] as string] = ordered.map(batchEntry);
    }
  }
  return input;
}

/** One `SendMessageBatchRequestEntry.N.*` (or delete / visibility) entry as a JSON entry. */
function batchEntry(flat: Record<string, string>): Record<string, unknown> {
  const entry: Record<string, unknown> = {};
  const attributes = new Map<string, Record<string, string>>();
  for (const [name, value] of Object.entries(flat)) {
    const match = /^MessageAttribute\.(\d+)\.(.+)$/.exec(name);
    if (match?.[1] && match[2]) {
      const attribute = attributes.get(match[1]) ?? {};
      attribute[match[2]] = value;
      attributes.set(match[1], attribute);
    } else if (!name.includes('.')) {
      entry[name] = INTEGER_FIELDS.has(name) ? toInteger(value) : value;
    }
  }
  if (attributes.size > 0) {
    entry.MessageAttributes = messageAttributes(
      [...attributes.entries()].sort(([a], [b]) => Number(a) - Number(b)).map(([, attribute]) => attribute),
    );
  }
  return entry;
}

function messageAttributes(entries: Record<string, string>[]): Record<string, Record<string, string>> {
  return Object.fromEntries(
    entries.map((entry) => [
      entry.Name ?? '',
      {
        DataType: entry['Value.DataType'] ?? '',
        ...(entry['Value.StringValue'] !== undefined ? { StringValue: entry['Value.StringValue'] } : {}),
        ...(entry['Value.BinaryValue'] !== undefined ? { BinaryValue: entry['Value.BinaryValue'] } : {}),
      },
    ]),
  );
}

/** A form integer, or the text itself so the operation refuses it with its own message. */
function toInteger(value: string): number | string {
  return /^-?\d+$/.test(value) ? Number(value) : value;
}

/** The `<OpResult>` element of each action's response (none for actions that answer nothing). */
function resultXml(operation: string, output: Record<string, unknown>): string {
  const wrap = (inner: string) => `<${operation}Result>${inner}</${operation}Result>`;
  switch (operation) {
    case 'CreateQueue':
    case 'GetQueueUrl':
      return wrap(element('QueueUrl', output.QueueUrl));
    case 'ListQueues':
      return wrap(
        list(output.QueueUrls)
          .map((url) => element('QueueUrl', url))
          .join(''),
      );
    case 'GetQueueAttributes':
      return wrap(nameValues('Attribute', output.Attributes));
    case 'SendMessage':
      return wrap(fields(output, ['MD5OfMessageBody', 'MD5OfMessageAttributes', 'MessageId']));
    case 'SendMessageBatch':
      return wrap(
        list(output.Successful)
          .map(
            (entry) =>
              `<SendMessageBatchResultEntry>${fields(entry, ['Id', 'MessageId', 'MD5OfMessageBody', 'MD5OfMessageAttributes'])}</SendMessageBatchResultEntry>`,
          )
          .join('') + batchErrors(output.Failed),
      );
    case 'DeleteMessageBatch':
    case 'ChangeMessageVisibilityBatch':
      return wrap(
        list(output.Successful)
          .map((entry) => `<${operation}ResultEntry>${fields(entry, ['Id'])}</${operation}ResultEntry>`)
          .join('') + batchErrors(output.Failed),
      );
    case 'ReceiveMessage':
      return wrap(list(output.Messages).map(messageXml).join(''));
    default:
      return '';
  }
}

function messageXml(message: unknown): string {
  const record = message as Record<string, unknown>;
  const attributes = (record.MessageAttributes ?? {}) as Record<string, Record<string, unknown>>;
  return (
    `<Message>${fields(record, ['MessageId', 'ReceiptHandle', 'MD5OfBody', 'Body'])}` +
    nameValues('Attribute', record.Attributes) +
    fields(record, ['MD5OfMessageAttributes']) +
    Object.entries(attributes)
      .map(
        ([name, value]) =>
          `<MessageAttribute>${element('Name', name)}<Value>${fields(value, ['StringValue', 'BinaryValue', 'DataType'])}</Value></MessageAttribute>`,
      )
      .join('') +
    '</Message>'
  );
}

function batchErrors(failed: unknown): string {
  return list(failed)
    .map(
      (entry) =>
        `<BatchResultErrorEntry>${fields(entry, ['Id', 'SenderFault', 'Code', 'Message'])}</BatchResultErrorEntry>`,
    )
    .join('');
}

function nameValues(tag: string, map: unknown): string {
  if (typeof map !== 'object' || map === null) return '';
  return Object.entries(map as Record<string, unknown>)
    .map(([name, value]) => `<${tag}>${element('Name', name)}${element('Value', value)}</${tag}>`)
    .join('');
}

function fields(record: unknown, names: string[]): string {
  const values = (record ?? {}) as Record<string, unknown>;
  return names.map((name) => element(name, values[name])).join('');
}

function element(name: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/**
 * XML text escaping; carriage returns are written as `&#xD;` so an XML parser does not normalise
 * them away and a message body comes back byte for byte (its MD5 must match).
 */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\r/g, '&#xD;');
}
