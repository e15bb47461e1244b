export {
  type BackoffPolicy,
  backoffDelayMs,
  DEFAULT_BACKOFF,
  parseRetryAfterMs,
  retryDelayMs,
} from './backoff';
export { formatReport } from './format';
export { type Reaction, reactionTo, splitInHalves, toBatches } from './reaction';
export {
  BRAZE_MAX_BATCH_SIZE,
  type DroppedEvent,
  type SimulateOptions,
  type SimulationProgress,
  type SimulationReport,
  simulate,
} from './simulator';
export { type FactoryEventsOptions, factoryEvents, readSampleFolder, withFreshIds } from './sources';
