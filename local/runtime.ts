import { readFile } from 'node:fs/promises';
import { parseConfigJson, type TocsinConfig } from '../lambda/core/config';
import { createLocalResources, type LocalResources } from './resources';

/**
 * The embedded runtime behind `npm start` and `tocsin local`: the emulators plus Tocsin's
 * resources on them. Never deployed.
 */

/** The endpoint line of the local serve contract (shared/DESIGN.md, "Local serve mode"). */
export interface LocalEndpoints {
  readonly dynamodbEndpoint: string;
  readonly snsEndpoint: string;
  readonly sqsEndpoint: string;
  readonly tableName: string;
  readonly noticeTopicArn: string;
  readonly region: string;
}

export interface LocalRuntimeOptions {
  /** DynamoDB Local listens on this port and SNS/SQS on the next one. @default free ports */
  readonly portBase?: number;
  /** Keep DynamoDB data in this folder across restarts. @default in memory */
  readonly dataDir?: string;
  /** Path of a configuration JSON file (the same JSON as the stack's `config` prop). @default `{}` */
  readonly configFile?: string;
  /** Name prefix for the table and topics. @default `tocsin` */
  readonly prefix?: string;
  /** Progress lines (never stdout, which carries only the endpoint line). @default none */
  readonly log?: (line: string) => void;
}

export interface LocalRuntime {
  readonly endpoints: LocalEndpoints;
  readonly resources: LocalResources;
  readonly config: TocsinConfig;
  /** The pid of the DynamoDB Local java process (tests check that it is gone after stop). */
  readonly javaPid: number;
  stop(): Promise<void>;
}

/** Starts the emulators, points this process's AWS SDK at them and creates the resources. */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  // Read and validate the configuration before starting anything: a bad file fails fast.
  const config = parseConfigJson(options.configFile ? await readFile(options.configFile, 'utf8') : undefined);
  const { startEmulators } = await import('./emulators.mjs');
  const emulators = await startEmulators({
    dynamodbPort: options.portBase,
    snsPort: options.portBase === undefined ? undefined : options.portBase + 1,
    dataDir: options.dataDir,
    log: options.log,
  });
  try {
    // Handlers build `new XClient({})`; the SDK's standard endpoint variables route them here.
    Object.assign(process.env, emulators.environment);
    const resources = await createLocalResources(options.prefix ?? 'tocsin');
    return {
      endpoints: {
        dynamodbEndpoint: emulators.dynamodb.endpoint,
        snsEndpoint: emulators.sns.endpoint,
        sqsEndpoint: emulators.sns.endpoint,
        tableName: resources.tableName,
        noticeTopicArn: resources.noticeTopicArn,
        region: emulators.region,
      },
      resources,
      config,
      javaPid: emulators.dynamodb.pid,
      stop: () => emulators.stop(),
    };
  } catch (error) {
    await emulators.stop();
    throw error;
  }
}
