import { randomBytes } from 'node:crypto';
import { parseConfigJson, type TocsinConfig } from '../core/config';
import type { DecisionContext } from '../core/context';
import { DynamoDbIncidentStore } from './dynamodb-store';
import { ENV } from './environment';

/**
 * The composition root of the deployed functions: configuration from the environment, read
 * and validated once per execution environment, and the concrete adapters.
 */

export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is not set; the CDK stack (or the local runtime) sets it`);
  return value;
}

let config: TocsinConfig | undefined;

/** esbuild's `define` replaces it with the configuration's JSON in a bundle built with one (`BUNDLED_CONFIG_IDENTIFIER`). */
declare const TOCSIN_BUNDLED_CONFIG: string | undefined;

/** The configuration written into this bundle (one too large for `CONFIG`), if any. */
export function bundledConfig(): string | undefined {
  // `typeof` of an identifier nothing defines is "undefined", not a ReferenceError: unbundled code (tests, serve mode) has none.
  return typeof TOCSIN_BUNDLED_CONFIG === 'string' ? TOCSIN_BUNDLED_CONFIG : undefined;
}

/**
 * The configuration from `CONFIG`, else the one written into the bundle; a bad one fails the first
 * invocation with a message naming the field.
 */
export function environmentConfig(env: NodeJS.ProcessEnv = process.env): TocsinConfig {
  if (env !== process.env) return parseConfigJson(env[ENV.config] ?? bundledConfig());
  config ??= parseConfigJson(env[ENV.config] ?? bundledConfig());
  return config;
}

/** `inc-20201001-070412-3fa9c1`: sortable by opening time, readable on a phone, unique enough. */
export function newIncidentId(now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `inc-${stamp}-${randomBytes(3).toString('hex')}`;
}

/** A decision context on the real clock (or, for the local replay, an accelerated one). */
export function systemContext(configuration: TocsinConfig, clock: () => number = Date.now): () => DecisionContext {
  return () => {
    const now = clock();
    return { now, config: configuration, newIncidentId: () => newIncidentId(now) };
  };
}

/** `{ respondUrl }` from `RESPOND_URL` when the stack sets it, else nothing. */
export function optionalRespondUrl(env: NodeJS.ProcessEnv = process.env): { respondUrl?: string } {
  const value = env[ENV.respondUrl];
  return value ? { respondUrl: value } : {};
}

export function environmentStore(env: NodeJS.ProcessEnv = process.env): DynamoDbIncidentStore {
  const { policy } = environmentConfig(env);
  return new DynamoDbIncidentStore({ tableName: requireEnv(ENV.tableName, env), retention: { incidentDays: policy.retentionDays, heartbeatDays: policy.heartbeatRetentionDays } });
}
