/**
 * Names of the environment variables the deployed functions read. `lib/` sets them and
 * `lambda/` reads them, both from these constants, so the two cannot drift apart.
 */
export const ENV = {
  /** Name of the incident-state DynamoDB table. */
  tableName: 'TABLE_NAME',
  /** ARN of the SNS topic that carries participant notices. */
  noticeTopicArn: 'NOTICE_TOPIC_ARN',
  /** ARN of the SNS topic that carries `tocsin.page/v1` pages to operators. */
  pageTopicArn: 'PAGE_TOPIC_ARN',
  /** URL of the SQS queue whose per-message delays time escalations. */
  escalationQueueUrl: 'ESCALATION_QUEUE_URL',
  /** ARN of the SNS topic that carries alerts about Tocsin itself to its operators. */
  opsTopicArn: 'OPS_TOPIC_ARN',
  /** Name of the (private) S3 bucket the public status site is written to. */
  siteBucket: 'SITE_BUCKET',
  /** Optional Tocsin configuration, as JSON (see `lambda/core/config.ts`). */
  config: 'CONFIG',
  /** Optional URL where participants answer readiness polls; `operate` names it in the poll's notice. */
  respondUrl: 'RESPOND_URL',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

/**
 * The global identifier esbuild replaces with the configuration's JSON (a string literal) when the
 * configuration is too large for `CONFIG` (`lib/store-access.ts`); `wiring.ts` reads it by this very
 * name, so the two must stay equal.
 */
export const BUNDLED_CONFIG_IDENTIFIER = 'TOCSIN_BUNDLED_CONFIG';
