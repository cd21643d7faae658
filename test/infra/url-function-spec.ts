import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { ENV } from '../../lambda/adapters/environment';
import { parseConfig, parseConfigJson } from '../../lambda/core/config';
import { listAcknowledgements } from '../../lib/defaults';
import { TABLE_KEY_ACTIONS } from '../../lib/store-access';
import type { TocsinStack } from '../../lib/tocsin-stack';
import { actionsOf, SAMPLE_CONFIG, statementsOfRole, synthWithAwsSolutionsChecks } from './template-helpers';

/**
 * What every store-reading function behind an IAM Function URL must be (operate, status): told
 * the table and the configuration and no topic, bundled from its own handler, reachable only
 * with IAM auth, and invoked synchronously only.
 */
export function itIsAStoreFunctionBehindAnIamUrl(
  get: () => { template: Template; stack: TocsinStack; outdir: string; ids: { fn: string; url: string; table: string } },
  handlers: { own: string; other: string },
): void {
  const fnResource = () => get().template.findResources('AWS::Lambda::Function')[get().ids.fn]!;
  const variables = () => fnResource().Properties.Environment.Variables;
  const fnArn = () => ({ 'Fn::GetAtt': [get().ids.fn, 'Arn'] });

  it('knows the table by name', () => {
    expect(variables()[ENV.tableName]).toEqual({ Ref: get().ids.table });
  });

  it("gets the configuration as CONFIG JSON that parses back to the stack's", () => {
    // Act
    const config = parseConfigJson(variables()[ENV.config]);

    // Assess
    expect(config).toEqual(parseConfig(SAMPLE_CONFIG));
    expect(config).toEqual(get().stack.config);
    expect(config.policy).toMatchObject({ haltOnCritical: true, groupBy: 'market' });
  });

  it('publishes nothing, so it is not told the topics', () => {
    expect(Object.keys(variables())).not.toContain(ENV.noticeTopicArn);
    expect(Object.keys(variables())).not.toContain(ENV.opsTopicArn);
  });

  it(`runs the bundled ${handlers.own} handler`, () => {
    // Prepare
    const bundle = join(get().outdir, fnResource().Metadata['aws:asset:path'] as string);

    // Act
    const map = JSON.parse(readFileSync(join(bundle, 'index.js.map'), 'utf8')) as { sources: string[] };

    // Assess
    expect(fnResource().Properties.Handler).toBe('index.handler');
    expect(map.sources.some((source) => source.endsWith(`lambda/handlers/${handlers.own}.ts`))).toBe(true);
    expect(map.sources.some((source) => source.endsWith(`lambda/handlers/${handlers.other}.ts`))).toBe(false);
  });

  it('has a Function URL with IAM authentication, and no public permission', () => {
    get().template.templateMatches({
      Resources: {
        [get().ids.url]: { Type: 'AWS::Lambda::Url', Properties: { AuthType: 'AWS_IAM', TargetFunctionArn: fnArn() } },
      },
    });
    expect(get().template.findResources('AWS::Lambda::Permission', { Properties: { FunctionName: fnArn() } })).toEqual({});
  });

  it('is called synchronously only: no event invoke config, no trigger', () => {
    const ofFunction = { Properties: { FunctionName: { Ref: get().ids.fn } } };

    expect(get().template.findResources('AWS::Lambda::EventInvokeConfig', ofFunction)).toEqual({});
    expect(get().template.findResources('AWS::Lambda::EventSourceMapping', ofFunction)).toEqual({});
  });
}

/**
 * The rest every such function shares: none of the DynamoDB actions it must not have, the table key only, no
 * topic or queue, one errors alarm to the ops topic, its URL as a stack output, and cdk-nag clean
 * with only X-Ray's "*" acknowledged.
 */
export function itIsScopedAndWatchedLikeAStoreFunction(
  get: () => { template: Template; app: App; ids: { fn: string; role: string; url: string; opsTopic: string; tableKey: string } },
  construct: { constructId: string; output: string; notGranted: readonly string[] },
): void {
  describe('IAM, beyond DynamoDB', () => {
    it.each([...construct.notGranted])('is not granted %s', (action) => {
      expect(statementsOfRole(get().template, get().ids.role).flatMap(actionsOf)).not.toContain(action);
    });

    it('may use the table key, and no other key', () => {
      // Act
      const kms = statementsOfRole(get().template, get().ids.role).filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')));

      // Assess
      expect(kms).toEqual([{ Effect: 'Allow', Action: [...TABLE_KEY_ACTIONS], Resource: { 'Fn::GetAtt': [get().ids.tableKey, 'Arn'] } }]);
    });

    it('may publish to no topic and send to no queue', () => {
      const actions = statementsOfRole(get().template, get().ids.role).flatMap(actionsOf);

      expect(actions.filter((a) => a.startsWith('sns:') || a.startsWith('sqs:'))).toEqual([]);
    });
  });

  describe('alarms', () => {
    it('is one, on function errors, notifying the ops topic when it fires and when it clears', () => {
      // Prepare
      const alarms = get().template.findResources('AWS::CloudWatch::Alarm', {
        Properties: { AlarmName: Match.stringLikeRegexp(`^Tocsin-ops-${construct.constructId}-`) },
      });

      // Assess
      expect(Object.values(alarms).map((alarm) => alarm.Properties)).toEqual([
        expect.objectContaining({
          AlarmName: `Tocsin-ops-${construct.constructId}-Errors`,
          Namespace: 'AWS/Lambda',
          MetricName: 'Errors',
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: get().ids.fn } }],
          Statistic: 'Sum',
          Period: 60,
          ComparisonOperator: 'GreaterThanThreshold',
          Threshold: 0,
          EvaluationPeriods: 1,
          TreatMissingData: 'notBreaching',
          AlarmActions: [{ Ref: get().ids.opsTopic }],
          OKActions: [{ Ref: get().ids.opsTopic }],
        }),
      ]);
    });
  });

  describe('outputs', () => {
    it(construct.output, () => {
      get().template.hasOutput(construct.output, { Value: { 'Fn::GetAtt': [get().ids.url, 'FunctionUrl'] } });
    });
  });

  describe('cdk-nag AwsSolutions', () => {
    it('passes for the whole TocsinStack, acknowledging only X-Ray\'s "*" here', () => {
      // Act: the stack every other test here looked at, synthesized again under the checks.
      const synth = () => synthWithAwsSolutionsChecks(get().app);
      const acknowledged = () => listAcknowledgements(get().app.node.findChild('Tocsin').node.findChild(construct.constructId));

      // Assess
      expect(synth).not.toThrow();
      expect(acknowledged()).toEqual([
        {
          path: `Tocsin/${construct.constructId}/FunctionRole/DefaultPolicy`,
          id: expect.stringMatching(/AwsSolutions-IAM5\[Resource::\*\]$/),
          reason: expect.stringMatching(/X-Ray/),
        },
      ]);
    });
  });
}
