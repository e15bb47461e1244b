import { createHash } from 'node:crypto';
import { NestedStack } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as eventschemas from 'aws-cdk-lib/aws-eventschemas';
import { Construct } from 'constructs';
import { type CatalogExtras, NO_EXTRAS } from '#lambdas/shared/catalog-extras';
import { type RegistrySchema, registrySchemas } from './schema-registry-schemas';

export interface SchemaRegistryProps {
  /** Name of the registry (EventBridge Schemas: at most 64 of `[A-Za-z0-9-_.@]`). */
  readonly registryName: string;
  /** `source` of the published events; every schema is named `<source>@<event_type>`. */
  readonly eventSource: string;
  /** The bus the events are published to; discovery, when on, watches it. */
  readonly bus: events.IEventBus;
  /** Acknowledged extra types and fields, added to the schemas. */
  readonly extras?: CatalogExtras;
  /**
   * Turns on EventBridge schema discovery on the bus: EventBridge then infers schemas of whatever
   * really arrives into its own `discovered-schemas` registry (billed per ingested event beyond the
   * free tier).
   * @default false
   */
  readonly discovery?: boolean;
}

/**
 * An EventBridge schema registry with one JSON Schema (draft 4) per Braze event type, generated at
 * synth from the catalog (see `schema-registry-schemas.ts`), so consumers can read the shape of
 * every event and download code bindings (`aws schemas get-code-binding-source`).
 *
 * The registry and its ~100 schemas (a few hundred KB of JSON) live in a nested stack: the main
 * template stays far from CloudFormation's limits (1 MB per template uploaded from S3, 500
 * resources per template; "CloudFormation quotas" in the CloudFormation User Guide), whatever the
 * user adds to it.
 */
export class SchemaRegistry extends Construct {
  public readonly registryName: string;
  public readonly registry: eventschemas.CfnRegistry;
  public readonly schemas: readonly RegistrySchema[];
  /** The nested stack holding the registry and the schemas. */
  public readonly stack: NestedStack;
  /** The discoverer on the bus, when discovery is on. */
  public readonly discoverer: eventschemas.CfnDiscoverer | undefined;

  constructor(scope: Construct, id: string, props: SchemaRegistryProps) {
    super(scope, id);
    this.registryName = props.registryName;
    this.schemas = registrySchemas(props.eventSource, props.extras ?? NO_EXTRAS);

    this.stack = new NestedStack(this, 'Schemas', {
      description: `currents-bridge: the schema registry ${props.registryName} of the Braze Currents events`,
    });
    this.registry = new eventschemas.CfnRegistry(this.stack, 'Registry', {
      registryName: props.registryName,
      description: `Braze Currents events as currents-bridge publishes them (source ${props.eventSource}), one schema per event type`,
    });
    for (const entry of this.schemas) {
      new eventschemas.CfnSchema(this.stack, schemaLogicalId(entry.eventType), {
        // The attribute, not the name: CloudFormation then creates the registry first.
        registryName: this.registry.attrRegistryName,
        schemaName: entry.schemaName,
        type: 'JSONSchemaDraft4',
        description: String(entry.schema.description).slice(0, 256),
        content: JSON.stringify(entry.schema),
      });
    }

    this.discoverer = props.discovery
      ? new eventschemas.CfnDiscoverer(this, 'Discoverer', {
          sourceArn: props.bus.eventBusArn,
          description: 'Infers the schemas of the Braze events that really arrive (currents-bridge)',
          crossAccount: false,
        })
      : undefined;
  }
}

/**
 * A logical id that stays with its event type whatever the catalog's order: a schema whose id
 * changed would be created anew under the same name before the old one is deleted, which fails.
 */
function schemaLogicalId(eventType: string): string {
  const words = eventType
    .split(/[^A-Za-z0-9]+/)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('')
    .slice(0, 200);
  return `Schema${words}${createHash('sha256').update(eventType).digest('hex').slice(0, 8)}`;
}
