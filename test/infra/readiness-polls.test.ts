import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { ENV } from '../../lambda/adapters/environment';
import { parseConfig, parseConfigJson, type TocsinConfigInput } from '../../lambda/core/config';
import { ConfigError } from '../../lambda/core/errors';
import { listAcknowledgements } from '../../lib/defaults';
import { OpsAlerts } from '../../lib/ops-alerts';
import { PARTICIPANT_INVOKE_ACTIONS, ReadinessPolls, RESPOND_STORE_ACCESS } from '../../lib/readiness-polls';
import { TABLE_KEY_ACTIONS } from '../../lib/store-access';
import { TocsinStack } from '../../lib/tocsin-stack';
import { PROJECT_ROOT } from '../helpers/processes';
import { actionsOf, logicalId, SAMPLE_CONFIG, statementsOfRole, synthesizeTocsin, type PolicyStatement, synthWithAwsSolutionsChecks, type SynthesizedTocsin } from './template-helpers';

/**
 * The `ReadinessPolls` construct (shared/DESIGN.md, "Resumption"): the respond function behind a
 * Function URL with AWS_IAM auth whose resource policy admits exactly the configured
 * participants' accounts — `lambda:InvokeFunctionUrl` and, since October 2025 also needed,
 * `lambda:InvokeFunction` only through the URL — the `RespondUrl` output, and the respond URL
 * handed to `operate` for the poll's notice.
 */

const ACCOUNTS = ['210987654321', '310987654321'];
const CONFIG: TocsinConfigInput = {
  ...SAMPLE_CONFIG,
  participants: [
    { id: 'broker-a', name: 'Broker A', accountId: ACCOUNTS[0], tradingValueShare: 0.4 },
    { id: 'broker-b', name: 'Broker B', accountId: ACCOUNTS[1], tradingValueShare: 0.2, retail: true, retailValueShare: 0.5 },
    // No account: it cannot answer through the deployed URL, and the policy does not name it.
    { id: 'broker-c', name: 'Broker C', tradingValueShare: 0.1 },
  ],
  policy: { ...SAMPLE_CONFIG.policy, resumeQuorum: { valueShare: 0.5, retailValueShare: 0.3, retailParticipants: 1 } },
};

/** The Lambda permissions of the function with logical id `fnId`, as `[action, principal, the rest]`. */
function permissionsOf(template: Template, fnId: string): Array<Record<string, unknown>> {
  return Object.values(template.findResources('AWS::Lambda::Permission'))
    .map((r) => r.Properties as Record<string, unknown>)
    .filter((p) => JSON.stringify(p.FunctionName) === JSON.stringify({ 'Fn::GetAtt': [fnId, 'Arn'] }));
}

