import { Match, type Template } from 'aws-cdk-lib/assertions';
import { ENV } from '../../lambda/adapters/environment';
import { SITE_MAX_AGE_SECONDS } from '../../lambda/views/public-site';
import { PUBLIC_SITE_STORE_ACCESS, SITE_MAX_TTL } from '../../lib/public-status';
import type { TocsinStack } from '../../lib/tocsin-stack';
import { actionsOf, logicalId, statementsOfRole, synthesizeTocsin, type SynthesizedTocsin } from './template-helpers';

/**
 * The participants' public status site as deployed: a private, encrypted bucket that only
 * CloudFront reads (origin access control), a short cache, a function rebuilding the site on each
 * notice and each minute, one rebuild at a time, with least privilege and alarms.
 */
describe('PublicStatus', () => {
  let synthesized: SynthesizedTocsin;
  let stack: TocsinStack;
  let template: Template;
  let ids: { bucket: string; fn: string; role: string; dlq: string; noticeTopic: string; distribution: string };

  beforeAll(() => {
    synthesized = synthesizeTocsin('public-status');
    ({ stack, template } = synthesized);
    const site = stack.publicStatus;
    ids = {
      bucket: logicalId(stack, site.bucket),
      fn: logicalId(stack, site.function),
      role: logicalId(stack, site.function.role!),
      dlq: logicalId(stack, site.deadLetterQueue),
      noticeTopic: logicalId(stack, stack.notices.topic),
      distribution: logicalId(stack, site.distribution),
    };
  });
  afterAll(() => synthesized.cleanup());

  it('keeps the files in a private, encrypted, TLS-only bucket', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    });
    const policy = Object.values(template.findResources('AWS::S3::BucketPolicy')).find((p) => JSON.stringify(p.Properties.Bucket).includes(ids.bucket))!;
    const statements = policy.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>;
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    // Only CloudFront (this distribution) may read it.
    const reads = statements.filter((s) => s.Effect === 'Allow');
    expect(reads).toEqual([expect.objectContaining({ Action: 's3:GetObject', Principal: { Service: 'cloudfront.amazonaws.com' } })]);
    expect(JSON.stringify(reads[0]!.Condition)).toContain(ids.distribution);
  });

  it('serves it through CloudFront with origin access control, HTTPS, index.html at / and a short cache', () => {
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https', AllowedMethods: ['GET', 'HEAD'] }),
      }),
    });
    template.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({ MinTTL: 0, DefaultTTL: SITE_MAX_AGE_SECONDS, MaxTTL: SITE_MAX_TTL.toSeconds() }),
    });
    template.hasOutput('PublicStatusUrl', { Value: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [ids.distribution, 'DomainName'] }, '/']] } });
  });

  it('rebuilds on every notice (an SNS subscription with a dead-letter queue) and every minute, one at a time', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 1,
      Environment: { Variables: Match.objectLike({ [ENV.siteBucket]: { Ref: ids.bucket } }) },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: { Ref: ids.noticeTopic },
      Endpoint: { 'Fn::GetAtt': [ids.fn, 'Arn'] },
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [ids.dlq, 'Arn'] } },
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(1 minute)', Target: Match.objectLike({ Arn: { 'Fn::GetAtt': [ids.fn, 'Arn'] } }) });
  });

  it('grants the function only what it does: the store actions, and PutObject on the site keys', () => {
    const statements = statementsOfRole(template, ids.role);
    const s3 = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
    expect(s3.flatMap(actionsOf)).toEqual(['s3:PutObject']);
    expect(JSON.stringify(s3[0]!.Resource)).toContain('/incidents/*');
    const dynamodb = statements.flatMap(actionsOf).filter((a) => a.startsWith('dynamodb:'));
    expect(dynamodb.sort()).toEqual([...PUBLIC_SITE_STORE_ACCESS.tableActions].sort());
  });

  it('alarms on its errors and on notices in its dead-letter queue', () => {
    const alarms = Object.keys(template.findResources('AWS::CloudWatch::Alarm')).filter((id) => id.startsWith('PublicStatus'));
    expect(alarms.length).toBe(2);
  });
});
