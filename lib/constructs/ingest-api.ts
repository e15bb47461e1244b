import { Duration, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { RECEIVER_PATH } from '#lambdas/shared/contract';
import { logGroup } from './secure-defaults';

export interface IngestApiProps {
  readonly receiver: lambda.IFunction;
  /** Steady-state requests per second before API Gateway answers 429. */
  readonly throttlingRateLimit: number;
  /** Burst of requests before API Gateway answers 429. */
  readonly throttlingBurstLimit: number;
  readonly logRetention: logs.RetentionDays;
}

/**
 * Fields of every access log line. No header is logged, so the bearer token never reaches the
 * logs; the source IP is, because the allow-list is decided on it.
 */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  httpMethod: '$context.httpMethod',
  path: '$context.path',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  requestLength: '$context.requestLength',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integration.status',
  integrationLatency: '$context.integration.latency',
  integrationError: '$context.integration.error',
  error: '$context.error.message',
};

/**
 * The HTTPS endpoint Braze posts to: an HTTP API with the single route `POST /currents`, proxied to
 * the receiver (payload format 2.0), JSON access logs, and stage throttling so a runaway sender gets
 * 429 instead of a bill.
 *
 * HTTP APIs have no resource policies, so the optional source-IP allow-list cannot be enforced
 * here: the stack hands it to the receiver (env `ALLOWED_SOURCE_CIDRS`), which answers 403.
 */
export class IngestApi extends Construct {
  public readonly api: apigwv2.HttpApi;
  public readonly stage: apigwv2.HttpStage;
  public readonly accessLogs: logs.LogGroup;
  /** The URL to paste into the Braze connector. */
  public readonly connectorUrl: string;

  constructor(scope: Construct, id: string, props: IngestApiProps) {
    super(scope, id);

    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: 'Receives Braze Currents batches (Custom HTTP connector)',
      createDefaultStage: false,
    });

    this.accessLogs = logGroup(this, 'AccessLogs', props.logRetention);

    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttlingRateLimit, burstLimit: props.throttlingBurstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    const routes = this.api.addRoutes({
      path: RECEIVER_PATH,
      methods: [apigwv2.HttpMethod.POST],
      integration: new HttpLambdaIntegration('Receiver', props.receiver, {
        payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
        timeout: Duration.seconds(29),
      }),
    });
    for (const route of routes) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Braze sends a static bearer token; the receiver checks it against Secrets Manager in constant ' +
          'time and must answer 401 and 403 as the Braze contract requires, which an authorizer cannot.',
      });
    }

    this.connectorUrl = `${this.api.apiEndpoint}${RECEIVER_PATH}`;
  }

  /** Requests the API answered with a 5xx, whoever produced it (API Gateway or the receiver). */
  metricServerErrors(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.api.metricServerError({
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
      ...props,
    });
  }
}
