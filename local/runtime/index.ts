export { type Handler, type LambdaEnvironments, lambdaEnvironments } from './environments';
export { type LambdaContextOptions, lambdaContext } from './lambda-context';
export { MetricsTap, parseEmf } from './metrics-tap';
export { messagesToDelete, type RedriveLoop, startRedriveLoop, toSqsRecord } from './redrive-loop';
export {
  DEFAULT_DATA_DIR,
  DEFAULT_PORT,
  type LocalCounts,
  type LocalFunction,
  type LocalPipeline,
  RECEIVER_FUNCTION_NAME,
  REDRIVE_FUNCTION_NAME,
  type StartLocalOptions,
  startLocal,
} from './start-local';
export { readPipelineFunctions, resolveEnvironment } from './template';
export { generateToken, localTokens, parseTokenList } from './tokens';
