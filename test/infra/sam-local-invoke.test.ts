import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DynamoDbIncidentStore } from '../../lambda/adapters/dynamodb-store';
import { TocsinStack } from '../../lib/tocsin-stack';
import { createTestResources, testClients, type TestAws } from '../helpers/aws';
import { loadEvent } from '../helpers/events';
import { PROJECT_ROOT } from '../helpers/processes';
import { logicalId } from './template-helpers';

/**
 * What `sam local invoke -t cdk.out/Tocsin.template.json <function> -e events/<file>.json` runs
 * (SAM itself needs Docker, which this machine has not): the synthesized template names each
 * function's bundle in its `aws:asset:path` metadata; that bundle's `index.js` exports `handler`;
 * run with the same sample event against the emulators, it works.
 */
describe('the synthesized template, as sam local invoke uses it', () => {
  let aws: TestAws;
  let outdir: string;
  let template: Template;
  let stack: TocsinStack;

  beforeAll(() => {
    aws = testClients();
    // Under the project, so that a bundle finds the AWS SDK (left out of it) in node_modules.
    outdir = join(PROJECT_ROOT, 'cdk.out', `sam-test-${process.pid}`);
    mkdirSync(outdir, { recursive: true });
    const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
    stack = new TocsinStack(app, 'Tocsin');
    template = Template.fromStack(stack);
  });
  afterAll(() => {
    aws.destroy();
    rmSync(outdir, { recursive: true, force: true });
  });

  it('gives every function an asset path whose index.js exports handler', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    const ours = Object.values(functions).filter((f) => f.Metadata?.['aws:asset:path']);
    expect(ours.length).toBeGreaterThanOrEqual(8);
    for (const fn of ours) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const bundle = require(join(outdir, fn.Metadata['aws:asset:path'] as string, 'index.js')) as { handler?: unknown };
      expect(typeof bundle.handler).toBe('function');
    }
  });

  it('runs the ingest bundle on the sample EventBridge alarm event against DynamoDB Local', async () => {
    // Prepare: the function's environment, with the table on the emulator.
    const { tableName } = await createTestResources('sam', aws);
    const fn = template.findResources('AWS::Lambda::Function')[logicalId(stack, stack.ingest.function)]!;
    process.env.TABLE_NAME = tableName;
    process.env.CONFIG = '{}';

    // Act
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { handler } = require(join(outdir, fn.Metadata['aws:asset:path'] as string, 'index.js')) as { handler: (event: unknown) => Promise<{ action: string; incidentId: string }> };
    const result = await handler(loadEvent('eventbridge/alarm-state-change-alarm.json'));

    // Assess
    expect(result.action).toBe('opened');
    const record = await new DynamoDbIncidentStore({ tableName }).incidentRecord(result.incidentId);
    expect(record?.notices.map((n) => n.notice.type)).toEqual(['incident-opened']);
  });
});
