import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { TOPICS } from '../lambda/adapters/table-schema';

/**
 * The participant notices topic: what trading participants subscribe to (SQS, HTTPS, e-mail,
 * Lambda, with filter policies on the `type`, `market` and `severity` message attributes).
 *
 * Encrypted with a key of its own, so that who may publish a notice is decided by this key's
 * policy and grants alone, and publishing over plain HTTP is refused.
 *
 * @example
 * const notices = new Notices(this, 'Notices');
 * notices.topic.grantPublish(notify);
 */
export class Notices extends Construct {
  /** The topic participants subscribe to. */
  public readonly topic: sns.Topic;
  /** Customer-managed key encrypting the topic's messages at rest. */
  public readonly key: kms.Key;

  public constructor(scope: Construct, id: string) {
    super(scope, id);

    this.key = new kms.Key(this, 'Key', {
      description: 'Tocsin participant notices topic',
      enableKeyRotation: true,
    });
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: TOPICS.notices.displayName,
      masterKey: this.key,
      enforceSSL: true,
    });
  }
}
