/**
 * The receiver's metrics, all derived from the outcome of a request, in one place: what each
 * outcome counts (docs/receiver.md, "Metrics and logs"). The use case records none itself; only the schema-drift
 * detector counts what it finds, per event, while it looks.
 */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { METRIC, type MetricName } from '../shared/contract';
import { MetricUnit } from '../shared/telemetry';
import type { ReceiveOutcome } from './receive';

export interface MetricValue {
  name: MetricName;
  unit: (typeof MetricUnit)[keyof typeof MetricUnit];
  value: number;
}

/** The answer metric of each outcome kind: one count per request. */
const ANSWER_METRIC: Readonly<Record<ReceiveOutcome['kind'], MetricName | undefined>> = {
  accepted: undefined,
  unauthenticated: METRIC.authMissing,
  forbidden: METRIC.authRejected,
  'body-too-large': METRIC.bodiesTooLarge,
  'invalid-body': METRIC.bodiesRejected,
  unavailable: METRIC.batchesFailed,
};

/**
 * The metric values one request's outcome stands for. Counts appear only when non-zero, so
 * dashboards show real activity (and the Silence alarm sees missing data as silence).
 */
export function outcomeMetrics(outcome: ReceiveOutcome): MetricValue[] {
  const values: MetricValue[] = [];
  const add = (name: MetricName, value: number, unit: MetricValue['unit'] = MetricUnit.Count) => {
    if (unit !== MetricUnit.Count || value > 0) values.push({ name, unit, value });
  };
  const answer = ANSWER_METRIC[outcome.kind];
  if (answer !== undefined) add(answer, 1);
  const batch = 'batch' in outcome ? outcome.batch : undefined;
  if (batch === undefined) return values;
  const { summary } = batch;
  if (batch.unsupportedVersion !== undefined) add(METRIC.unsupportedVersion, 1);
  if (batch.decoded) add(METRIC.batches, 1);
  add(METRIC.eventsReceived, summary.received);
  if (batch.eventLagSeconds !== undefined) add(METRIC.eventLag, batch.eventLagSeconds, MetricUnit.Seconds);
  if (batch.publishLatencyMs !== undefined) {
    add(METRIC.publishLatency, batch.publishLatencyMs, MetricUnit.Milliseconds);
  }
  add(METRIC.eventsPublished, summary.published);
  add(METRIC.eventsClaimChecked, summary.claimChecked);
  add(METRIC.eventsSpilled, summary.spilled);
  add(METRIC.eventsQuarantined, summary.quarantined);
  return values;
}

/** Adds the outcome's metric values to the invocation's Powertools buffer (flushed by `logMetrics`). */
export function recordOutcome(metrics: Pick<Metrics, 'addMetric'>, outcome: ReceiveOutcome): void {
  for (const { name, unit, value } of outcomeMetrics(outcome)) metrics.addMetric(name, unit, value);
}
