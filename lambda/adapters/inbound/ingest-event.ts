import * as z from 'zod';
import { ValidationError, type FieldProblem } from '../../core/errors';
import { describe } from '../../core/validation';

/** Which of its three shapes an event of the `ingest` function is: EventBridge, SNS, or a Function URL request. */

export type IngestEventKind = 'eventbridge' | 'sns' | 'http';

/** What the ingest Lambda accepts, for messages. */
export const ACCEPTED_INGEST_SHAPES =
  'an EventBridge event with source "aws.cloudwatch" and detail-type "CloudWatch Alarm State Change", ' +
  'an SNS event (Records[].EventSource "aws:sns"), ' +
  'or a Lambda Function URL request (version "2.0" with requestContext.http)';

/**
 * Only the discriminating fields of each shape; the full validation happens in the parser for
 * that shape, so a malformed alarm event is reported field by field rather than as "unknown shape".
 * Any EventBridge envelope (`detail-type`, `source`, `detail`) counts as 'eventbridge': an event
 * the rule should not have routed here (say "CloudWatch Alarm Configuration Change") is then
 * refused by {@link signalFromCloudWatchEvent} with a message naming `detail-type`.
 */
export const ingestEventShapeSchema = z.union([
  z
    .looseObject({ 'detail-type': z.string(), source: z.string(), detail: z.looseObject({}) })
    .transform((): IngestEventKind => 'eventbridge'),
  z
    .looseObject({ Records: z.array(z.looseObject({ EventSource: z.literal('aws:sns') })).min(1) })
    .transform((): IngestEventKind => 'sns'),
  z
    .looseObject({ version: z.literal('2.0'), requestContext: z.looseObject({ http: z.looseObject({ method: z.string() }) }) })
    .transform((): IngestEventKind => 'http'),
]);

/**
 * Says which of the three shapes an ingest event is.
 *
 * @throws ValidationError `invalid ingest event: expected an EventBridge event … or a Lambda Function URL request …; got an object with keys "foo"`
 */
export function classifyIngestEvent(event: unknown): IngestEventKind {
  const result = ingestEventShapeSchema.safeParse(event);
  if (!result.success) {
    const problem: FieldProblem = { field: '', problem: `expected ${ACCEPTED_INGEST_SHAPES}; got ${describe(event)}` };
    throw new ValidationError('ingest event', [problem], { cause: result.error });
  }
  return result.data;
}
