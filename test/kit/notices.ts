import type { Notice, NoticeType } from '../../lambda/core/model';
import { fixFor } from '../../lambda/core/notice';

/**
 * Notices as Tocsin publishes them (tocsin.notice/v1), for the receiver kit's tests: the TSE
 * 2020 morning, one incident, numbered 1, 2, 3 … with ids `<incident>-n<sequence>` like the
 * domain's.
 */

export const INCIDENT = 'inc-20201001-070400-3fa9c1';

const TRAIL: readonly NoticeType[] = ['incident-opened', 'halt', 'update', 'update', 'resume-scheduled', 'resume', 'incident-resolved'];

export function notice(sequence: number, overrides: Partial<Notice> = {}): Notice {
  const incidentId = overrides.incidentId ?? INCIDENT;
  const type = overrides.type ?? TRAIL[(sequence - 1) % TRAIL.length]!;
  return {
    schema: 'tocsin.notice/v1',
    noticeId: `${incidentId}-n${sequence}`,
    type,
    incidentId,
    sequence,
    typeSequence: overrides.typeSequence ?? typeSequenceOf(sequence, type),
    market: 'equities',
    segments: [],
    severity: 'critical',
    issuedAt: new Date(Date.UTC(2020, 8, 30, 22, sequence)).toISOString(),
    effectiveAt: new Date(Date.UTC(2020, 8, 30, 22, sequence)).toISOString(),
    summary: `${type} (${sequence})`,
    detail: {},
    fix: fixFor(type),
    ...overrides,
  };
}

/** Which notice of its type the trail's notice `sequence` is (the trail repeats after 7). */
function typeSequenceOf(sequence: number, type: NoticeType): number {
  let n = 0;
  for (let s = 1; s <= sequence; s += 1) if (TRAIL[(s - 1) % TRAIL.length] === type) n += 1;
  return Math.max(1, n);
}

/** The SNS envelope a queue receives without raw message delivery (as fauxqs and SNS write it). */
export function snsToSqsEnvelope(body: object | string, topicArn = 'arn:aws:sns:us-east-1:000000000000:t-notices'): string {
  return JSON.stringify({
    Type: 'Notification',
    MessageId: `m-${Math.random().toString(16).slice(2)}`,
    TopicArn: topicArn,
    Subject: null,
    Message: typeof body === 'string' ? body : JSON.stringify(body),
    Timestamp: '2020-09-30T22:05:00.000Z',
    SignatureVersion: '1',
    Signature: 'EXAMPLE',
    SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000.pem',
    UnsubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe',
  });
}

/** A clock the test moves by hand. */
export class ManualClock {
  public constructor(public ms = Date.UTC(2020, 8, 30, 22, 0)) {}
  public readonly now = (): number => this.ms;
  public advance(ms: number): void {
    this.ms += ms;
  }
}
