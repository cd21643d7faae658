#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { TocsinConfigInput } from '../lambda/core/config';
import { ConfigError } from '../lambda/core/errors';
import { TocsinStack } from '../lib/tocsin-stack';

/**
 * The CDK app. Configuration comes from the `tocsinConfig` context value, either inline JSON or
 * the path of a JSON file:
 *
 *   npx cdk synth -c tocsinConfig=config/production.json
 *   npx cdk synth -c 'tocsinConfig={"groups":[{"id":"shared-disk","nodes":["unit-1","unit-2"]}]}'
 */
const app = new App();
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
new TocsinStack(app, 'Tocsin', { config: configFromContext(app.node.tryGetContext('tocsinConfig')) });

function configFromContext(value: unknown): TocsinConfigInput | undefined {
  // An object arrives when the value is written in cdk.json's "context" rather than on the command line.
  if (value === undefined || typeof value === 'object') return value as TocsinConfigInput | undefined;
  const text = String(value).trim();
  const source = text.startsWith('{') ? 'inline JSON' : text;
  const json = text.startsWith('{') ? text : readFileSync(text, 'utf8');
  try {
    return JSON.parse(json) as TocsinConfigInput;
  } catch (cause) {
    const problem = `context tocsinConfig (${source}) is not valid JSON: ${(cause as Error).message}`;
    throw new ConfigError([{ field: '', problem }], { cause });
  }
}
