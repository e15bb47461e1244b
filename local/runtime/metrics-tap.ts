/**
 * Local mode's counts come from the handlers' own EMF metrics (the numbers CloudWatch would show),
 * so the live line can never disagree with what the code measures. Powertools writes EMF through
 * the global console when `POWERTOOLS_DEV` is set; the tap sits on `console.log`, sums every EMF
 * document it sees and swallows it (unless asked to echo), and lets all other output through.
 */

/** The metric values of one EMF document, summed per metric name; undefined for any other line. */
export function parseEmf(line: string): Record<string, number> | undefined {
  if (!line.startsWith('{') || !line.includes('"_aws"')) return undefined;
  let document: unknown;
  try {
    document = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof document !== 'object' || document === null) return undefined;
  const record = document as Record<string, unknown>;
  const aws = record._aws as
    | { CloudWatchMetrics?: Array<{ Metrics?: Array<{ Name?: unknown }> }> }
    | undefined;
  const directives = aws?.CloudWatchMetrics;
  if (!Array.isArray(directives)) return undefined;
  const values: Record<string, number> = {};
  for (const directive of directives) {
    for (const metric of directive.Metrics ?? []) {
      if (typeof metric.Name !== 'string') continue;
      const value = record[metric.Name];
      const numbers = Array.isArray(value) ? value : [value];
      const sum = numbers.reduce<number>((total, n) => total + (typeof n === 'number' ? n : 0), 0);
      values[metric.Name] = (values[metric.Name] ?? 0) + sum;
    }
  }
  return values;
}

export class MetricsTap {
  private readonly sums = new Map<string, number>();
  private original: typeof console.log | undefined;

  constructor(private readonly echo = false) {}

  install(): void {
    if (this.original) return;
    const original = console.log;
    this.original = original;
    console.log = (...args: unknown[]) => {
      const metrics = args.length === 1 && typeof args[0] === 'string' ? parseEmf(args[0]) : undefined;
      if (metrics) {
        this.add(metrics);
        if (!this.echo) return;
      }
      original.apply(console, args);
    };
  }

  uninstall(): void {
    if (!this.original) return;
    console.log = this.original;
    this.original = undefined;
  }

  add(metrics: Record<string, number>): void {
    for (const [name, value] of Object.entries(metrics))
      this.sums.set(name, (this.sums.get(name) ?? 0) + value);
  }

  total(name: string): number {
    return this.sums.get(name) ?? 0;
  }

  totals(): Record<string, number> {
    return Object.fromEntries(this.sums);
  }
}
