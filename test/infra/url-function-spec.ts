import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { ENV } from '../../lambda/adapters/environment';
import { parseConfig, parseConfigJson } from '../../lambda/core/config';
import type { TocsinStack } from '../../lib/tocsin-stack';
import { SAMPLE_CONFIG } from './template-helpers';

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
