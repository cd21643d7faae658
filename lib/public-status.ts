import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../lambda/adapters/environment';
import type { TocsinConfig } from '../lambda/core/config';
import { SITE_MAX_AGE_SECONDS } from '../lambda/views/public-site';
import { acknowledge, ANY_IN_A_PERIOD, createDeadLetterQueue, createFunction, scheduleEveryMinute } from './defaults';
import type { OpsAlerts } from './ops-alerts';
import { grantStoreAccess, storeSettings, type StoreAccess } from './store-access';

/** Properties of {@link PublicStatus}. */
export interface PublicStatusProps {
  /** The incident store, read for market states and notices; the site's own index item is written. */
  readonly table: dynamodb.ITable;
  /** The participant notices topic: every notice published to it rebuilds the site. */
  readonly noticeTopic: sns.ITopic;
  /** Tocsin's configuration with its defaults applied (markets, time zones, languages); passed as `CONFIG`. */
  readonly config: TocsinConfig;
  /** Where the alarms on this construct's own failures go. */
  readonly opsAlerts: OpsAlerts;
}

/**
 * What `public-site` does with the store: GetItem for market states and the site index, Query for
 * an incident's notices, and a conditional PutItem of the site index (`SITE`/`INDEX`).
 */
export const PUBLIC_SITE_STORE_ACCESS: StoreAccess = {
  tableActions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem'],
};

/** The files rewritten on every rebuild (the incident pages are under `incidents/`). */
export const SITE_TOP_FILES = ['index.html', 'status.json', 'feed.atom'] as const;

/** How long CloudFront keeps a file at most, whatever its Cache-Control says. */
export const SITE_MAX_TTL = Duration.seconds(60);

/**
 * The participants' public status site (shared/DESIGN.md, "Participants' view"): static files in
 * a private S3 bucket, served by CloudFront through origin access control, rebuilt by the
 * `public-site` function whenever a participant notice is published (an SNS → Lambda
 * subscription on the notices topic) and every minute (a schedule, which also builds the first
 * page of a fresh deploy).
 *
 *   notices topic ─ public-site (reserved concurrency 1) ─ PutObject ─ bucket ─ OAC ─ CloudFront ─ everyone
 *
 * Static files survive the spike of everyone refreshing during an outage: CloudFront answers
 * from its edge caches (files say `max-age=10`, so a halt shows within seconds), and Tocsin's
 * table and functions see one rebuild per notice whatever the number of readers. One rebuild at a
 * time (reserved concurrency 1): each reads the store afresh, so the last one shows the latest
 * state. A notice the function keeps failing on goes to the subscription's dead-letter queue,
 * and the next notice or the next minute rebuilds the site anyway.
 *
 * @example
 * const site = new PublicStatus(this, 'PublicStatus', { table, noticeTopic: notices.topic, config, opsAlerts });
 * new CfnOutput(this, 'PublicStatusUrl', { value: site.url });
 */
export class PublicStatus extends Construct {
  /** Private bucket of the site's files (no public access; CloudFront reads it through OAC). */
  public readonly bucket: s3.Bucket;
  public readonly distribution: cloudfront.Distribution;
  /** The `public-site` function (`lambda/handlers/public-site.ts`). */
  public readonly function: NodejsFunction;
  /** Notices the function kept failing on (SNS's retries exhausted), kept 14 days. */
  public readonly deadLetterQueue: sqs.Queue;
  /** `https://<distribution>.cloudfront.net/` */
  public readonly url: string;

