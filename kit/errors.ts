import { TocsinError } from '../lambda/core/errors';
import type { Notice } from '../lambda/core/model';

export { TocsinError, ValidationError, type FieldProblem } from '../lambda/core/errors';

/**
 * Errors of the participant receiver kit. Like the rest of Tocsin, callers branch on the class
 * (or `name`, or `reason`), never on the message. An invalid notice or envelope is a
 * {@link ValidationError} from the core: it names the field, what arrived and what was expected.
 */

/** Why an SNS HTTP(S) message was not accepted as coming from Amazon SNS. */
export type SignatureFailure =
  /** No `Signature`, `SignatureVersion` or `SigningCertURL` (e.g. a raw-delivery POST). */
  | 'unsigned'
  /** `SignatureVersion` other than "1" (SHA1withRSA) or "2" (SHA256withRSA). */
  | 'unsupported-signature-version'
  /** A field the string to sign needs is missing or not a string. */
  | 'malformed'
  /** `SigningCertURL` is not https on `sns.<region>.amazonaws.com` / `.amazonaws.com.cn`. */
  | 'untrusted-certificate-url'
  /** The certificate could not be fetched or read (maps to HTTP 503: SNS retries). */
  | 'certificate-unavailable'
  /** The certificate is outside its validity period, or has no RSA key. */
  | 'certificate-rejected'
  /** `TopicArn` is not one the endpoint was told to accept. */
  | 'unexpected-topic'
  /** The signature does not match the message: tampered, or signed by someone else. */
  | 'bad-signature';

/** The message's signature could not be verified; the handler answers 403 (503 when the certificate was unavailable). */
export class SignatureVerificationError extends TocsinError {
  public constructor(
    public readonly reason: SignatureFailure,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`SNS signature not verified (${reason}): ${message}`, options);
    this.name = 'SignatureVerificationError';
  }
}

/**
 * The participant's own `onNotice` threw. The receiver has put the notice (and any that were
 * to follow it) back on hold, so a redelivery, or the next release after the gap wait, tries
 * again in order; nothing after it in the same incident is delivered first.
 */
export class NoticeDeliveryError extends TocsinError {
  public constructor(
    /** The notice whose delivery failed. */
    public readonly notice: Notice,
    /** Notices delivered by the same call before the failure. */
    public readonly delivered: readonly Notice[],
    options?: ErrorOptions,
  ) {
    super(`onNotice failed for notice ${notice.noticeId} (incident ${notice.incidentId}, sequence ${notice.sequence})`, options);
    this.name = 'NoticeDeliveryError';
  }
}
