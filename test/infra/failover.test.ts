import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ENV } from '../../lambda/adapters/environment';
import { METRIC } from '../../lambda/adapters/observability';
import { parseConfig, parseConfigJson, type TocsinConfigInput } from '../../lambda/core/config';
import { ConfigError } from '../../lambda/core/errors';
import { watchWindowMs } from '../../lambda/handlers/promote';
import { listAcknowledgements, POWERTOOLS_ENVIRONMENT } from '../../lib/defaults';
import { Failover, promoteTimeout, promoteWatchWindow } from '../../lib/failover';
import { OpsAlerts } from '../../lib/ops-alerts';
import { Store } from '../../lib/store';
import { TABLE_KEY_ACTIONS } from '../../lib/store-access';
import { TocsinStack } from '../../lib/tocsin-stack';
import { actionsOf, logicalId, type PolicyStatement, SAMPLE_CONFIG, statementsOfRole, type SynthesizedTocsin, synthesizeTocsin, synthWithAwsSolutionsChecks } from './template-helpers';

const TWO_GROUPS: TocsinConfigInput = {
  groups: [
    { id: 'shared-disk', nodes: ['unit-1', 'unit-2'] },
    { id: 'market-data', nodes: ['feed-a', 'feed-b'], heartbeatSeconds: 5, leaseDurationSeconds: 30, checkIntervalSeconds: 5 },
  ],
};

