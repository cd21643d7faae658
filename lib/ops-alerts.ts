import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { TOPICS } from '../lambda/adapters/table-schema';

/**
 * The operations topic: CloudWatch alarms about Tocsin's own failures (function errors, DLQ
 * depth) notify Tocsin's operators here, never the participants.
 *
 * CloudWatch alarm actions cannot publish to a topic encrypted with the AWS-managed SNS key, nor
 * to a topic whose access policy does not let them in; the key policy and the topic policy
 * below admit the CloudWatch service for alarms of this account only.
 *
 * @example
 * const opsAlerts = new OpsAlerts(this, 'OpsAlerts');
 * alarm.addAlarmAction(new SnsAction(opsAlerts.topic));
 */
export class OpsAlerts extends Construct {
  /** The topic Tocsin's alarms notify. */
  public readonly topic: sns.Topic;
  /** Customer-managed key encrypting the topic's messages at rest. */
  public readonly key: kms.Key;

  public constructor(scope: Construct, id: string) {
    super(scope, id);
    const stack = Stack.of(this);
    const cloudWatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');

    this.key = new kms.Key(this, 'Key', {
      description: 'Tocsin operations alerts topic',
      enableKeyRotation: true,
    });
    // SNS encrypts on the publisher's behalf, so the publishing service needs the data key.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [cloudWatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: TOPICS.ops.displayName,
      masterKey: this.key,
      enforceSSL: true,
    });
    // enforceSSL gives the topic an explicit access policy, which replaces SNS's default one.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccount',
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
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
  }
}
