import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement, type Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { TocsinConfigInput } from '../../lambda/core/config';
import { TocsinStack } from '../../lib/tocsin-stack';

/**
 * A configuration with something in every list, so that tests can tell the function's CONFIG
 * from the all-defaults one.
 */
export const SAMPLE_CONFIG: TocsinConfigInput = {
  markets: [{ id: 'equities', segments: ['prime', 'standard', 'growth'] }],
  components: [{ id: 'matching-engine', market: 'equities', critical: true }],
  groups: [{ id: 'shared-disk', nodes: ['unit-1', 'unit-2'] }],
  policy: { haltOnCritical: true, groupBy: 'market' },
};

/** The logical id CloudFormation sees for a construct's L1 resource. */
export const logicalId = (stack: Stack, construct: IConstruct): string =>
  stack.getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);

export interface PolicyStatement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly [key: string]: unknown;
}

/** Every statement of the IAM policies attached to the role with logical id `roleId`. */
export function statementsOfRole(template: Template, roleId: string): PolicyStatement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(JSON.stringify({ Ref: roleId })))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as PolicyStatement[]);
}

export const actionsOf = (statement: PolicyStatement): string[] => [statement.Action].flat();

/**
 * Synthesizes `app` again with cdk-nag's AwsSolutions checks, which make synthesis throw on any
 * unacknowledged finding. Reuses the constructs (and bundles) the app already has, so checking a
 * stack that a test file has built costs a fraction of building a second one.
 */
export function synthWithAwsSolutionsChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth({ force: true });
}

/** A synthesized TocsinStack for one test file: bundles included, asset metadata on. */
export interface SynthesizedTocsin {
  readonly outdir: string;
  readonly app: App;
  readonly stack: TocsinStack;
  readonly template: Template;
  /** Removes the synthesized output. */
  cleanup(): void;
}

/**
 * Synthesizes the whole stack once, into a folder of its own (`label` names it). The CLI turns
 * asset metadata on and a bare App does not; tests find the bundles through it.
 */
export function synthesizeTocsin(label: string, config?: TocsinConfigInput): SynthesizedTocsin {
  const outdir = mkdtempSync(join(tmpdir(), `tocsin-${label}-`));
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new TocsinStack(app, 'Tocsin', config === undefined ? {} : { config });
  return { outdir, app, stack, template: Template.fromStack(stack), cleanup: () => rmSync(outdir, { recursive: true, force: true }) };
}
