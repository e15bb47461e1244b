import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, type MetricName, SERVICE_NAME } from './contract';

export interface Telemetry {
  logger: Logger;
  metrics: Metrics;
}

/** One logger and one metrics buffer per function, with the `service` dimension alarms expect. */
export function createTelemetry(): Telemetry {
  return {
    logger: new Logger({ serviceName: SERVICE_NAME }),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME }),
  };
}

/** Adds a count only when there is something to count, so dashboards show real activity. */
export function count(metrics: Metrics, name: MetricName, value: number): void {
  if (value > 0) metrics.addMetric(name, MetricUnit.Count, value);
}

export { MetricUnit };
