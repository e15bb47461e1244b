/** Lambda entry point of the spillover redrive; config and clients built once per cold start. */
import { createAwsClients } from '../shared/aws';
import { loadRedriveConfig } from '../shared/config';
import { createTelemetry } from '../shared/telemetry';
import { buildRedriveDeps, createRedriveHandler } from './handler';

const config = loadRedriveConfig();
const clients = createAwsClients();
const telemetry = createTelemetry();

export const handler = createRedriveHandler(buildRedriveDeps(config, clients, telemetry));