describe('Failover', () => {
  // One synthesis for the whole file: bundling the handlers with esbuild is the slow part.
  let outdir: string;
  let app: App;
  let stack: TocsinStack;
  let template: Template;
  let ids: {
    heartbeat: string;
    heartbeatRole: string;
    url: string;
    promote: string;
    promoteRole: string;
    schedule: string;
    scheduleRole: string;
    opsTopic: string;
    table: string;
    tableKey: string;
  };

  let synthesized: SynthesizedTocsin;

  beforeAll(() => {
    // SAMPLE_CONFIG has one group, `shared-disk`, with the default lease (10 s) and check interval (2 s).
    synthesized = synthesizeTocsin('failover', SAMPLE_CONFIG);
    ({ outdir, app, stack, template } = synthesized);

    const { failover } = stack;
    ids = {
      heartbeat: logicalId(stack, failover.heartbeatFunction),
      heartbeatRole: logicalId(stack, failover.heartbeatFunction.role!),
      url: logicalId(stack, failover.heartbeatUrl),
      promote: logicalId(stack, failover.promoteFunction),
      promoteRole: logicalId(stack, failover.promoteFunction.role!),
      schedule: logicalId(stack, failover.promoteSchedule),
      scheduleRole: logicalId(stack, failover.node.findChild('PromoteScheduleRole')),
      opsTopic: logicalId(stack, stack.opsAlerts.topic),
      table: logicalId(stack, stack.store.table),
      tableKey: logicalId(stack, stack.store.key),
    };
  });

  afterAll(() => synthesized.cleanup());

  const fnResource = (id: string) => template.findResources('AWS::Lambda::Function')[id]!;
  const variables = (id: string) => fnResource(id).Properties.Environment.Variables;
  const tableArn = () => ({ 'Fn::GetAtt': [ids.table, 'Arn'] });
  const promoteArn = () => ({ 'Fn::GetAtt': [ids.promote, 'Arn'] });
  const sourcesOfBundle = (id: string): string[] => {
    const bundle = join(outdir, fnResource(id).Metadata['aws:asset:path'] as string);
    return (JSON.parse(readFileSync(join(bundle, 'index.js.map'), 'utf8')) as { sources: string[] }).sources;
  };

  describe.each([
    { name: 'heartbeat', fn: () => ids.heartbeat },
    { name: 'promote', fn: () => ids.promote },
  ])('$name function environment', ({ fn }) => {
    it('knows the table by name', () => {
      expect(variables(fn())[ENV.tableName]).toEqual({ Ref: ids.table });
    });

    it("gets the configuration, with its failover groups, as CONFIG JSON that parses back to the stack's", () => {
      // Act
      const config = parseConfigJson(variables(fn())[ENV.config]);

      // Assess
      expect(config).toEqual(parseConfig(SAMPLE_CONFIG));
      expect(config).toEqual(stack.config);
      expect(config.groups).toEqual([
        expect.objectContaining({ id: 'shared-disk', nodes: ['unit-1', 'unit-2'], leaseDurationSeconds: 10, checkIntervalSeconds: 2 }),
      ]);
    });

    it('publishes nothing, so it is not told the topics', () => {
      expect(Object.keys(variables(fn()))).not.toContain(ENV.noticeTopicArn);
      expect(Object.keys(variables(fn()))).not.toContain(ENV.opsTopicArn);
    });

    it('has the Powertools settings the alarms on its metrics rely on', () => {
      expect(variables(fn())).toMatchObject(POWERTOOLS_ENVIRONMENT);
    });
  });

  describe('heartbeat function', () => {
    it('runs the bundled heartbeat handler, and not the promoter', () => {
      // Act
      const sources = sourcesOfBundle(ids.heartbeat);

      // Assess
      expect(fnResource(ids.heartbeat).Properties.Handler).toBe('index.handler');
      expect(sources.some((source) => source.endsWith('lambda/handlers/heartbeat.ts'))).toBe(true);
      expect(sources.some((source) => source.endsWith('lambda/handlers/promote.ts'))).toBe(false);
    });

    it('answers within 5 s or fails, with the house memory', () => {
      expect(fnResource(ids.heartbeat).Properties).toMatchObject({ Timeout: 5, MemorySize: 256 });
    });

    it('has a Function URL with IAM authentication, and nothing in the stack is public but the monitor URL', () => {
      template.templateMatches({
        Resources: {
          [ids.url]: {
            Type: 'AWS::Lambda::Url',
            Properties: { AuthType: 'AWS_IAM', TargetFunctionArn: { 'Fn::GetAtt': [ids.heartbeat, 'Arn'] } },
          },
        },
      });
      // The monitor URL checks bearer tokens itself (test/infra/monitors.test.ts).
      const monitorFn = { 'Fn::GetAtt': [logicalId(stack, stack.monitors.function), 'Arn'] };
      const publicPermissions = Object.values(template.findResources('AWS::Lambda::Permission', { Properties: { Principal: '*' } }));
      expect(publicPermissions.map((p) => p.Properties.FunctionName)).toEqual([monitorFn, monitorFn]);
      expect(Object.keys(template.findResources('AWS::Lambda::Url', { Properties: { AuthType: 'NONE' } }))).toEqual([logicalId(stack, stack.monitors.functionUrl)]);
    });
  });

  describe('promote function', () => {
    it('runs the bundled promote handler, and not the heartbeat one', () => {
      // Act
      const sources = sourcesOfBundle(ids.promote);

      // Assess
      expect(fnResource(ids.promote).Properties.Handler).toBe('index.handler');
      expect(sources.some((source) => source.endsWith('lambda/handlers/promote.ts'))).toBe(true);
      expect(sources.some((source) => source.endsWith('lambda/handlers/heartbeat.ts'))).toBe(false);
    });

    it('has the watch window of the configuration and a 20 s margin as its timeout: 60 + 10 + 2 + 20 = 92 s', () => {
      expect(fnResource(ids.promote).Properties.Timeout).toBe(92);
    });

    it('has no reserved concurrency: overlapping invocations are how it keeps watching', () => {
      expect(fnResource(ids.promote).Properties).not.toHaveProperty('ReservedConcurrentExecutions');
    });

    it('is not retried by Lambda: the next minute\'s run replaces a failed one', () => {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: ids.promote },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 0,
      });
    });

    it('has no Function URL', () => {
      const urls = Object.values(template.findResources('AWS::Lambda::Url'));
      expect(urls.filter((url) => JSON.stringify(url).includes(ids.promote))).toEqual([]);
    });
  });

  describe('schedule', () => {
    it('runs the promote function every minute, with no flexible window and no retries', () => {
      template.templateMatches({
        Resources: {
          [ids.schedule]: {
            Type: 'AWS::Scheduler::Schedule',
            Properties: {
              ScheduleExpression: 'rate(1 minute)',
              FlexibleTimeWindow: { Mode: 'OFF' },
              Target: {
                Arn: promoteArn(),
                RoleArn: { 'Fn::GetAtt': [ids.scheduleRole, 'Arn'] },
                RetryPolicy: { MaximumRetryAttempts: 0 },
              },
            },
          },
        },
      });
    });

    it('is the only schedule of the promote function', () => {
      const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule'));
      expect(schedules.filter((s) => JSON.stringify(s.Properties.Target.Arn) === JSON.stringify(promoteArn()))).toHaveLength(1);
    });

    it('may invoke exactly the promote function ARN, nothing else', () => {
      expect(statementsOfRole(template, ids.scheduleRole)).toEqual([
        { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: promoteArn() },
      ]);
    });

    it('is assumed by EventBridge Scheduler of this account only', () => {
      template.templateMatches({
        Resources: {
          [ids.scheduleRole]: {
            Properties: {
              AssumeRolePolicyDocument: {
                Statement: [
                  {
                    Effect: 'Allow',
                    Action: 'sts:AssumeRole',
                    Principal: { Service: 'scheduler.amazonaws.com' },
                    Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
                  },
                ],
              },
            },
          },
        },
      });
    });
  });

  describe('IAM', () => {
    const roles = [
      { name: 'heartbeat', role: () => ids.heartbeatRole, fnId: 'HeartbeatFunction', tableActions: ['dynamodb:PutItem', 'dynamodb:Query'] },
      {
        name: 'promote',
        role: () => ids.promoteRole,
        fnId: 'PromoteFunction',
        tableActions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      },
    ];
    const statements = (role: string): PolicyStatement[] => statementsOfRole(template, role);

    it.each(roles)('$name: exactly its own log group, X-Ray, its store actions on the base table and the table key', ({ role, fnId, tableActions }) => {
      // Prepare: createFunction makes the log group next to the function, as `${id}LogGroup`.
      const logGroup = logicalId(stack, stack.failover.node.findChild(`${fnId}LogGroup`));

      // Assess
      expect(statements(role())).toEqual([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [logGroup, 'Arn'] },
        },
        { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
        { Effect: 'Allow', Action: tableActions, Resource: tableArn() },
        { Effect: 'Allow', Action: [...TABLE_KEY_ACTIONS], Resource: { 'Fn::GetAtt': [ids.tableKey, 'Arn'] } },
      ]);
    });

    it.each(roles)('$name: "*" only for the X-Ray actions that cannot be scoped', ({ role }) => {
      const wildcards = statements(role()).filter((s) => JSON.stringify(s).includes('*'));
      expect(wildcards).toEqual([{ Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' }]);
    });

    it.each(roles)('$name: nothing on the table\'s indexes', ({ role }) => {
      expect(JSON.stringify(statements(role()))).not.toContain('/index/');
    });

    it.each(
      roles.flatMap(({ name, role, tableActions }) =>
        ['dynamodb:*', 'dynamodb:Scan', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem', 'dynamodb:BatchGetItem', 'sns:Publish', 'lambda:InvokeFunction']
          .filter((action) => !tableActions.includes(action))
          .map((action) => ({ name, role, action })),
      ),
    )('$name: is not granted $action', ({ role, action }) => {
      expect(statements(role()).flatMap(actionsOf)).not.toContain(action);
    });

    it('heartbeat: no GetItem, since it reads its group with one Query', () => {
      expect(statements(ids.heartbeatRole).flatMap(actionsOf)).not.toContain('dynamodb:GetItem');
    });
  });

  describe('alarms', () => {
    const failoverAlarms = () =>
      Object.values(
        template.findResources('AWS::CloudWatch::Alarm', {
          Properties: { AlarmName: Match.stringLikeRegexp('^Tocsin-ops-Failover-') },
        }),
      );
    const alarm = (name: string) => failoverAlarms().find((a) => a.Properties.AlarmName === `Tocsin-ops-Failover-${name}`)?.Properties;

    it('are five, each notifying the ops topic when it fires and when it clears, on any occurrence in a minute', () => {
      // Prepare
      const alarms = failoverAlarms();

      // Assess
      expect(alarms.map((a) => a.Properties.AlarmName).sort()).toEqual(
        ['HeartbeatErrors', 'HeartbeatsRejected', 'PromoteErrors', 'Promotions', 'PromotionsRefused'].map(
          (name) => `Tocsin-ops-Failover-${name}`,
        ),
      );
      for (const a of alarms) {
        expect(a.Properties).toMatchObject({
          AlarmActions: [{ Ref: ids.opsTopic }],
          OKActions: [{ Ref: ids.opsTopic }],
          ComparisonOperator: 'GreaterThanThreshold',
          Threshold: 0,
          EvaluationPeriods: 1,
          Period: 60,
          Statistic: 'Sum',
          TreatMissingData: 'notBreaching',
        });
      }
    });

    it.each([
      { name: 'PromoteErrors', fn: () => ids.promote },
      { name: 'HeartbeatErrors', fn: () => ids.heartbeat },
    ])('$name fires on any error of its function', ({ name, fn }) => {
      expect(alarm(name)).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn() } }],
      });
    });

    it.each([
      { name: 'PromotionsRefused', metric: METRIC.promotionsRefused, says: /no standby was ready/ },
      { name: 'Promotions', metric: METRIC.promotions, says: /failover happened/ },
      { name: 'HeartbeatsRejected', metric: METRIC.heartbeatsRejected, says: /rejected/ },
    ])('$name fires on the $metric metric the handlers emit', ({ name, metric, says }) => {
      expect(alarm(name)).toMatchObject({
        Namespace: POWERTOOLS_ENVIRONMENT.POWERTOOLS_METRICS_NAMESPACE,
        MetricName: metric,
        Dimensions: [{ Name: 'service', Value: POWERTOOLS_ENVIRONMENT.POWERTOOLS_SERVICE_NAME }],
        AlarmDescription: expect.stringMatching(says),
      });
    });

    it('names the metrics as the handlers do', () => {
      expect([METRIC.promotions, METRIC.promotionsRefused, METRIC.heartbeatsRejected]).toEqual([
        'Promotions',
        'PromotionsRefused',
        'HeartbeatsRejected',
      ]);
    });

    it('marks a refused promotion as critical', () => {
      expect(alarm('PromotionsRefused')?.AlarmDescription).toMatch(/^CRITICAL: /);
    });
  });

  describe('outputs', () => {
    it('HeartbeatUrl is the heartbeat Function URL', () => {
      template.hasOutput('HeartbeatUrl', { Value: { 'Fn::GetAtt': [ids.url, 'FunctionUrl'] } });
    });

    it('keeps every output the stack had before', () => {
      expect(Object.keys(template.findOutputs('*')).sort()).toEqual(
        ['AlarmsTopicArn', 'HeartbeatUrl', 'IngestUrl', 'MonitorUrl', 'NoticeTopicArn', 'OperateUrl', 'OpsTopicArn', 'PageTopicArn', 'PublicStatusUrl', 'RespondUrl', 'StatusUrl', 'TableName'].sort(),
      );
    });
  });

  describe('cdk-nag AwsSolutions', () => {
    it('passes for the whole TocsinStack, acknowledging here only X-Ray\'s "*" on the two function roles', () => {
      // Act: the stack every other test here looked at, synthesized again under the checks.
      const synth = () => synthWithAwsSolutionsChecks(app);
      const acknowledged = () => listAcknowledgements(app.node.findChild('Tocsin').node.findChild('Failover'));

      // Assess
      expect(synth).not.toThrow();
      expect(acknowledged()).toEqual([
        {
          path: 'Tocsin/Failover/HeartbeatFunctionRole/DefaultPolicy',
          id: expect.stringMatching(/AwsSolutions-IAM5\[Resource::\*\]$/),
          reason: expect.stringMatching(/X-Ray/),
        },
        {
          path: 'Tocsin/Failover/PromoteFunctionRole/DefaultPolicy',
          id: expect.stringMatching(/AwsSolutions-IAM5\[Resource::\*\]$/),
          reason: expect.stringMatching(/X-Ray/),
        },
      ]);
      expect(listAcknowledgements(app).filter(({ reason }) => reason.trim() === '')).toEqual([]);
    });
  });
});

