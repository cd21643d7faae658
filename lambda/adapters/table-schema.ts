/**
 * The single definition of Tocsin's DynamoDB table: keys, indexes, stream and TTL.
 *
 * Both the CDK stack (`lib/store.ts`) and the local runtime / test harness
 * (`local/resources.ts`) build the table from this object, so the deployed table and the
 * emulated one cannot drift. Plain data on purpose: no CDK and no SDK types here.
 */
export const TABLE_SCHEMA = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  globalSecondaryIndexes: [
    /**
     * Sparse index for the "what is open right now" queries (open incidents, pending outbox
     * items): only items that carry `gsi1pk` appear in it.
     */
    {
      indexName: 'gsi1',
      partitionKey: { name: 'gsi1pk', type: 'S' },
      sortKey: { name: 'gsi1sk', type: 'S' },
      projection: 'ALL',
    },
    /**
     * Sparse index of every incident, open or resolved, newest first (`GET /incidents`): only
     * incident state items carry `gsi2pk` (`INCIDENTS`), sorted by `gsi2sk` = `<openedAt ISO>#<id>`.
     * One partition, like gsi1's `INCIDENTS#OPEN`: incident items change a few times in their life,
     * far below one partition's write rate, and one Query per page needs no month-by-month walk.
     * An incident leaves it when its item expires (TTL, `incidentDays` after it was resolved).
     */
    {
      indexName: 'gsi2',
      partitionKey: { name: 'gsi2pk', type: 'S' },
      sortKey: { name: 'gsi2sk', type: 'S' },
      projection: 'ALL',
    },
  ],
  /** Epoch seconds after which DynamoDB may delete the item (sent outbox items, old heartbeats). */
  timeToLiveAttribute: 'expiresAt',
  /** The notify function needs the new image of outbox inserts; old images help audits. */
  streamViewType: 'NEW_AND_OLD_IMAGES',
} as const;

export type TableSchema = typeof TABLE_SCHEMA;

/**
 * The SNS topics Tocsin owns. `fifo` is false on purpose: participants subscribe SQS queues,
 * HTTPS endpoints and e-mail, and FIFO topics deliver only to SQS; ordering is carried by the
 * notice's per-incident `sequence` instead.
 */
export const TOPICS = {
  notices: { displayName: 'Tocsin participant notices' },
  pages: { displayName: 'Tocsin operator pages' },
  ops: { displayName: 'Tocsin operations alerts' },
} as const;

export type TopicKey = keyof typeof TOPICS;

/**
 * The event-source filter of the notify function: only outbox inserts reach it. The CDK stack
 * passes it to the event source mapping (`FilterCriteria`), and the local runtime's stream
 * poller applies the same pattern, so both deliver exactly the same records.
 */
export const OUTBOX_STREAM_FILTER = {
  eventName: ['INSERT'],
  dynamodb: { NewImage: { entity: { S: ['notice'] } } },
} as const;

/**
 * The event-source filter of the `pages` function: operator pages and escalation timers written
 * by transitions. Shared by the CDK stack and the local runtime's stream poller.
 */
export const PAGE_STREAM_FILTER = {
  eventName: ['INSERT'],
  dynamodb: { NewImage: { entity: { S: ['page', 'timer'] } } },
} as const;

/** Stream → notify delivery settings shared by the CDK event source and the local poller. */
export const OUTBOX_STREAM_SETTINGS = {
  /** At most 10 records a batch: one SNS PublishBatch call. */
  batchSize: 10,
  /** Retries of a failing batch before it goes to the on-failure destination. */
  retryAttempts: 5,
  bisectBatchOnError: true,
} as const;
