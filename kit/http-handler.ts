import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Notice } from '../lambda/core/model';
import { SNS_MESSAGE_TYPES, type SnsEnvelope } from './envelope';
import { NoticeDeliveryError, SignatureVerificationError, type ValidationError } from './errors';
import type { NoticeReceiver } from './receiver';
import { isTrustedSnsUrl, type SnsMessageVerifier } from './sns-signature';

/** Visits a verified `SubscribeURL` (already checked to be https on an SNS host). */
export type ConfirmSubscription = (subscribeUrl: URL, message: SnsEnvelope) => Promise<void>;

export interface SnsHttpHandlerOptions {
  readonly receiver: NoticeReceiver;
  /** Signature check, e.g. {@link createSnsSignatureVerifier}(). Every message goes through it. */
  readonly verify: SnsMessageVerifier;
  /** The participant's handler, called once per notice, in order per incident. */
  readonly onNotice: (notice: Notice) => void | Promise<void>;
  /**
   * Confirms a `SubscriptionConfirmation` by visiting its `SubscribeURL`.
   * @default an https GET with fetch (no redirects, 10 s timeout)
   */
  readonly confirmSubscription?: ConfirmSubscription;
  /** Told about each message refused with a 4xx (bad signature, not a notice …). @default ignore */
  readonly onRejected?: (error: SignatureVerificationError | ValidationError, status: number) => void;
  /** Told about failures answered with 5xx (onNotice threw, confirmation failed). @default ignore */
  readonly onError?: (error: unknown) => void;
  /**
   * Largest body accepted, in bytes. SNS messages are at most 256 KiB, and JSON escaping in the
   * envelope can grow them. @default 1 MiB
   */
  readonly maxBodyBytes?: number;
}

/** A node `http`/`https` request listener, plus `close()` to stop its release timer. */
export interface SnsHttpHandler {
  (request: IncomingMessage, response: ServerResponse): void;
  close(): void;
}

/**
 * The HTTPS endpoint of an SNS subscription, for node's `http.createServer` /
 * `https.createServer`.
 *
 * | request | answer |
 * |---|---|
 * | signed `Notification` carrying a notice (new, held, duplicate or stale) | 200 |
 * | signed `SubscriptionConfirmation` (SubscribeURL visited) / `UnsubscribeConfirmation` | 200 |
 * | missing or unknown `x-amz-sns-message-type`, body not JSON, `Type` ≠ header, not a notice | 400 |
 * | unsigned, untrusted `SigningCertURL`, unexpected topic, signature mismatch | 403 |
 * | not POST | 405 · body over `maxBodyBytes` | 413 |
 * | onNotice threw (SNS retries; the receiver keeps the order) | 500 |
 * | SubscribeURL could not be visited | 502 · signing certificate unavailable | 503 |
 *
 * SNS retries 5xx answers and does not retry 4xx ones, so a bad message is not re-sent forever.
 * Raw message delivery must stay off for HTTPS subscriptions: raw POSTs carry no signature and
 * are refused.
 *
 * @example
 * const receiver = new NoticeReceiver();
 * const handler = createSnsHttpHandler({ receiver, verify: createSnsSignatureVerifier(), onNotice: apply });
 * https.createServer({ key, cert }, handler).listen(8443);
 */
export function createSnsHttpHandler(options: SnsHttpHandlerOptions): SnsHttpHandler {
  const { receiver, verify, onNotice } = options;
  const confirmSubscription = options.confirmSubscription ?? visitSubscribeUrl;
  const onRejected = options.onRejected ?? (() => undefined);
  const onError = options.onError ?? (() => undefined);
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  /** Held notices are released on a timer, since no request may come to release them. */
  function scheduleRelease(): void {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = undefined;
    const wait = receiver.msUntilNextRelease();
    if (wait === undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      receiver.releaseDue(onNotice).then(scheduleRelease, (error: unknown) => {
        onError(error);
        scheduleRelease();
      });
    }, wait);
    timer.unref();
  }

  async function handle(request: IncomingMessage): Promise<Answer> {
    if (request.method !== 'POST') return answer(405, 'only POST');
    const type = request.headers['x-amz-sns-message-type'];
    if (typeof type !== 'string' || !(SNS_MESSAGE_TYPES as readonly string[]).includes(type)) {
      return answer(400, `x-amz-sns-message-type must be one of ${SNS_MESSAGE_TYPES.join(', ')}`);
    }
    const body = await readBody(request, maxBodyBytes);
    if (body === undefined) return answer(413, `body larger than ${maxBodyBytes} bytes`);
    let message: SnsEnvelope;
    try {
      message = JSON.parse(body) as SnsEnvelope;
    } catch {
      return answer(400, 'body is not JSON');
    }
    if (typeof message !== 'object' || message === null || message.Type !== type) {
      return answer(400, `body Type does not match x-amz-sns-message-type ${type}`);
    }
    try {
      await verify(message);
    } catch (error) {
      if (!(error instanceof SignatureVerificationError)) throw error;
      const status = error.reason === 'certificate-unavailable' ? 503 : 403;
      if (status === 403) onRejected(error, status);
      else onError(error);
      return answer(status, error.message);
    }

    if (type === 'SubscriptionConfirmation') {
      // Signed by SNS, but a URL we visit must still be SNS's own.
      if (!isTrustedSnsUrl(message.SubscribeURL)) return answer(400, 'SubscribeURL is not https on sns.<region>.amazonaws.com');
      try {
        await confirmSubscription(new URL(message.SubscribeURL), message);
      } catch (error) {
        onError(error);
        return answer(502, 'could not confirm the subscription');
      }
      return answer(200, 'subscription confirmed');
    }
    if (type === 'UnsubscribeConfirmation') return answer(200, 'unsubscribed');

    try {
      const result = await receiver.receive(message.Message, onNotice);
      if (result.outcome === 'invalid') {
        onRejected(result.error, 400);
        return answer(400, result.error.message);
      }
      return answer(200, result.outcome);
    } catch (error) {
      if (!(error instanceof NoticeDeliveryError)) throw error;
      onError(error);
      return answer(500, 'the notice could not be handled; retry');
    } finally {
      scheduleRelease();
    }
  }

  const handler = ((request: IncomingMessage, response: ServerResponse) => {
    handle(request).then(
      (result) => send(response, result),
      (error: unknown) => {
        onError(error);
        send(response, answer(500, 'internal error'));
      },
    );
  }) as SnsHttpHandler;
  handler.close = () => {
    closed = true;
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  return handler;
}

interface Answer {
  readonly status: number;
  readonly text: string;
}

function answer(status: number, text: string): Answer {
  return { status, text };
}

function send(response: ServerResponse, { status, text }: Answer): void {
  const body = JSON.stringify(status < 300 ? { ok: true, result: text } : { error: text });
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

/** The body as text, or undefined when it exceeds `limit` (the rest is drained, not buffered). */
async function readBody(request: IncomingMessage, limit: number): Promise<string | undefined> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    request.resume();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) tooLarge = true;
    if (!tooLarge) chunks.push(chunk);
  }
  return tooLarge ? undefined : Buffer.concat(chunks).toString('utf8');
}

/** The default {@link ConfirmSubscription}: GET the SubscribeURL; SNS answers 200 with the subscription ARN. */
export async function visitSubscribeUrl(subscribeUrl: URL): Promise<void> {
  const response = await fetch(subscribeUrl, { redirect: 'error', signal: AbortSignal.timeout(10_000) });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`SubscribeURL answered HTTP ${response.status}`);
}
