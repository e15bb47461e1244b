/**
 * How `npm run query` prints a result: an aligned text table (default), one JSON array of row
 * objects, or CSV (RFC 4180).
 */
import type { QueryResult, QueryValue } from './archive-query';

export const FORMATS = ['table', 'json', 'csv'] as const;
export type OutputFormat = (typeof FORMATS)[number];

/** A cell as text: strings as they are, NULL as `NULL` (table) or empty (CSV), nested values as JSON. */
function cellText(value: QueryValue, nullText: string): string {
  if (value === null) return nullText;
  if (typeof value === 'string') return value;
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * One JSON array of row objects; numbers stay JSON numbers (integers beyond 2^53 arrive here as
 * strings, see `plainValue`). A column name that repeats gets a `_2`, `_3` suffix so no value is lost.
 */
export function formatJson(result: QueryResult): string {
  const keys = uniqueNames(result.columns.map((column) => column.name));
  const rows = result.rows.map((row) =>
    Object.fromEntries(keys.map((key, index) => [key, row[index] ?? null])),
  );
  return `${JSON.stringify(rows, null, 2)}\n`;
}

function uniqueNames(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((name) => {
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    return count === 1 ? name : `${name}_${count}`;
  });
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** CSV with a header row, CRLF line ends (RFC 4180); NULL is an empty field. */
export function formatCsv(result: QueryResult): string {
  const lines = [result.columns.map((column) => csvField(column.name))];
  for (const row of result.rows) lines.push(row.map((value) => csvField(cellText(value, ''))));
  return `${lines.map((fields) => fields.join(',')).join('\r\n')}\r\n`;
}

/** Longest cell printed in a table before it is cut with `…` (the JSON and CSV formats never cut). */
const MAX_TABLE_CELL = 80;

/** An aligned text table with a header rule and a row count; numbers right-aligned. */
export function formatTable(result: QueryResult): string {
  const header = result.columns.map((column) => column.name);
  const cells = result.rows.map((row) =>
    row.map((value) => {
      const text = cellText(value, 'NULL').replace(/[\r\n\t]/g, ' ');
      return text.length > MAX_TABLE_CELL ? `${text.slice(0, MAX_TABLE_CELL - 1)}…` : text;
    }),
  );
  const widths = header.map((name, index) =>
    Math.max(name.length, ...cells.map((row) => (row[index] ?? '').length)),
  );
  const numeric = result.columns.map(
    (_, index) =>
      result.rows.length > 0 &&
      result.rows.every((row) => row[index] === null || typeof row[index] === 'number'),
  );
  const line = (fields: readonly string[]) =>
    fields
      .map((field, index) =>
        numeric[index] ? field.padStart(widths[index] ?? 0) : field.padEnd(widths[index] ?? 0),
      )
      .join(' | ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('-+-');
  const count = `(${result.rows.length} ${result.rows.length === 1 ? 'row' : 'rows'})`;
  return `${[line(header), rule, ...cells.map(line), count].join('\n')}\n`;
}

export function formatResult(result: QueryResult, format: OutputFormat): string {
  if (format === 'json') return formatJson(result);
  if (format === 'csv') return formatCsv(result);
  return formatTable(result);
}