describe('ReadinessPolls', () => {
  // One synthesis of the whole stack for the file: bundling the handlers is the slow part.
  let synthesized: SynthesizedTocsin;
  let stack: TocsinStack;
  let template: Template;
  let ids: { fn: string; role: string; url: string; opsTopic: string; table: string; tableKey: string; operate: string };

  beforeAll(() => {
    synthesized = synthesizeTocsin('readiness-polls', CONFIG);
    ({ stack, template } = synthesized);
    const { readinessPolls } = stack;
    ids = {
      fn: logicalId(stack, readinessPolls.function),
      role: logicalId(stack, readinessPolls.function.role!),
      url: logicalId(stack, readinessPolls.functionUrl),
      opsTopic: logicalId(stack, stack.opsAlerts.topic),
      table: logicalId(stack, stack.store.table),
      tableKey: logicalId(stack, stack.store.key),
      operate: logicalId(stack, stack.operations.function),
    };
  });
  afterAll(() => synthesized.cleanup());

  const fnResource = () => template.findResources('AWS::Lambda::Function')[ids.fn]!;

  describe('function and URL', () => {
    it('runs the bundled respond handler, told the table and the configuration, no topic', () => {
      // Prepare
      const variables = fnResource().Properties.Environment.Variables as Record<string, unknown>;
      const bundle = join(synthesized.outdir, fnResource().Metadata['aws:asset:path'] as string);

      // Act
      const map = JSON.parse(readFileSync(join(bundle, 'index.js.map'), 'utf8')) as { sources: string[] };

      // Assess
      expect(variables[ENV.tableName]).toEqual({ Ref: ids.table });
      expect(parseConfigJson(variables[ENV.config] as string)).toEqual(parseConfig(CONFIG));
      expect(Object.keys(variables)).not.toContain(ENV.noticeTopicArn);
      expect(map.sources.some((s) => s.endsWith('lambda/handlers/respond.ts'))).toBe(true);
      expect(map.sources.some((s) => s.endsWith('lambda/handlers/operate.ts'))).toBe(false);
    });

    it('has a Function URL with AWS_IAM authentication', () => {
      template.templateMatches({
        Resources: { [ids.url]: { Type: 'AWS::Lambda::Url', Properties: { AuthType: 'AWS_IAM', TargetFunctionArn: { 'Fn::GetAtt': [ids.fn, 'Arn'] } } } },
      });
    });

    it('is called synchronously only: no event invoke config, no trigger', () => {
      const ofFunction = { Properties: { FunctionName: { Ref: ids.fn } } };
      expect(template.findResources('AWS::Lambda::EventInvokeConfig', ofFunction)).toEqual({});
      expect(template.findResources('AWS::Lambda::EventSourceMapping', ofFunction)).toEqual({});
    });
  });

  describe('resource policy', () => {
    it('grants exactly the configured participants’ accounts both actions a Function URL needs, and nobody else anything', () => {
      // Act
      const permissions = permissionsOf(template, ids.fn);

      // Assess
      expect(permissions).toHaveLength(ACCOUNTS.length * PARTICIPANT_INVOKE_ACTIONS.length);
      expect(permissions).toEqual(
        expect.arrayContaining(
          ACCOUNTS.flatMap((account) => [
            { Action: 'lambda:InvokeFunctionUrl', FunctionName: { 'Fn::GetAtt': [ids.fn, 'Arn'] }, Principal: account, FunctionUrlAuthType: 'AWS_IAM' },
            { Action: 'lambda:InvokeFunction', FunctionName: { 'Fn::GetAtt': [ids.fn, 'Arn'] }, Principal: account, InvokedViaFunctionUrl: true },
          ]),
        ),
      );
      expect(new Set(permissions.map((p) => p.Principal))).toEqual(new Set(ACCOUNTS));
      expect(stack.readinessPolls.participantAccounts).toEqual(ACCOUNTS);
    });

    it('grants no account lambda:InvokeFunction except through the URL', () => {
      const direct = permissionsOf(template, ids.fn).filter((p) => p.Action === 'lambda:InvokeFunction' && p.InvokedViaFunctionUrl !== true);
      expect(direct).toEqual([]);
    });
  });

  describe('IAM', () => {
    it('may read a poll, read the incident and write answers, and nothing else in DynamoDB: no index', () => {
      // Act
      const dynamo = statementsOfRole(template, ids.role).filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));

      // Assess
      expect(dynamo).toEqual([{ Effect: 'Allow', Action: [...RESPOND_STORE_ACCESS.tableActions], Resource: { 'Fn::GetAtt': [ids.table, 'Arn'] } }]);
    });

    it('may use the table key only, and publishes to no topic', () => {
      // Act
      const statements = statementsOfRole(template, ids.role);

      // Assess
      expect(statements.filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')))).toEqual([
        { Effect: 'Allow', Action: [...TABLE_KEY_ACTIONS], Resource: { 'Fn::GetAtt': [ids.tableKey, 'Arn'] } },
      ]);
      expect(statements.flatMap(actionsOf).filter((a) => a.startsWith('sns:') || a.startsWith('sqs:') || a === 'dynamodb:Scan')).toEqual([]);
    });
  });

  describe('alarms', () => {
    it('are on function errors and on refused answers, both to the ops topic', () => {
      // Act
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: Match.stringLikeRegexp('^Tocsin-ops-ReadinessPolls-') } })).map(
        (a) => a.Properties,
      );

      // Assess
      expect(alarms.map((a) => a.AlarmName).sort()).toEqual(['Tocsin-ops-ReadinessPolls-AnswersRejected', 'Tocsin-ops-ReadinessPolls-Errors']);
      for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([{ Ref: ids.opsTopic }]);
      // Three refusals in five minutes, not one: a late answer refused after respondBy is no alarm.
      expect(alarms.find((a) => a.AlarmName.endsWith('AnswersRejected'))).toMatchObject({
        Namespace: 'Tocsin',
        MetricName: 'ReadinessAnswersRejected',
        Period: 300,
        Threshold: 3,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
      });
    });
  });

  describe('the notices topic', () => {
    it('lets exactly the participants’ accounts subscribe, by SQS, Lambda, HTTPS or e-mail, not SMS', () => {
      // Prepare
      const topic = logicalId(stack, stack.notices.topic);

      // Act
      const policy = Object.values(template.findResources('AWS::SNS::TopicPolicy')).find((p) => JSON.stringify(p.Properties.Topics) === JSON.stringify([{ Ref: topic }]))!;
      const subscribe = policy.Properties.PolicyDocument.Statement.filter((st: PolicyStatement) => actionsOf(st).includes('sns:Subscribe'));

      // Assess
      expect(subscribe).toEqual([
        {
          Sid: 'ParticipantAccountsSubscribe',
          Effect: 'Allow',
          Principal: { AWS: ACCOUNTS.map((account) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${account}:root`]] })) },
          Action: 'sns:Subscribe',
          Resource: { Ref: topic },
          Condition: { StringEquals: { 'sns:Protocol': ['sqs', 'lambda', 'https', 'email', 'email-json'] } },
        },
      ]);
    });
  });

  describe('outputs and wiring', () => {
    it('RespondUrl is the URL', () => {
      template.hasOutput('RespondUrl', { Value: { 'Fn::GetAtt': [ids.url, 'FunctionUrl'] } });
    });

    it('operate is told the URL, to name it in each readiness poll notice', () => {
      const operate = template.findResources('AWS::Lambda::Function')[ids.operate]!;
      expect(operate.Properties.Environment.Variables[ENV.respondUrl]).toEqual({ 'Fn::GetAtt': [ids.url, 'FunctionUrl'] });
    });
  });

  describe('cdk-nag AwsSolutions', () => {
    it('passes for the whole TocsinStack, acknowledging only X-Ray\'s "*" here', () => {
      // Act
      const synth = () => synthWithAwsSolutionsChecks(synthesized.app);

      // Assess
      expect(synth).not.toThrow();
      expect(listAcknowledgements(synthesized.app.node.findChild('Tocsin').node.findChild('ReadinessPolls'))).toEqual([
        { path: 'Tocsin/ReadinessPolls/FunctionRole/DefaultPolicy', id: expect.stringMatching(/AwsSolutions-IAM5\[Resource::\*\]$/), reason: expect.stringMatching(/X-Ray/) },
      ]);
    });
  });

  describe('on its own', () => {
    /** The construct alone in a small stack (one bundle), for the branches of its props; synthesized into a folder removed after. */
    function alone(config: TocsinConfigInput): Template {
      const outdir = mkdtempSync(join(tmpdir(), 'tocsin-readiness-alone-'));
      try {
        const small = new Stack(new App({ outdir }), 'Small');
        const table = new dynamodb.Table(small, 'Table', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING }, sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING } });
        new ReadinessPolls(small, 'ReadinessPolls', { table, config: parseConfig(config), opsAlerts: new OpsAlerts(small, 'OpsAlerts') });
        return Template.fromStack(small);
      } finally {
        rmSync(outdir, { recursive: true, force: true });
      }
    }

    it("writes ninety participants (too many for Lambda's 4 KB environment) into the bundle, and the bundled handler reads them", async () => {
      // Prepare: a market's worth of participants, each on its own account; synthesized under the
      // project, so that the bundle finds the AWS SDK (left out of it) in node_modules.
      const participants = Array.from({ length: 90 }, (_, n) => ({
        id: `p-${String(n).padStart(2, '0')}`,
        name: `Participant ${n} Securities Co., Ltd.`,
        accountId: String(200000000000 + n),
        tradingValueShare: 0.01,
      }));
      mkdirSync(join(PROJECT_ROOT, 'cdk.out'), { recursive: true });
      const outdir = mkdtempSync(join(PROJECT_ROOT, 'cdk.out', 'readiness-'));
      const saved = { config: process.env[ENV.config], table: process.env[ENV.tableName] };
      try {
        const small = new Stack(new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } }), 'Large');
        const table = new dynamodb.Table(small, 'Table', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING }, sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING } });
        const polls = new ReadinessPolls(small, 'ReadinessPolls', { table, config: parseConfig({ participants }), opsAlerts: new OpsAlerts(small, 'OpsAlerts') });
        const template = Template.fromStack(small);
        const fn = template.findResources('AWS::Lambda::Function')[logicalId(small, polls.function)]!;
        // No CONFIG from another test file of this worker: the bundle alone must carry the configuration.
        delete process.env[ENV.config];
        process.env[ENV.tableName] = 'never-read-here';
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const bundled = require(join(outdir, fn.Metadata['aws:asset:path'] as string, 'index.js')) as { handler: (event: unknown) => Promise<{ statusCode: number; body: string }> };

        // Act: p-88's account answers for p-89, the 90th participant: refused before the store is read.
        const sample = JSON.parse(readFileSync(join(PROJECT_ROOT, 'events', 'respond', 'readiness-answer.json'), 'utf8')) as Record<string, any>;
        const event = {
          ...sample,
          requestContext: { ...sample.requestContext, authorizer: { iam: { ...sample.requestContext.authorizer.iam, accountId: '200000000088' } } },
          body: JSON.stringify({ pollId: 'poll-1', participantId: 'p-89', ready: true }),
        };
        const reply = await bundled.handler(event);

        // Assess
        expect(Object.keys(fn.Properties.Environment.Variables)).not.toContain(ENV.config);
        expect(reply.statusCode).toBe(403);
        expect(JSON.parse(reply.body).error).toBe('account 200000000088 may not answer for participant "p-89": sign with the participant\'s own account');
        template.resourceCountIs('AWS::Lambda::Permission', 180);
      } finally {
        if (saved.config === undefined) delete process.env[ENV.config];
        else process.env[ENV.config] = saved.config;
        if (saved.table === undefined) delete process.env[ENV.tableName];
        else process.env[ENV.tableName] = saved.table;
        rmSync(outdir, { recursive: true, force: true });
      }
    });

    it('grants no account anything when no participant has an accountId', () => {
      // Act
      const template = alone({ participants: [{ id: 'broker-c', name: 'Broker C', tradingValueShare: 0.1 }] });

      // Assess
      template.resourceCountIs('AWS::Lambda::Url', 1);
      template.resourceCountIs('AWS::Lambda::Permission', 0);
    });
  });

  it.each<[string, TocsinConfigInput, RegExp]>([
    [
      'two participants on one account',
      { participants: [{ id: 'a', name: 'A', accountId: ACCOUNTS[0], tradingValueShare: 0.1 }, { id: 'b', name: 'B', accountId: ACCOUNTS[0], tradingValueShare: 0.1 }] },
      /participants\[1\]\.accountId: account 210987654321 is already participant "a"'s/,
    ],
    ['an account id that is not one', { participants: [{ id: 'a', name: 'A', accountId: 'broker-a', tradingValueShare: 0.1 }] }, /participants\[0\]\.accountId: must be a 12-digit AWS account id/],
  ])('rejects a configuration with %s at synth time, naming the field', (_, config, message) => {
    // Prepare
    const app = new App();

    // Act
    const build = () => new TocsinStack(app, 'Invalid', { config });

    // Assess
    expect(build).toThrow(ConfigError);
    expect(build).toThrow(message);
  });
});
