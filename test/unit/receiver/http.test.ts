/**
 * The HTTP answer of each outcome, and the answers table against the docs' "HTTP contract (as
 * built)" table (docs/receiver.md), row by row: each row of the docs leads to the outcomes named
 * below (the use case's, proven by test/unit/receiver/handler.test.ts), and the row's statuses and
 * the headers it names for each status are exactly HTTP_ANSWERS' for those outcomes. A row added,
 * dropped, reordered or changed on either side fails.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HTTP_ANSWERS, httpResponse, unexpectedErrorMapper } from '#lambdas/receiver/http';
import { AUTH_MESSAGES, type BatchReport } from '#lambdas/receiver/receive';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/** The rows of the first table under a heading "HTTP contract", in README.md or any docs/ page. */
function contractRows(): { request: string; answer: string }[] {
  const pages = ['README.md', ...readdirSync(path.join(root, 'docs')).map((name) => path.join('docs', name))];
  for (const page of pages.filter((name) => name.endsWith('.md'))) {
    const lines = readFileSync(path.join(root, page), 'utf8').split('\n');
    const heading = lines.findIndex((line) => /^#+ HTTP contract/.test(line));
    if (heading < 0) continue;
    const start = lines.findIndex((line, index) => index > heading && line.startsWith('|'));
    const end = lines.findIndex((line, index) => index > start && !line.startsWith('|'));
    return lines
      .slice(start + 2, end)
      .map((line) => line.split(' | '))
      .map(([request = '', answer = '']) => ({ request, answer }));
  }
  throw new Error('no "HTTP contract" heading in README.md or docs/');
}

const batch: BatchReport = {
  summary: { batchId: 'b', received: 1, published: 1, spilled: 0, quarantined: 0, claimChecked: 0 },
  decoded: true,
};

describe('httpResponse', () => {
  it('answers 200 with the summary, in its key order', () => {
    const response = httpResponse({ kind: 'accepted', batch });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(
      '{"batchId":"b","received":1,"published":1,"spilled":0,"quarantined":0,"claimChecked":0}',
    );
  });

  it('answers 4xx with the outcome message and the row headers', () => {
    const response = httpResponse({ kind: 'unauthenticated', message: AUTH_MESSAGES.missingBearer });
    expect(response).toEqual({
      statusCode: 401,
      headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer' },
      body: JSON.stringify({ message: AUTH_MESSAGES.missingBearer }),
    });
    expect(httpResponse({ kind: 'body-too-large', message: 'too big', batch }).statusCode).toBe(413);
    expect(httpResponse({ kind: 'invalid-body', message: 'bad', batch }).statusCode).toBe(400);
  });

  it('answers 503 with Retry-After and no detail, whatever failed', () => {
    const response = httpResponse({ kind: 'unavailable', dependency: 'quarantine', batch });
    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ 'retry-after': '30' });
    expect(JSON.parse(String(response.body))).toEqual({ message: 'Service Unavailable' });
  });
});

type Outcome = keyof typeof HTTP_ANSWERS;

/**
 * The docs' rows in order: a phrase of the row's request, and the outcome(s) the receiver gives that
 * request (two where the answer depends on a dependency). `api-gateway`: the function never runs.
 */