describe('promoteTimeout', () => {
  const contextOf = (config: TocsinConfigInput) => ({ now: 0, config: parseConfig(config), newIncidentId: () => 'inc' });

  it.each([
    { config: {}, what: 'no groups', seconds: 80 },
    { config: SAMPLE_CONFIG, what: 'lease 10 s, check 2 s', seconds: 92 },
    { config: TWO_GROUPS, what: 'the longest lease (30 s) and check (5 s) of two groups', seconds: 115 },
  ])('is 60 s + the longest lease + the longest check interval + 20 s, with $what: $seconds s', ({ config, seconds }) => {
    expect(promoteTimeout(parseConfig(config)).toSeconds()).toBe(seconds);
  });

  it.each([{}, SAMPLE_CONFIG, TWO_GROUPS])('uses the watch window the promote handler watches for (%#)', (config) => {
    expect(promoteWatchWindow(parseConfig(config)).toMilliseconds()).toBe(watchWindowMs(contextOf(config)));
  });

  it("refuses a lease too long for Lambda's 15 minutes, naming the group's field", () => {
    // Prepare
    const config = parseConfig({
      groups: [...TWO_GROUPS.groups!, { id: 'archive', nodes: ['a-1', 'a-2'], leaseDurationSeconds: 819 }],
    });

    // Act
    const compute = () => promoteTimeout(config);

    // Assess
    expect(compute).toThrow(ConfigError);
    expect(compute).toThrow(/groups\[2\]\.leaseDurationSeconds: the promote function would need a 904 s timeout .* more than Lambda's 900 s/);
  });

  it('accepts the longest lease that fits: 818 s with a 2 s check, 900 s in all', () => {
    const config = parseConfig({ groups: [{ id: 'archive', nodes: ['a-1', 'a-2'], leaseDurationSeconds: 818 }] });
    expect(promoteTimeout(config).toSeconds()).toBe(900);
  });

  it('is checked before anything is built', () => {
    // Prepare
    const scope = new Stack(new App(), 'Patient');
    const store = new Store(scope, 'Store');
    const opsAlerts = new OpsAlerts(scope, 'OpsAlerts');
    const config = parseConfig({ groups: [{ id: 'archive', nodes: ['a-1', 'a-2'], leaseDurationSeconds: 3600 }] });

    // Act
    const build = () => new Failover(scope, 'Failover', { table: store.table, config, opsAlerts });

    // Assess
    expect(build).toThrow(/groups\[0\]\.leaseDurationSeconds/);
    expect(scope.node.tryFindChild('Failover')?.node.children ?? []).toEqual([]);
  });
});

describe('Failover without groups', () => {
  it('still has the heartbeat URL (the CLI and drills use it) and a promoter that returns at once, 80 s timeout', () => {
    // Prepare: bundling skipped for this stack, since only the resources matter here.
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });

    // Act
    const bare = new TocsinStack(app, 'Bare');
    const template = Template.fromStack(bare);

    // Assess
    expect(bare.config.groups).toEqual([]);
    template.hasOutput('HeartbeatUrl', { Value: { 'Fn::GetAtt': [logicalId(bare, bare.failover.heartbeatUrl), 'FunctionUrl'] } });
    expect(template.findResources('AWS::Lambda::Function')[logicalId(bare, bare.failover.promoteFunction)]!.Properties.Timeout).toBe(80);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(bare, bare.failover.promoteFunction), 'Arn'] } }),
    });
  });
});

describe('the CDK app', () => {
  it('loads no AWS SDK and no handler module at synth time (lib/failover recomputes the watch window)', () => {
    // Act: a fresh Node process, so jest's module registry does not hide what is loaded.
    const script =
      "require('./lib/tocsin-stack');" +
      'const loaded = Object.keys(require.cache);' +
      "process.stdout.write(JSON.stringify({ sdk: loaded.filter((m) => m.includes('@aws-sdk')), handlers: loaded.filter((m) => m.includes('/lambda/handlers/')) }));";
    const out = execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
      cwd: join(__dirname, '..', '..'),
      encoding: 'utf8',
    });

    // Assess
    expect(JSON.parse(out)).toEqual({ sdk: [], handlers: [] });
  });
});
