import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { createFunction, listAcknowledgements } from '../../lib/defaults';

const entry = join(__dirname, '..', 'fixtures', 'echo-handler.ts');

interface PolicyStatement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

describe('createFunction', () => {
  // One synthesis for the whole file; bundling with esbuild is the slow part.
  let outdir: string;
  let stack: Stack;
  let template: Template;
  let ids: { echo: string; echoLogGroup: string; echoRole: string; tuned: string; tunedLogGroup: string };

  beforeAll(() => {
    // Prepare
    outdir = mkdtempSync(join(tmpdir(), 'tocsin-function-factory-'));
    // The CLI turns asset metadata on; a bare App does not, and the bundle is found through it.
    const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
    stack = new Stack(app, 'FunctionFactory');

    // Act
    createFunction(stack, 'Echo', { entry });
    createFunction(stack, 'Tuned', {
      entry,
      memorySize: 512,
      logRetention: RetentionDays.ONE_YEAR,
      environment: { POWERTOOLS_LOG_LEVEL: 'DEBUG', GREETING: 'hello' },
    });
    template = Template.fromStack(stack);

    const id = (path: string) => stack.getLogicalId(stack.node.findChild(path).node.defaultChild as CfnElement);
    ids = {
      echo: id('Echo'),
      echoLogGroup: id('EchoLogGroup'),
      echoRole: id('EchoRole'),
      tuned: id('Tuned'),
      tunedLogGroup: id('TunedLogGroup'),
    };
  });

  afterAll(() => {
    rmSync(outdir, { recursive: true, force: true });
  });

  const functionProperties = (logicalId: string) => template.findResources('AWS::Lambda::Function')[logicalId];

  it('runs Node.js 24 on arm64 with active tracing', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      Handler: 'index.handler',
    });
    template.allResourcesProperties('AWS::Lambda::Function', { Runtime: 'nodejs24.x', Architectures: ['arm64'] });
  });

  it('has 256 MB and a 10 s timeout unless told otherwise', () => {
    expect(functionProperties(ids.echo).Properties).toMatchObject({ MemorySize: 256, Timeout: 10 });
    expect(functionProperties(ids.tuned).Properties).toMatchObject({ MemorySize: 512, Timeout: 10 });
  });

  it('sets source maps and Powertools in the environment', () => {
    expect(functionProperties(ids.echo).Properties.Environment.Variables).toEqual({
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: 'tocsin',
      POWERTOOLS_METRICS_NAMESPACE: 'Tocsin',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
  });

  it("merges the caller's environment over the house one", () => {
    expect(functionProperties(ids.tuned).Properties.Environment.Variables).toEqual({
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: 'tocsin',
      POWERTOOLS_METRICS_NAMESPACE: 'Tocsin',
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      GREETING: 'hello',
    });
  });

  it('logs to its own log group, kept one month unless told otherwise', () => {
    template.resourceCountIs('AWS::Logs::LogGroup', 2);
    expect(functionProperties(ids.echo).Properties.LoggingConfig).toEqual({ LogGroup: { Ref: ids.echoLogGroup } });
    template.templateMatches({
      Resources: {
        [ids.echoLogGroup]: { Properties: { RetentionInDays: 30 } },
        [ids.tunedLogGroup]: { Properties: { RetentionInDays: 365 } },
      },
    });
  });

  it('has a role of its own without managed policies', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { Role: { 'Fn::GetAtt': [ids.echoRole, 'Arn'] } });
    template.allResourcesProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      },
      ManagedPolicyArns: Match.absent(),
    });
  });

  it('may write to its own log group only', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: ids.echoRole }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: { 'Fn::GetAtt': [ids.echoLogGroup, 'Arn'] },
          },
        ]),
      },
    });
  });

  it('grants "*" only for the X-Ray actions that cannot be scoped', () => {
    // Prepare
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as PolicyStatement[],
    );

    // Act
    const wildcards = statements.filter((s) => JSON.stringify(s.Resource).includes('*'));

    // Assess
    expect(wildcards.length).toBeGreaterThan(0);
    for (const statement of wildcards) {
      expect(statement).toEqual({
        Effect: 'Allow',
        Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
        Resource: '*',
      });
    }
  });

  describe('bundle', () => {
    let bundleDir: string;

    beforeAll(() => {
      const assetPath = functionProperties(ids.echo).Metadata['aws:asset:path'] as string;
      bundleDir = join(outdir, assetPath);
    });

    it('is a minified index.js with an external source map', () => {
      // Act
      const code = readFileSync(join(bundleDir, 'index.js'), 'utf8');

      // Assess
      expect(code.trimEnd().split('\n').length).toBeLessThanOrEqual(3);
      expect(code).not.toMatch(/\n {2}/);
      expect(code.trimEnd()).toMatch(/\/\/# sourceMappingURL=index\.js\.map$/);
      expect(existsSync(join(bundleDir, 'index.js.map'))).toBe(true);
    });

    it('maps back to the TypeScript source without embedding it', () => {
      // Act
      const map = JSON.parse(readFileSync(join(bundleDir, 'index.js.map'), 'utf8')) as {
        sources: string[];
        sourcesContent?: unknown;
      };

      // Assess
      expect(map.sources.some((source) => source.endsWith('test/fixtures/echo-handler.ts'))).toBe(true);
      expect(map.sourcesContent).toBeUndefined();
    });

    it('exports the handler Lambda will call', async () => {
      // Prepare
      const bundle = require(join(bundleDir, 'index.js')) as { handler: (event: unknown) => Promise<unknown> };

      // Act
      const result = await bundle.handler({ ping: 1 });

      // Assess
      expect(result).toEqual({ echoed: { ping: 1 } });
    });
  });

  describe('cdk-nag AwsSolutions', () => {
    it('passes for a function made by the factory, with reasons for what it acknowledges', () => {
      // Prepare
      const app = new App();
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      const nagged = new Stack(app, 'Nagged');
      createFunction(nagged, 'Echo', { entry });

      // Act
      const synth = () => app.synth();

      // Assess
      expect(synth).not.toThrow();
      expect(listAcknowledgements(app)).toEqual([
        {
          path: 'Nagged/EchoRole/DefaultPolicy',
          id: expect.stringMatching(/AwsSolutions-IAM5\[Resource::\*\]$/),
          reason: expect.stringMatching(/X-Ray/),
        },
      ]);
    });
  });
});
