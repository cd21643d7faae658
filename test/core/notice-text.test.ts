import { parseConfig } from '../../lambda/core/config';
import { ConfigError } from '../../lambda/core/errors';
import type { Notice, NoticeType } from '../../lambda/core/model';
import { clockText, marketClock, marketTime, noticeSentence, noticeText } from '../../lambda/core/notice-text';
import { MINUTE, T0 } from '../helpers/domain';
import { IncidentWorld, firing } from '../helpers/domain-fixtures';
import { notice as kitNotice } from '../kit/notices';

/**
 * Participants read market time and their language (shared/DESIGN.md, "Participants' view"):
 * every notice gains `text` — one sentence per configured language, times in the market's time
 * zone with the zone named — and `typeSequence`, numbered per incident and type.
 */

const TOKYO = { id: 'equities', timeZone: 'Asia/Tokyo', names: { en: 'TSE equities', ja: '株式' } };
const iso = (ms: number) => new Date(ms).toISOString();

function notice(type: NoticeType, overrides: Partial<Notice> = {}): Notice {
  return kitNotice(1, { type, sequence: 3, issuedAt: iso(T0), effectiveAt: iso(T0), summary: 'Shared disk unit 1 failed', ...overrides });
}

describe('marketTime', () => {
  it.each<[string, string, 'en' | 'ja', string]>([
    ['Tokyo, English', 'Asia/Tokyo', 'en', '2020-10-01 07:04 Japan Standard Time'],
    ['Tokyo, Japanese', 'Asia/Tokyo', 'ja', '2020年10月01日 07:04（日本標準時）'],
    ['UTC, English: the day before in Tokyo terms', 'UTC', 'en', '2020-09-30 22:04 Coordinated Universal Time'],
    ['New York in summer time', 'America/New_York', 'en', '2020-09-30 18:04 Eastern Daylight Time'],
  ])('%s', (_, zone, language, expected) => {
    expect(marketTime(T0, zone, language)).toBe(expected);
  });
});

describe('marketClock and clockText (the operators\' reading, to the second)', () => {
  it.each<[string, number, string, string, string]>([
    ['Tokyo', T0 + 12_345, 'Asia/Tokyo', '2020-10-01 07:04:12', 'Japan Standard Time'],
    ['UTC: the day before in Tokyo terms', T0, 'UTC', '2020-09-30 22:04:00', 'Coordinated Universal Time'],
    ['New York in summer time', T0, 'America/New_York', '2020-09-30 18:04:00', 'Eastern Daylight Time'],
    ['New York in winter time: the zone named as it is then', Date.parse('2020-12-01T12:00:00Z'), 'America/New_York', '2020-12-01 07:00:00', 'Eastern Standard Time'],
    ['midnight is 00, not 24', Date.parse('2020-09-30T15:00:00Z'), 'Asia/Tokyo', '2020-10-01 00:00:00', 'Japan Standard Time'],
  ])('%s', (_, instant, zone, local, name) => {
    expect(marketClock(instant, zone)).toEqual({ local, zone: name });
    expect(marketClock(new Date(instant).toISOString(), zone)).toEqual({ local, zone: name });
    expect(clockText(instant, zone)).toBe(`${local} ${name}`);
  });
});

