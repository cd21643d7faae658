import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RateLimiter } from '../core/ports';
import { documentClient } from './dynamodb-store';

/**
 * Fixed-window request counts in Tocsin's table: one item per key and window,
 * `RATE#<key>` / `WINDOW#<window start, ISO>`, raised by a conditional atomic `ADD` that refuses
 * to pass the limit, and left to expire by TTL (`expiresAt`, epoch seconds) a window after it closes.
 *
 *   instance A ─ ADD hits (hits < 120) ─► 119 → 120   admitted
 *   instance B ─ ADD hits (hits < 120) ─► condition fails: 429, not counted
 *
 * Concurrent function instances share the count, and a refused request writes nothing.
 */
export class DynamoDbRateLimiter implements RateLimiter {
  private readonly client: DynamoDBDocumentClient;

  public constructor(
    private readonly tableName: string,
    client?: DynamoDBDocumentClient,
  ) {
    if (!tableName) throw new Error('DynamoDbRateLimiter needs a tableName');
    this.client = client ?? documentClient();
  }

  public async admit(key: string, windowStart: number, limit: number, expiresAt: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `RATE#${key}`, sk: `WINDOW#${new Date(windowStart).toISOString()}` },
          UpdateExpression: 'SET entity = :entity, expiresAt = :expires ADD hits :one',
          ConditionExpression: 'attribute_not_exists(hits) OR hits < :limit',
          ExpressionAttributeValues: { ':entity': 'rate-window', ':expires': Math.ceil(expiresAt / 1000), ':one': 1, ':limit': limit },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
