/**
 * Lambda entry point. Config, clients and telemetry are built once per cold start; a bad
 * configuration fails here, naming the variable.
 */
import { createAwsClients } from '../shared/aws';
import { parseCatalogExtras } from '../shared/catalog-extras';
import { loadReceiverConfig } from '../shared/config';
import { ENV } from '../shared/contract';
import { createTelemetry } from '../shared/telemetry';
import { createDriftDetector } from './drift';
import { buildReceiverDeps, createReceiverHandler } from './handler';

const config = loadReceiverConfig();
const clients = createAwsClients();
const telemetry = createTelemetry();

const extras = parseCatalogExtras(process.env[ENV.extraEventTypes], process.env[ENV.extraEventFields]);
const drift = createDriftDetector(telemetry.logger, telemetry.metrics, extras);

export const handler = createReceiverHandler(buildReceiverDeps(config, clients, telemetry, { drift }));