  public constructor(scope: Construct, id: string, props: PublicStatusProps) {
    super(scope, id);
    const { table, noticeTopic, config, opsAlerts } = props;
    // Before anything is built: a configuration too large even for the bundle fails here.
    const store = storeSettings(table, config);

    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // The files are rebuilt from the table at any time: nothing here needs keeping.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(
      this.bucket,
      'AwsSolutions::AwsSolutions-S1',
      'Only the public-site function writes this bucket (its role, logged by CloudTrail) and only CloudFront reads it (OAC); its files are public market facts rebuilt from the table.',
    );

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Tocsin public market status',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: new cloudfront.CachePolicy(this, 'ShortCache', {
          comment: 'Tocsin public status: the files say how long (max-age), at most a minute',
          minTtl: Duration.seconds(0),
          defaultTtl: Duration.seconds(SITE_MAX_AGE_SECONDS),
          maxTtl: SITE_MAX_TTL,
          enableAcceptEncodingGzip: true,
          enableAcceptEncodingBrotli: true,
        }),
        responseHeadersPolicy: cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
        compress: true,
      },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
    });
    acknowledge(this.distribution, 'AwsSolutions::AwsSolutions-CFR1', 'Market status is public information for participants and the public in every country.');
    acknowledge(
      this.distribution,
      'AwsSolutions::AwsSolutions-CFR2',
      'Static, cached, read-only files: CloudFront absorbs request floods without reaching the origin; attach a web ACL with rate rules if your policy requires one.',
    );
    acknowledge(this.distribution, 'AwsSolutions::AwsSolutions-CFR3', 'Public, anonymous, read-only content with no personal data; enable standard logging to a bucket of your choice if your policy requires it.');
    acknowledge(
      this.distribution,
      'AwsSolutions::AwsSolutions-CFR4',
      'The default *.cloudfront.net certificate cannot be limited to TLS 1.2; put the site on your own domain and certificate to enforce TLSv1.2_2021.',
    );
    this.url = `https://${this.distribution.distributionDomainName}/`;

    this.function = createFunction(this, 'Function', {
      entry: join(__dirname, '..', 'lambda', 'handlers', 'public-site.ts'),
      description: 'Tocsin public-site: rebuilds the public market status site from the store',
      ...store,
      environment: { ...store.environment, [ENV.siteBucket]: this.bucket.bucketName },
      // One rebuild at a time: the last one shows the latest state.
      reservedConcurrentExecutions: 1,
    });
    grantStoreAccess(this.function, table, PUBLIC_SITE_STORE_ACCESS);
    // PutObject on the site's own keys: the three top files by name, the incident pages by prefix.
    this.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [...SITE_TOP_FILES.map((key) => this.bucket.arnForObjects(key)), this.bucket.arnForObjects('incidents/*')] }),
    );
    const stack = Stack.of(this);
    const bucketLogicalId = stack.resolve(stack.getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)) as string;
    acknowledge(
      this.function.role!.node.findChild('DefaultPolicy'),
      `AwsSolutions::AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/incidents/*]`,
      'One page per announced incident, named by its id: PutObject under the incidents/ prefix of the site bucket only.',
    );

    this.deadLetterQueue = createDeadLetterQueue(
      this,
      'DeadLetterQueue',
      'This queue is itself the dead-letter queue of the notices-topic subscription of public-site; nothing consumes it (the next notice or minute rebuilds the site).',
    );
    noticeTopic.addSubscription(new subscriptions.LambdaSubscription(this.function, { deadLetterQueue: this.deadLetterQueue }));
    scheduleEveryMinute(this, 'Rebuild', this.function, 'Rebuilds the Tocsin public status site (and builds the first page of a fresh deploy)');

    const oneMinute = Duration.minutes(1);
    opsAlerts.alarmOn(this, 'Errors', {
      alarmDescription: 'The public-site function failed: the public status page may show an old state until the next rebuild.',
      metric: this.function.metricErrors({ period: oneMinute, statistic: cloudwatch.Stats.SUM }),
      ...ANY_IN_A_PERIOD,
    });
    opsAlerts.alarmOn(this, 'DeadLetters', {
      alarmDescription: 'Notices wait in the public-site dead-letter queue: the public status page missed them until a later rebuild.',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: oneMinute, statistic: cloudwatch.Stats.MAXIMUM }),
      ...ANY_IN_A_PERIOD,
    });
  }
}
