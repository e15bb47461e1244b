import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE_NAME } from '#lambdas/shared/contract';
import { bundledFunctionCode, FUNCTION_NODE_OPTIONS, FUNCTION_RUNTIME } from './function-bundle';
import { logGroup } from './secure-defaults';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface BridgeFunctionProps {
  /** Path of the handler module, relative to the repository root, e.g. `lambdas/receiver/index.ts`. */
  readonly entry: string;
  /** What the function does, shown in the console. */
  readonly description: string;
  /** Environment of the function, on top of the Powertools settings. */
  readonly environment: Record<string, string>;
  /**
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * 1 GB buys a full vCPU share for JSON work at little extra cost per request.
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * A Node.js Lambda function with every operational default of the project in one place: runtime,
 * ARM64, esbuild bundling with code splitting (minified ESM, source maps: function-bundle.ts says
 * why not `NodejsFunction`'s bundling), its own log group with retention, and an execution role
 * that may write only to that log group.
 */
export class BridgeFunction extends Construct {
  public readonly function: lambda.Function;
  public readonly logGroup: logs.LogGroup;
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: BridgeFunctionProps) {
    super(scope, id);

    this.logGroup = logGroup(this, 'Logs', props.logRetention ?? logs.RetentionDays.ONE_MONTH);

    // An own role instead of the default one, which carries the AWS-managed
    // AWSLambdaBasicExecutionRole policy: that policy may write to every log group of the account.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.description}`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new lambda.Function(this, 'Function', {
      code: bundledFunctionCode(repoRoot, props.entry),
      // The bundle's entry file is index.mjs (function-bundle.ts).
      handler: 'index.handler',
      description: props.description,
      runtime: FUNCTION_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        NODE_OPTIONS: FUNCTION_NODE_OPTIONS,
        ...props.environment,
      },
    });
  }
}
