import { X509Certificate, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

/**
 * Test double for Amazon SNS's side of an HTTPS subscription: a locally generated RSA key and a
 * self-signed X.509 certificate (built here in DER with node:crypto alone, since node:crypto can
 * read certificates but not create them), and envelopes built and signed to AWS's documented
 * format ("Verifying the signatures of Amazon SNS messages"). Nothing here touches the network.
 */

/** The signing identity a fake SNS uses: its private key and certificate. */
export interface SnsSigner {
  readonly privateKey: KeyObject;
  readonly certificatePem: string;
  readonly certificate: X509Certificate;
}

export interface SignerOptions {
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  readonly commonName?: string;
}

/** Generates an RSA key (2048 bits, as SNS uses) and a self-signed certificate for it. */
export function createSnsSigner(options: SignerOptions = {}): SnsSigner {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const notBefore = options.notBefore ?? new Date(Date.now() - 24 * 3600_000);
  const notAfter = options.notAfter ?? new Date(Date.now() + 365 * 24 * 3600_000);
  const name = sequence(set(sequence(objectId('2.5.4.3'), utf8String(options.commonName ?? 'sns.amazonaws.com'))));
  const algorithm = sequence(objectId('1.2.840.113549.1.1.11'), NULL); // sha256WithRSAEncryption
  const tbs = sequence(
    tagged(0xa0, integer(Buffer.from([2]))), // version 3
    integer(Buffer.from([0x01, 0x23, 0x45, 0x67])),
    algorithm,
    name,
    sequence(time(notBefore), time(notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const der = sequence(tbs, algorithm, bitString(sign('sha256', tbs, privateKey)));
  const certificatePem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
  return { privateKey, certificatePem, certificate: new X509Certificate(certificatePem) };
}

// --- just enough DER (ITU-T X.690) for one certificate -------------------------------------

function tagged(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let length: Buffer;
  if (n < 0x80) length = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let rest = n; rest > 0; rest >>= 8) bytes.unshift(rest & 0xff);
    length = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

const NULL = Buffer.from([0x05, 0x00]);
const sequence = (...parts: Buffer[]): Buffer => tagged(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]): Buffer => tagged(0x31, Buffer.concat(parts));
const utf8String = (text: string): Buffer => tagged(0x0c, Buffer.from(text, 'utf8'));
const bitString = (bytes: Buffer): Buffer => tagged(0x03, Buffer.concat([Buffer.from([0]), bytes]));
const integer = (bytes: Buffer): Buffer => tagged(0x02, bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);

function objectId(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]];
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    const groups: number[] = [];
    for (let value = arc; ; value = Math.floor(value / 128)) {
      groups.unshift((value % 128) | (groups.length ? 0x80 : 0));
      if (value < 128) break;
    }
    bytes.push(...groups);
  }
  return tagged(0x06, Buffer.from(bytes));
}

/** UTCTime for years before 2050, GeneralizedTime after (RFC 5280, 4.1.2.5). */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14); // YYYYMMDDHHMMSS
  return date.getUTCFullYear() < 2050 ? tagged(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tagged(0x18, Buffer.from(`${iso}Z`));
}

// --- envelopes as SNS posts them ------------------------------------------------------------

export const TOPIC_ARN = 'arn:aws:sns:ap-northeast-1:111122223333:tocsin-notices';
export const CERT_URL = 'https://sns.ap-northeast-1.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem';

type Fields = Record<string, string | undefined>;

/**
 * Signs an envelope the way SNS does: `name\nvalue\n` for each signed field in byte order
 * (Notification: Message, MessageId, Subject if present, Timestamp, TopicArn, Type;
 * confirmations: Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type), then
 * SHA1withRSA (version 1) or SHA256withRSA (version 2), base64.
 */
export function signEnvelope(signer: SnsSigner, fields: Fields, version: '1' | '2' = '1'): Record<string, string> {
  const signed =
    fields['Type'] === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  const text = signed
    .filter((name) => fields[name] !== undefined)
    .map((name) => `${name}\n${fields[name]}\n`)
    .join('');
  const Signature = sign(version === '1' ? 'sha1' : 'sha256', Buffer.from(text, 'utf8'), signer.privateKey).toString('base64');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = v;
  return { ...out, SignatureVersion: version, Signature, SigningCertURL: fields['SigningCertURL'] ?? CERT_URL };
}

/** A `Notification` as SNS posts it to an HTTPS subscription (AWS's "HTTP/HTTPS notification JSON format"). */
export function notificationFields(message: string, overrides: Fields = {}): Fields {
  return {
    Type: 'Notification',
    MessageId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324',
    TopicArn: TOPIC_ARN,
    Message: message,
    Timestamp: '2020-09-30T22:05:00.000Z',
    SigningCertURL: CERT_URL,
    UnsubscribeURL: `https://sns.ap-northeast-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${TOPIC_ARN}:c9135db0-26c4-47ec-8998-413945fb5a96`,
    ...overrides,
  };
}

/** A `SubscriptionConfirmation` / `UnsubscribeConfirmation` as SNS posts it. */
export function confirmationFields(type: 'SubscriptionConfirmation' | 'UnsubscribeConfirmation', overrides: Fields = {}): Fields {
  const token = '2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736';
  return {
    Type: type,
    MessageId: '165545c9-2a5c-472c-8df2-7ff2be2b3b1b',
    Token: token,
    TopicArn: TOPIC_ARN,
    Message: `You have chosen to subscribe to the topic ${TOPIC_ARN}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
    SubscribeURL: `https://sns.ap-northeast-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${TOPIC_ARN}&Token=${token}`,
    Timestamp: '2020-09-30T21:00:00.000Z',
    SigningCertURL: CERT_URL,
    ...overrides,
  };
}
