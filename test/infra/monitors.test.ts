import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { ENV } from '../../lambda/adapters/environment';
import { METRIC } from '../../lambda/adapters/observability';
import { parseConfig, parseConfigJson } from '../../lambda/core/config';
import { listAcknowledgements } from '../../lib/defaults';
import { INGEST_STORE_ACCESS } from '../../lib/ingest';
import { MONITOR_RESERVED_CONCURRENCY, Monitors } from '../../lib/monitors';
import { OpsAlerts } from '../../lib/ops-alerts';
import { Store } from '../../lib/store';
import type { TocsinStack } from '../../lib/tocsin-stack';
import { actionsOf, logicalId, SAMPLE_CONFIG, statementsOfRole, type SynthesizedTocsin, synthesizeTocsin, synthWithAwsSolutionsChecks } from './template-helpers';

const CONFIG = { ...SAMPLE_CONFIG, monitors: [{ id: 'prometheus', tokenSha256: 'c'.repeat(64), ratePerMinute: 600 }] };

describe('Monitors', () => {
  let synthesized: SynthesizedTocsin;
  let stack: TocsinStack;
  let template: Template;
  let ids: { fn: string; role: string; url: string; opsTopic: string; table: string };

  beforeAll(() => {
    synthesized = synthesizeTocsin('monitors', CONFIG);
    ({ stack, template } = synthesized);
    ids = {
      fn: logicalId(stack, stack.monitors.function),
      role: logicalId(stack, stack.monitors.function.role!),
      url: logicalId(stack, stack.monitors.functionUrl),
      opsTopic: logicalId(stack, stack.opsAlerts.topic),
      table: logicalId(stack, stack.store.table),
    };
  });
  afterAll(() => synthesized.cleanup());

  const fnArn = () => ({ 'Fn::GetAtt': [ids.fn, 'Arn'] });
  const fnResource = () => template.findResources('AWS::Lambda::Function')[ids.fn]!;

  describe('function', () => {
    it('runs the bundled monitor handler', () => {
      const bundle = join(synthesized.outdir, fnResource().Metadata['aws:asset:path'] as string);
      const map = JSON.parse(readFileSync(join(bundle, 'index.js.map'), 'utf8')) as { sources: string[] };

      expect(fnResource().Properties.Handler).toBe('index.handler');
      expect(map.sources.some((source) => source.endsWith('lambda/handlers/monitor.ts'))).toBe(true);
      expect(map.sources.some((source) => source.endsWith('lambda/handlers/ingest.ts'))).toBe(false);
    });

    it(`reserves ${MONITOR_RESERVED_CONCURRENCY} concurrent executions, so monitors cannot take CloudWatch ingest's`, () => {
      expect(fnResource().Properties.ReservedConcurrentExecutions).toBe(MONITOR_RESERVED_CONCURRENCY);
      const ingest = template.findResources('AWS::Lambda::Function')[logicalId(stack, stack.ingest.function)]!;
      expect(ingest.Properties.ReservedConcurrentExecutions).toBeUndefined();
    });

    it('gets the configuration, monitors and their token digests included, and the table', () => {
      const variables = fnResource().Properties.Environment.Variables;
      expect(variables[ENV.tableName]).toEqual({ Ref: ids.table });
      expect(parseConfigJson(variables[ENV.config])).toEqual(parseConfig(CONFIG));
      expect(parseConfigJson(variables[ENV.config]).monitors).toEqual([{ id: 'prometheus', tokenSha256: 'c'.repeat(64), ratePerMinute: 600 }]);
    });
  });

  describe('Function URL', () => {
    it('has auth NONE: the handler checks the bearer token', () => {
      template.templateMatches({ Resources: { [ids.url]: { Type: 'AWS::Lambda::Url', Properties: { AuthType: 'NONE', TargetFunctionArn: fnArn() } } } });
    });

    it('grants "*" both lambda:InvokeFunctionUrl (auth NONE) and lambda:InvokeFunction (via the URL only), as URLs since October 2025 need', () => {
      // Act
      const permissions = Object.values(template.findResources('AWS::Lambda::Permission', { Properties: { FunctionName: fnArn() } })).map((p) => p.Properties);

      // Assess
      expect(permissions).toEqual(
        expect.arrayContaining([
          { Action: 'lambda:InvokeFunctionUrl', FunctionName: fnArn(), FunctionUrlAuthType: 'NONE', Principal: '*' },
          { Action: 'lambda:InvokeFunction', FunctionName: fnArn(), InvokedViaFunctionUrl: true, Principal: '*' },
        ]),
      );
      expect(permissions).toHaveLength(2);
    });

    it('is the only public endpoint of the stack', () => {
      const publicPermissions = Object.values(template.findResources('AWS::Lambda::Permission', { Properties: { Principal: '*' } }));
      expect(publicPermissions.map((p) => p.Properties.FunctionName)).toEqual([fnArn(), fnArn()]);
      expect(Object.keys(template.findResources('AWS::Lambda::Url', { Properties: { AuthType: 'NONE' } }))).toEqual([ids.url]);
    });

    it('is the stack output MonitorUrl', () => {
      template.hasOutput('MonitorUrl', { Value: { 'Fn::GetAtt': [ids.url, 'FunctionUrl'] } });
    });
  });

  describe('IAM', () => {
    it('has exactly the ingest function’s DynamoDB actions, on the table only', () => {
      const dynamodb = statementsOfRole(template, ids.role).filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
      expect(dynamodb).toEqual([{ Effect: 'Allow', Action: [...INGEST_STORE_ACCESS.tableActions], Resource: { 'Fn::GetAtt': [ids.table, 'Arn'] } }]);
    });

    it('may publish to no topic and send to no queue', () => {
      const actions = statementsOfRole(template, ids.role).flatMap(actionsOf);
      expect(actions.filter((a) => a.startsWith('sns:') || a.startsWith('sqs:') || a.startsWith('lambda:'))).toEqual([]);
    });
  });

  describe('alarms', () => {
    it('watch errors, Lambda throttles and rate-limited monitors, notifying the ops topic when they fire and clear', () => {
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: Match.stringLikeRegexp('^Tocsin-ops-Monitors-') } })).map((a) => a.Properties);
      const common = { ComparisonOperator: 'GreaterThanThreshold', Threshold: 0, EvaluationPeriods: 1, TreatMissingData: 'notBreaching', AlarmActions: [{ Ref: ids.opsTopic }], OKActions: [{ Ref: ids.opsTopic }] };

      expect(alarms).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ ...common, AlarmName: 'Tocsin-ops-Monitors-Errors', Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: { Ref: ids.fn } }] }),
          expect.objectContaining({ ...common, AlarmName: 'Tocsin-ops-Monitors-Throttles', Namespace: 'AWS/Lambda', MetricName: 'Throttles', Dimensions: [{ Name: 'FunctionName', Value: { Ref: ids.fn } }] }),
          expect.objectContaining({ ...common, AlarmName: 'Tocsin-ops-Monitors-RateLimited', Namespace: 'Tocsin', MetricName: METRIC.monitorRequestsThrottled }),
        ]),
      );
      expect(alarms).toHaveLength(3);
    });
  });

  describe('cdk-nag AwsSolutions', () => {
    it('passes for the whole TocsinStack, acknowledging only X-Ray\'s "*" here', () => {
      const synth = () => synthWithAwsSolutionsChecks(synthesized.app);

      expect(synth).not.toThrow();
      expect(listAcknowledgements(stack.monitors)).toEqual([
        { path: 'Tocsin/Monitors/FunctionRole/DefaultPolicy', id: expect.stringMatching(/AwsSolutions-IAM5\[Resource::\*\]$/), reason: expect.stringMatching(/X-Ray/) },
      ]);
    });
  });

  describe('props', () => {
    // An App makes its output folder when it is built: give it one, and remove it.
    const outdirs: string[] = [];
    afterEach(() => {
      for (const outdir of outdirs.splice(0)) rmSync(outdir, { recursive: true, force: true });
    });

    function standalone(reservedConcurrentExecutions?: number) {
      const outdir = mkdtempSync(join(tmpdir(), 'tocsin-monitors-props-'));
      outdirs.push(outdir);
      const scope = new Stack(new App({ outdir }), 'Standalone');
      const store = new Store(scope, 'Store');
      return () =>
        new Monitors(scope, 'Monitors', {
          table: store.table,
          config: parseConfig({}),
          opsAlerts: new OpsAlerts(scope, 'OpsAlerts'),
          ...(reservedConcurrentExecutions === undefined ? {} : { reservedConcurrentExecutions }),
        });
    }

    it('takes another reserved concurrency', () => {
      const monitors = standalone(25)();
      const fn = Stack.of(monitors).resolve((monitors.function.node.defaultChild as { reservedConcurrentExecutions?: number }).reservedConcurrentExecutions);
      expect(fn).toBe(25);
    });

    it.each([0, -1, 2.5])('rejects a reserved concurrency of %s, saying what to do', (value) => {
      expect(standalone(value)).toThrow(/reservedConcurrentExecutions must be a whole number >= 1 .*got /);
    });
  });
});
