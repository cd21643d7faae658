import { X509Certificate, verify as verifySignature } from 'node:crypto';
import type { SnsEnvelope } from './envelope';
import { SignatureVerificationError } from './errors';

/**
 * Verification of Amazon SNS message signatures for HTTP(S) subscriptions, with node:crypto,
 * following AWS's "Verifying the signatures of Amazon SNS messages":
 *
 * 1. `SignatureVersion` "1" is SHA1withRSA, "2" SHA256withRSA; anything else is refused.
 * 2. `SigningCertURL` must be https on `sns.<region>.amazonaws.com` (or `.amazonaws.com.cn`)
 *    and name a `.pem`: checked here, before any fetch, whichever fetcher is plugged in.
 * 3. The string to sign is `name\nvalue\n` for each field, in byte order: for a
 *    `Notification`: Message, MessageId, Subject (if present), Timestamp, TopicArn, Type; for a
 *    `SubscriptionConfirmation` or `UnsubscribeConfirmation`: Message, MessageId, SubscribeURL,
 *    Timestamp, Token, TopicArn, Type.
 * 4. The signature (base64) is checked against the certificate's RSA public key; the
 *    certificate must be inside its validity period.
 *
 * Why not a library: `sns-validator` fetches with a hard-wired `https.get` into a module-level
 * cache and signs `UnsubscribeConfirmation` with the notification's fields (no `Token`);
 * `sns-payload-validator` only lets you swap the https Agent. Neither can be handed a
 * certificate, so neither could be tested offline with a locally generated one.
 */

/** Checks that an SNS message really comes from SNS; rejects with {@link SignatureVerificationError}. */
export type SnsMessageVerifier = (message: SnsEnvelope) => Promise<void>;

/** Fetches the PEM certificate at a `SigningCertURL` that already passed the host check. */
export type CertificateFetcher = (url: URL) => Promise<string>;

export interface SnsSignatureVerifierOptions {
  /**
   * Where certificates come from. Tests pass a function returning a local PEM; behind a proxy,
   * pass one that uses it. Called only for URLs that passed {@link isTrustedSnsUrl}.
   * @default an https GET (no redirects, 5 s timeout, 16 KiB limit)
   */
  readonly fetchCertificate?: CertificateFetcher;
  /** Accept only messages from these topics (AWS recommends it: reject an unexpected `TopicArn`). @default any topic */
  readonly topicArns?: readonly string[];
  /** The clock for the certificate's validity period, epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  /** Certificates kept by URL (SNS signs with few). @default 20 */
  readonly maxCachedCertificates?: number;
}

/** SNS hosts, as AWS names them for every commercial and China region. */
const SNS_HOST = /^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;

/**
 * Whether a URL is one SNS would send: https, on `sns.<region>.amazonaws.com` or
 * `sns.<region>.amazonaws.com.cn`, default port, no credentials. Used for `SigningCertURL`
 * and for `SubscribeURL` before the handler visits it.
 */
export function isTrustedSnsUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return url.protocol === 'https:' && url.port === '' && url.username === '' && url.password === '' && SNS_HOST.test(url.hostname);
}

const NOTIFICATION_FIELDS = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const;
const CONFIRMATION_FIELDS = ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'] as const;

/**
 * The string SNS signs for a message (AWS's documented field order). Throws
 * {@link SignatureVerificationError} `malformed` when a field it needs is missing.
 */
export function stringToSign(message: SnsEnvelope): string {
  const fields = message.Type === 'Notification' ? NOTIFICATION_FIELDS : CONFIRMATION_FIELDS;
  let out = '';
  for (const field of fields) {
    const value = (message as unknown as Record<string, unknown>)[field];
    // Subject is optional; SNS to SQS writes null for "none".
    if (field === 'Subject' && (value === undefined || value === null)) continue;
    if (typeof value !== 'string') throw new SignatureVerificationError('malformed', `${field} is ${value === undefined ? 'missing' : `not a string`}`);
    out += `${field}\n${value}\n`;
  }
  return out;
}

