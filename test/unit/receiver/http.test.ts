/**
 * The HTTP answer of each outcome, and the answers table against the docs' "HTTP contract (as
 * built)" table: every status the docs promise is a row of HTTP_ANSWERS, and every row of
 * HTTP_ANSWERS is in the docs with its headers, in the same order.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HTTP_ANSWERS, httpResponse } from '#lambdas/receiver/http';
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

describe('HTTP_ANSWERS against the docs contract table', () => {
  // A row answered by API Gateway (the function never runs) is not the receiver's to answer.
  const rows = contractRows().filter((row) => !row.answer.includes('API Gateway'));
  const statusOf = (answer: string) => /\*\*(\d{3})\*\*/.exec(answer)?.[1];

  it('has a row for every status the docs answer, and the docs a row for each of its rows, in order', () => {
    const documented = [...new Set(rows.map((row) => statusOf(row.answer)).filter((status) => status))];
    const built = Object.values(HTTP_ANSWERS).map((answer) => String(answer.statusCode));
    expect(rows.length).toBeGreaterThan(10);
    expect(documented).toEqual(built);
  });

  it('names each header of a row, with its value, wherever the docs give that status', () => {
    for (const { statusCode, headers } of Object.values(HTTP_ANSWERS)) {
      const answers = rows.filter((row) => statusOf(row.answer) === String(statusCode));
      for (const [name, value] of Object.entries(headers)) {
        const spelled = new RegExp(`\`${name}: ${value}\``, 'i');
        expect(
          answers.some((row) => spelled.test(row.answer)),
          `${statusCode} ${name}`,
        ).toBe(true);
      }
    }
  });

  it('quotes the authentication messages as the use case returns them', () => {
    const text = rows.map((row) => row.answer).join('\n');
    for (const message of Object.values(AUTH_MESSAGES)) {
      expect(text).toContain(`{"message":"${message}"}`);
    }
  });
});
