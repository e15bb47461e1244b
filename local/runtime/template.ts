/**
 * What local mode needs from the synthesized template besides routing (which the EventBridge
 * stand-in reads itself): the receiver and redrive functions with their environment and timeout,
 * and the queue the redrive function's event source mapping drains. Functions are found by what
 * they are wired to, never by hashed logical ids. Pure: no AWS, no I/O.
 */
import { ENV } from '#lambdas/shared/contract';
import { type CloudFormationTemplate, referencedLogicalId } from '../stand-ins/eventbridge/routes';

export interface FunctionDefinition {
  logicalId: string;
  /** Environment variables as the template has them: literal strings or intrinsic functions. */
  environment: Record<string, unknown>;
  timeoutSeconds: number;
  /** `MemorySize`; Lambda's default 128 when the template leaves it out. */
  memorySize: number;
}

export interface PipelineFunctions {
  receiver: FunctionDefinition;
  redrive: FunctionDefinition & {
    /** Logical id of the queue its event source mapping drains (the spillover queue). */
    queueLogicalId: string;
    batchSize: number;
  };
}

type Resource = { Type?: string; Properties?: Record<string, unknown> } | undefined;

function functionDefinition(logicalId: string, resource: Resource): FunctionDefinition {
  const properties = resource?.Properties ?? {};
  const environment =
    (properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
  const timeout = properties.Timeout;
  const memory = properties.MemorySize;
  return {
    logicalId,
    environment,
    timeoutSeconds: typeof timeout === 'number' ? timeout : 3,
    memorySize: typeof memory === 'number' ? memory : 128,
  };
}

export function readPipelineFunctions(template: CloudFormationTemplate): PipelineFunctions {
  const resources = Object.entries(template.Resources ?? {});
  const functions = resources.filter(([, resource]) => resource?.Type === 'AWS::Lambda::Function');

  // The receiver is the function told where to spill over; the redrive is the one that drains it.
  const receiver = functions.find(([, resource]) => {
    const variables = functionDefinition('', resource).environment;
    return ENV.spilloverQueueUrl in variables;
  });
  if (!receiver)
    throw new Error(`no Lambda function with ${ENV.spilloverQueueUrl} in the template: not a receiver`);
  const spilloverQueue = referencedLogicalId(
    functionDefinition('', receiver[1]).environment[ENV.spilloverQueueUrl],
  );

  const mapping = resources.find(
    ([, resource]) =>
      resource?.Type === 'AWS::Lambda::EventSourceMapping' &&
      referencedLogicalId(resource.Properties?.EventSourceArn) === spilloverQueue,
  );
  const redriveLogicalId = referencedLogicalId(mapping?.[1]?.Properties?.FunctionName);
  const redrive = functions.find(([logicalId]) => logicalId === redriveLogicalId);
  if (!mapping || !redrive || !spilloverQueue) {
    throw new Error('no function drains the spillover queue in the template: the redrive is missing');
  }
  const batchSize = mapping[1]?.Properties?.BatchSize;
  return {
    receiver: functionDefinition(receiver[0], receiver[1]),
    redrive: {
      ...functionDefinition(redrive[0], redrive[1]),
      queueLogicalId: spilloverQueue,
      batchSize: typeof batchSize === 'number' ? batchSize : 10,
    },
  };
}

/**
 * Turns a template environment into real values: literals stay, references become the local
 * names/URLs `resolve` gives (undefined drops the variable, e.g. the token secret, which local
 * mode replaces with `CURRENTS_TOKENS`).
 */
export function resolveEnvironment(
  environment: Record<string, unknown>,
  resolve: (logicalId: string, attribute: string | undefined) => string | undefined,
): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const [name, value] of Object.entries(environment)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      resolved[name] = String(value);
      continue;
    }
    const logicalId = referencedLogicalId(value);
    if (!logicalId) continue;
    const getAtt = (value as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
    const attribute = Array.isArray(getAtt) && typeof getAtt[1] === 'string' ? getAtt[1] : undefined;
    const local = resolve(logicalId, attribute);
    if (local !== undefined) resolved[name] = local;
  }
  return resolved;
}
