import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QueryCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Page } from '../../lambda/core/model';
import { PROJECT_ROOT } from './processes';

/** A sample event from events/ — the same files `sam local invoke -e` and `npm start` use. */
export function loadEvent<T = Record<string, unknown>>(relativePath: string): T {
  return JSON.parse(readFileSync(join(PROJECT_ROOT, 'events', relativePath), 'utf8')) as T;
}

export interface FunctionUrlOptions {
  readonly method?: string;
  readonly contentType?: string;
  readonly callerArn?: string;
  readonly path?: string;
}

/** A Function URL event (payload format 2.0) built from the sample, with another body. */
export function functionUrlEvent(body: unknown, options: FunctionUrlOptions = {}): Record<string, unknown> {
  const sample = loadEvent<Record<string, any>>('function-url/monitor-event-firing.json');
  const authorizer = options.callerArn ? { iam: { ...sample.requestContext.authorizer.iam, userArn: options.callerArn } } : undefined;
  return {
    ...sample,
    rawPath: options.path ?? '/',
    headers: { ...sample.headers, 'content-type': options.contentType ?? 'application/json' },
    requestContext: {
      ...sample.requestContext,
      ...(authorizer ? { authorizer } : { authorizer: undefined }),
      http: { ...sample.requestContext.http, method: options.method ?? 'POST', path: options.path ?? '/' },
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    isBase64Encoded: false,
  };
}

/** Every item of a table, for "nothing was written" assertions. */
export async function tableItems(client: DynamoDBClient, tableName: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, any> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ...(ExclusiveStartKey ? { ExclusiveStartKey } : {}) }));
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

/**
 * The operator pages a transition wrote for an incident (`PAGE#` items, in page order): what the
 * `pages` function will publish. The store's port has no reader for them (only the stream does).
 */
export async function storedPages(client: DynamoDBClient, tableName: string, incidentId: string): Promise<Page[]> {
  const { Items } = await client.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :page)',
      ExpressionAttributeValues: { ':pk': { S: `INCIDENT#${incidentId}` }, ':page': { S: 'PAGE#' } },
      ConsistentRead: true,
    }),
  );
  return (Items ?? []).map((item) => unmarshall(item).page as Page);
}