/**
 * Creates the verifier the HTTPS handler uses.
 *
 * @example
 * const verify = createSnsSignatureVerifier({ topicArns: ['arn:aws:sns:ap-northeast-1:111122223333:tocsin-notices'] });
 * await verify(JSON.parse(body)); // throws SignatureVerificationError
 */
export function createSnsSignatureVerifier(options: SnsSignatureVerifierOptions = {}): SnsMessageVerifier {
  const fetchCertificate = options.fetchCertificate ?? fetchCertificateOverHttps;
  const topicArns = options.topicArns ? new Set(options.topicArns) : undefined;
  const now = options.now ?? Date.now;
  const maxCached = options.maxCachedCertificates ?? 20;
  const certificates = new Map<string, Promise<X509Certificate>>();

  function certificateAt(url: string): Promise<X509Certificate> {
    const cached = certificates.get(url);
    if (cached) return cached;
    const loading = fetchCertificate(new URL(url)).then(
      (pem) => {
        try {
          return new X509Certificate(pem);
        } catch (error) {
          throw new SignatureVerificationError('certificate-unavailable', `${url} is not a PEM certificate`, { cause: error });
        }
      },
      (error: unknown) => {
        throw new SignatureVerificationError('certificate-unavailable', `could not fetch ${url}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
      },
    );
    certificates.set(url, loading);
    if (certificates.size > maxCached) certificates.delete(certificates.keys().next().value as string);
    loading.catch(() => certificates.delete(url));
    return loading;
  }

  return async (message) => {
    const { Signature, SignatureVersion, SigningCertURL } = message;
    if (typeof Signature !== 'string' || typeof SignatureVersion !== 'string' || typeof SigningCertURL !== 'string') {
      throw new SignatureVerificationError('unsigned', 'Signature, SignatureVersion and SigningCertURL are required (raw message delivery is not supported over HTTPS)');
    }
    if (SignatureVersion !== '1' && SignatureVersion !== '2') {
      throw new SignatureVerificationError('unsupported-signature-version', `SignatureVersion ${JSON.stringify(SignatureVersion)}; expected "1" or "2"`);
    }
    if (topicArns && !topicArns.has(message.TopicArn)) {
      throw new SignatureVerificationError('unexpected-topic', `TopicArn ${JSON.stringify(message.TopicArn)} is not one this endpoint accepts`);
    }
    if (!isTrustedSnsUrl(SigningCertURL) || !new URL(SigningCertURL).pathname.endsWith('.pem')) {
      throw new SignatureVerificationError('untrusted-certificate-url', `SigningCertURL ${JSON.stringify(SigningCertURL)} is not an https .pem on sns.<region>.amazonaws.com`);
    }
    const data = Buffer.from(stringToSign(message), 'utf8');
    const certificate = await certificateAt(SigningCertURL);
    const at = now();
    if (at < Date.parse(certificate.validFrom) || at > Date.parse(certificate.validTo)) {
      throw new SignatureVerificationError('certificate-rejected', `certificate valid ${certificate.validFrom} to ${certificate.validTo}`);
    }
    if (certificate.publicKey.asymmetricKeyType !== 'rsa') {
      throw new SignatureVerificationError('certificate-rejected', `certificate key is ${certificate.publicKey.asymmetricKeyType ?? 'unknown'}, not RSA`);
    }
    let valid: boolean;
    try {
      valid = verifySignature(SignatureVersion === '1' ? 'sha1' : 'sha256', data, certificate.publicKey, Buffer.from(Signature, 'base64'));
    } catch (error) {
      throw new SignatureVerificationError('bad-signature', 'the signature could not be checked', { cause: error });
    }
    if (!valid) throw new SignatureVerificationError('bad-signature', `the signature does not match message ${message.MessageId}`);
  };
}

const CERTIFICATE_MAX_BYTES = 16 * 1024;

/** The default {@link CertificateFetcher}: an https GET that follows no redirect (a redirect could leave SNS's host). */
export async function fetchCertificateOverHttps(url: URL): Promise<string> {
  const response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const body = await response.arrayBuffer();
  if (body.byteLength > CERTIFICATE_MAX_BYTES) throw new Error(`certificate larger than ${CERTIFICATE_MAX_BYTES} bytes`);
  return Buffer.from(body).toString('utf8');
}
