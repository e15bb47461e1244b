/**
 * Lambda entry point. Config, clients and telemetry are built once per cold start; a bad
 * configuration (the acknowledged extra event types and fields too) fails here, naming the variable.
 */
import { createAwsClients } from '../shared/aws';
import { loadReceiverConfig } from '../shared/config';
import { createTelemetry } from '../shared/telemetry';
import { buildReceiverDeps, createReceiverHandler } from './handler';

const config = loadReceiverConfig();
const clients = createAwsClients();
const telemetry = createTelemetry();

export const handler = createReceiverHandler(buildReceiverDeps(config, clients, telemetry));