const ROW_OUTCOMES: readonly (readonly [phrase: string, outcomes: readonly Outcome[] | 'api-gateway'])[] = [
  ['no `Authorization` header', ['unauthenticated']],
  ['a Bearer token that is not one of the active tokens', ['forbidden']],
  ['`ALLOWED_SOURCE_CIDRS` is set and the source IP is outside it', ['forbidden']],
  ['valid token and an empty (or all-blank) body', ['accepted']],
  ['body not JSON', ['invalid-body']],
  ['an element of `events` that is not an object', ['accepted']],
  ['more than 1,000 elements in `events`', ['body-too-large']],
  ['unknown `event_type`, unknown fields', ['accepted']],
  ['body over `MAX_BODY_BYTES`', ['body-too-large']],
  ["exceeds Lambda's 6 MB invocation limit", 'api-gateway'],
  ['larger than `CLAIM_CHECK_THRESHOLD_BYTES`', ['accepted']],
  ['the spillover queue takes the remaining entries', ['accepted']],
  ['a non-retryable code', ['accepted']],
  ['refuses a whole call as invalid', ['accepted']],
  ['a dependency (EventBridge, SQS, S3, Secrets Manager) does not answer', ['unavailable', 'accepted']],
  ['EventBridge and the spillover queue both fail', ['unavailable']],
  ['`Braze-Currents-Version` present and other than `1`', ['accepted']],
  ['the secret holding the tokens cannot be read', ['unavailable']],
  ['anything unexpected', ['unexpected-error']],
];

/** An answer cell cut at each bold status: the status, and the headers (`Name: value`) that follow it. */
function answersIn(cell: string): { status: string; headers: Record<string, string | undefined> }[] {
  const parts = cell.split(/\*\*(\d{3})\*\*/);
  const answers: { status: string; headers: Record<string, string | undefined> }[] = [];
  for (let index = 1; index < parts.length; index += 2) {
    const headers: Record<string, string | undefined> = {};
    for (const [, name = '', value] of (parts[index + 1] ?? '').matchAll(
      /`([A-Za-z]+(?:-[A-Za-z]+)+)(?:: ([^`]*))?`/g,
    )) {
      headers[name.toLowerCase()] = value;
    }
    answers.push({ status: parts[index] ?? '', headers });
  }
  return answers;
}

describe('HTTP_ANSWERS against the docs contract table', () => {
  const rows = contractRows();

  it('has the rows this test knows, in order, each naming its request', () => {
    expect(
      rows.map((row, index) => [index, row.request.includes(ROW_OUTCOMES[index]?.[0] ?? '\u0000')]),
    ).toEqual(ROW_OUTCOMES.map((_, index) => [index, true]));
  });

  it('gives each row exactly the status and headers of its outcomes', () => {
    for (const [index, [phrase, outcomes]] of ROW_OUTCOMES.entries()) {
      const answer = rows[index]?.answer ?? '';
      if (outcomes === 'api-gateway') {
        expect(answer, phrase).toMatch(/^API Gateway's answer, not ours: \*\*5\d\d\*\*/);
        continue;
      }
      const documented = answersIn(answer);
      const built = outcomes.map((outcome) => ({
        status: String(HTTP_ANSWERS[outcome].statusCode),
        headers: { ...HTTP_ANSWERS[outcome].headers },
      }));
      expect(documented, phrase).toEqual(built);
    }
  });

  it('documents every outcome, first in the order HTTP_ANSWERS lists them', () => {
    const firstNamed = [
      ...new Set(ROW_OUTCOMES.flatMap(([, outcomes]) => (outcomes === 'api-gateway' ? [] : outcomes))),
    ];
    expect(firstNamed).toEqual(Object.keys(HTTP_ANSWERS));
  });

  it('quotes the authentication messages as the use case returns them', () => {
    const text = rows.map((row) => row.answer).join('\n');
    for (const message of Object.values(AUTH_MESSAGES)) {
      expect(text).toContain(`{"message":"${message}"}`);
    }
  });

  it('quotes the bare 500 body as the error mapper answers it', () => {
    const request = { error: new Error('boom'), response: undefined } as unknown as Parameters<
      NonNullable<ReturnType<typeof unexpectedErrorMapper>['onError']>
    >[0];
    unexpectedErrorMapper({ error: () => undefined }).onError?.(request);
    const index = ROW_OUTCOMES.findIndex(
      ([, outcomes]) => outcomes !== 'api-gateway' && outcomes.includes('unexpected-error'),
    );
    expect(rows[index]?.answer).toContain(`\`${String((request.response as { body: string }).body)}\``);
  });
});
