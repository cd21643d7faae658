import type { Notice } from '../lambda/core/model';
import { parseNotice } from '../lambda/core/notice';
import { ValidationError } from './errors';

/**
 * What SNS wraps a message in: the JSON document an SQS queue receives without raw delivery,
 * and the body of every POST to an HTTP(S) subscription. Field names as AWS documents them
 * ("HTTP/HTTPS notification JSON format"); values are strings except `MessageAttributes`, and
 * `Subject` may be null (SNS to SQS writes `null` when the publisher gave none).
 */
export interface SnsEnvelope {
  readonly Type: 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation' | (string & {});
  readonly MessageId: string;
  readonly TopicArn: string;
  readonly Message: string;
  readonly Timestamp: string;
  readonly Subject?: string | null;
  readonly Token?: string;
  readonly SubscribeURL?: string;
  readonly UnsubscribeURL?: string;
  readonly SignatureVersion?: string;
  readonly Signature?: string;
  readonly SigningCertURL?: string;
  readonly MessageAttributes?: Readonly<Record<string, { readonly Type: string; readonly Value: string }>>;
}

/** The message types SNS posts to an HTTP(S) endpoint (header `x-amz-sns-message-type`). */
export const SNS_MESSAGE_TYPES = ['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation'] as const;

/** Either a notice, or why the message is not one (the error names the field). */
export type ReadResult = { readonly ok: true; readonly notice: Notice } | { readonly ok: false; readonly error: ValidationError };

/**
 * Reads one message body as a Tocsin notice, whether SNS wrapped it in a `Notification`
 * envelope (the default for SQS and HTTP subscriptions) or delivered it raw
 * (`RawMessageDelivery`). Never throws for bad input: a body that is not JSON, an envelope
 * without `Message`, or a notice that breaks `tocsin.notice/v1` comes back as an error.
 *
 * Tells the two apart by shape: an envelope has a string `Type` and no `schema`; a notice has
 * `schema` (and its own `type`, lower case).
 */
export function readNoticeMessage(body: string | object): ReadResult {
  const parsed = typeof body === 'string' ? parseJson(body, 'message body') : { ok: true as const, value: body };
  if (!parsed.ok) return parsed;
  const value = parsed.value;
  if (isEnvelope(value)) {
    if (value['Type'] === 'SubscriptionConfirmation') {
      // Lands in a queue when the topic's account created a cross-account subscription.
      return invalid('SNS envelope', 'Type', `a SubscriptionConfirmation, not a notice: confirm it by visiting its SubscribeURL (${String(value['SubscribeURL'])}), or subscribe the queue from its own account`);
    }
    if (value['Type'] !== 'Notification') {
      return invalid('SNS envelope', 'Type', `expected "Notification", got ${JSON.stringify(value['Type'])}`);
    }
    const message = value['Message'];
    if (typeof message !== 'string') return invalid('SNS envelope', 'Message', 'missing; expected the notice as a JSON string');
    const inner = parseJson(message, 'notice');
    if (!inner.ok) return inner;
    return parse(inner.value);
  }
  return parse(value);
}

function isEnvelope(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as Record<string, unknown>)['Type'] === 'string' && !('schema' in value);
}

function parse(value: unknown): ReadResult {
  try {
    return { ok: true, notice: parseNotice(value) };
  } catch (error) {
    if (error instanceof ValidationError) return { ok: false, error };
    throw error;
  }
}

function parseJson(text: string, what: string): { ok: true; value: unknown } | { ok: false; error: ValidationError } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, error: new ValidationError(what, [{ field: '', problem: `not JSON (${(error as Error).message})` }], { cause: error }) };
  }
}

function invalid(what: string, field: string, problem: string): { ok: false; error: ValidationError } {
  return { ok: false, error: new ValidationError(what, [{ field, problem }]) };
}