describe('noticeSentence', () => {
  const resumeAt = Date.parse('2020-10-02T09:00:00+09:00');
  it.each<[string, Notice, 'en' | 'ja', string]>([
    ['a halt of the market', notice('halt', { detail: { reason: 'Shared disk failure.' } }), 'en', 'Trading halted on TSE equities at 2020-10-01 07:04 Japan Standard Time. Shared disk failure.'],
    [
      'a halt with the operator’s Japanese note',
      notice('halt', { detail: { reason: 'Shared disk failure.', notes: { ja: '共有ディスク装置の故障のため。' } } }),
      'ja',
      '株式の売買を2020年10月01日 07:04（日本標準時）に停止しました。共有ディスク装置の故障のため。',
    ],
    ['a halt of some segments', notice('halt', { segments: ['prime', 'growth'], detail: { reason: '' } }), 'en', 'Trading halted on TSE equities (segments prime, growth) at 2020-10-01 07:04 Japan Standard Time.'],
    [
      'a scheduled resumption, with its order acceptance',
      notice('resume-scheduled', { effectiveAt: iso(resumeAt), detail: { ordersAcceptedFrom: iso(resumeAt - 15 * MINUTE) } }),
      'en',
      'Trading on TSE equities resumes at 2020-10-02 09:00 Japan Standard Time; orders are accepted from 2020-10-02 08:45 Japan Standard Time.',
    ],
    [
      'a scheduled resumption, in Japanese',
      notice('resume-scheduled', { effectiveAt: iso(resumeAt), detail: { ordersAcceptedFrom: iso(resumeAt - 15 * MINUTE) } }),
      'ja',
      '株式の売買を2020年10月02日 09:00（日本標準時）に再開します。注文受付は2020年10月02日 08:45（日本標準時）に開始します。',
    ],
    [
      'a resumption scheduled by override: participants are told the quorum was not met',
      notice('resume-scheduled', { effectiveAt: iso(resumeAt), detail: { ordersAcceptedFrom: iso(resumeAt - 15 * MINUTE), quorum: { met: false, override: 'next trading day, normal opening' } } }),
      'en',
      "Trading on TSE equities resumes at 2020-10-02 09:00 Japan Standard Time; orders are accepted from 2020-10-02 08:45 Japan Standard Time. Scheduled without the readiness quorum, by the exchange's decision: next trading day, normal opening.",
    ],
    [
      'a resumption scheduled by override, in Japanese',
      notice('resume-scheduled', { effectiveAt: iso(resumeAt), detail: { ordersAcceptedFrom: iso(resumeAt - 15 * MINUTE), quorum: { met: false, override: '翌営業日の通常の寄付き' } } }),
      'ja',
      '株式の売買を2020年10月02日 09:00（日本標準時）に再開します。注文受付は2020年10月02日 08:45（日本標準時）に開始します。参加者の準備状況は再開の基準に達していませんが、取引所の判断で再開します（翌営業日の通常の寄付き）。',
    ],
    [
      'a readiness poll, with its deadline in market time',
      notice('readiness-poll', { detail: { pollId: 'poll-1', respondBy: iso(T0 + 30 * MINUTE), note: 'Afternoon session planned at 12:30.' } }),
      'en',
      'Readiness poll poll-1: can you take part if trading on TSE equities resumes? Answer by 2020-10-01 07:34 Japan Standard Time. Afternoon session planned at 12:30.',
    ],
    [
      'a readiness poll, in Japanese',
      notice('readiness-poll', { detail: { pollId: 'poll-1', respondBy: iso(T0 + 30 * MINUTE) } }),
      'ja',
      '【再開可否の確認】株式の売買を再開する場合に参加できるか、2020年10月01日 07:34（日本標準時）までにご回答ください（確認番号 poll-1）。',
    ],
    ['a resumption', notice('resume', { effectiveAt: iso(resumeAt) }), 'en', 'Trading resumed on TSE equities at 2020-10-02 09:00 Japan Standard Time.'],
    ['an announced incident', notice('incident-opened'), 'en', 'Incident at 2020-10-01 07:04 Japan Standard Time: Shared disk unit 1 failed'],
    ['an update, numbered as TSE numbers its reports', notice('update', { summary: 'Recovery expected at 12:30.' }), 'ja', '【第3報】2020年10月01日 07:04（日本標準時）：Recovery expected at 12:30.'],
    ['an update with its Japanese text', notice('update', { summary: 'Recovery expected at 12:30.', detail: { notes: { ja: '12時30分に復旧見込み。' } } }), 'ja', '【第3報】2020年10月01日 07:04（日本標準時）：12時30分に復旧見込み。'],
    ['a resolution', notice('incident-resolved'), 'en', 'Resolved at 2020-10-01 07:04 Japan Standard Time. Shared disk unit 1 failed'],
  ])('%s (%s)', (_, n, language, expected) => {
    expect(noticeSentence(n, TOKYO, language)).toBe(expected);
  });

  it('writes one sentence per configured language, and the market id where no name is configured', () => {
    // Prepare
    const config = parseConfig({ markets: [{ id: 'equities', timeZone: 'Asia/Tokyo' }], policy: { languages: ['ja', 'en'] } });

    // Act
    const text = noticeText(notice('halt', { detail: { reason: '' } }), config);

    // Assess
    expect(text).toEqual({ ja: 'equitiesの売買を2020年10月01日 07:04（日本標準時）に停止しました。', en: 'Trading halted on equities at 2020-10-01 07:04 Japan Standard Time.' });
  });
});

describe('configuration of time zones and languages', () => {
  it.each<[string, unknown, string]>([
    ['an unknown time zone', { markets: [{ id: 'equities', timeZone: 'Tokyo' }] }, 'markets[0].timeZone'],
    ['an unsupported language', { policy: { languages: ['fr'] } }, 'policy.languages[0]'],
    ['no language', { policy: { languages: [] } }, 'policy.languages'],
    ['a language twice', { policy: { languages: ['en', 'en'] } }, 'policy.languages'],
  ])('refuses %s, naming the field', (_, input, field) => {
    let error: unknown;
    try {
      parseConfig(input);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(`${field}:`);
  });
});

describe('notices through the use cases: text and typeSequence', () => {
  it('numbers each type of notice 1, 2, 3 … per incident, and writes every configured language', async () => {
    // Prepare
    const w = new IncidentWorld({
      markets: [{ id: 'equities', timeZone: 'Asia/Tokyo', names: { ja: '株式' } }],
      components: [{ id: 'shared-disk', market: 'equities', critical: true, participantFacing: true }],
      policy: { languages: ['en', 'ja'], resumeLeadMinutes: 0 },
    });
    await w.deliver(firing('disk-1', 0, { severity: 'critical' }));

    // Act
    await w.command({ command: 'announce', incidentId: 'inc-1', note: 'Cause found.', notes: { ja: '原因を特定しました。' } });
    await w.command({ command: 'announce', incidentId: 'inc-1', note: 'Recovery at 12:30.' });
    await w.command({ command: 'declare-halt', incidentId: 'inc-1', note: 'Shared disk failure.', notes: { ja: '共有ディスクの故障。' } });
    const notices = w.noticesOf('inc-1');

    // Assess
    expect(notices.map((n) => [n.type, n.sequence, n.typeSequence])).toEqual([
      ['incident-opened', 1, 1],
      ['update', 2, 1],
      ['update', 3, 2],
      ['halt', 4, 1],
    ]);
    expect(notices[1]!.text).toEqual({ en: 'Update 2 at 2020-10-01 07:04 Japan Standard Time: Cause found.', ja: '【第2報】2020年10月01日 07:04（日本標準時）：原因を特定しました。' });
    expect(notices[3]!.text!.ja).toBe('株式の売買を2020年10月01日 07:04（日本標準時）に停止しました。共有ディスクの故障。');
    expect(notices[3]!.detail.notes).toEqual({ ja: '共有ディスクの故障。' });
  });
});
