import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';

/** Properties of {@link createCloudWatchTopic}. */
export interface CloudWatchTopicProps {
  /** The topic's display name (the sender shown in e-mail and SMS deliveries). */
  readonly displayName: string;
  /**
   * Description of the topic's KMS key.
   *
   * @default - `displayName`
   */
  readonly keyDescription?: string;
  /**
   * Construct id of the topic's key, a sibling of the topic in `scope`. Construct ids become
   * logical ids, so an existing key keeps its id here rather than being replaced.
   *
   * @default `${id}Key`
   */
  readonly keyId?: string;
}

/** A topic made by {@link createCloudWatchTopic}, with the key that encrypts it. */
export interface CloudWatchTopic {
  readonly topic: sns.Topic;
  /** Customer-managed key encrypting the topic's messages at rest (rotated yearly). */
  readonly key: kms.Key;
}

/**
 * Creates an SNS topic that CloudWatch alarm actions of this account can publish to: encrypted
 * with a key of its own, refusing publishing without TLS.
 *
 * CloudWatch alarm actions cannot publish to a topic encrypted with the AWS-managed SNS key, nor
 * to a topic whose access policy does not let them in. The key policy and the topic policy made
 * here admit the CloudWatch service for alarms of this account only (`aws:SourceAccount`,
 * `aws:SourceArn`), so an alarm of another account cannot use the topic as its action.
 *
 * The topic is created in `scope` with id `id`, the key next to it (see `keyId`).
 *
 * @example
 * const { topic } = createCloudWatchTopic(this, 'AlarmsTopic', { displayName: 'Tocsin alarms' });
 * topic.addSubscription(new LambdaSubscription(ingest));
 */
export function createCloudWatchTopic(scope: Construct, id: string, props: CloudWatchTopicProps): CloudWatchTopic {
  const stack = Stack.of(scope);
  const cloudWatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');

  const key = new kms.Key(scope, props.keyId ?? `${id}Key`, {
    description: props.keyDescription ?? props.displayName,
    enableKeyRotation: true,
  });
  // SNS encrypts on the publisher's behalf, so the publishing service needs the data key.
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsToPublish',
      principals: [cloudWatch],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
    }),
  );

  const topic = new sns.Topic(scope, id, {
    displayName: props.displayName,
    masterKey: key,
    enforceSSL: true,
  });
  // enforceSSL gives the topic an explicit access policy, which replaces SNS's default one.
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsOfThisAccount',
      principals: [cloudWatch],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: {
          'aws:SourceArn': stack.formatArn({
            service: 'cloudwatch',
            resource: 'alarm',
            resourceName: '*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
      },
    }),
  );
  return { topic, key };
}
