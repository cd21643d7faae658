import { hhmm, replay, report, type ReplayResult } from '../../local/replay';
import { suiteEmulators } from '../helpers/aws';

/**
 * `npm start`'s replay of 1 October 2020 on the suite's emulators, stepping its simulated clock
 * as fast as the machine goes: the story's outcomes, not its wall-clock speed. The afternoon 2020
 * did not have follows the morning: a readiness poll, the answers, the quorum, the resumption.
 */
const FAULT = Date.parse('2020-10-01T07:04:00+09:00');
/** The replay from 07:03:30: half a minute before the fault is enough to see everything. */
const MORNING = Date.parse('2020-10-01T07:03:30+09:00');

const tokyo = (hhmm: string) => Date.parse(`2020-10-01T${hhmm}:00+09:00`);

const types = (result: ReplayResult, name: string) => result.participants.find((p) => p.name === name)!.received.map((n) => `${n.sequence}:${n.type}`);

describe('npm start: the TSE 2020 replay', () => {
  describe('tse-2020', () => {
    // One replay for the morning and its afternoon: each takes a few seconds of DynamoDB Local.
    let result: ReplayResult;
    beforeAll(async () => {
      result = await replay({ start: MORNING, speed: Infinity, emulators: suiteEmulators() });
    });

    it('promotes unit-2, folds the storm into one incident, and gives each participant exactly its notices', () => {
      // Assess
      expect(result.incidents).toHaveLength(1);
      expect(result.promotedTo).toBe('unit-2');
      // The replay steps its clock: unit-1's last heartbeat was at 07:03:58, and the promotion must
      // come between leaseDuration (10 s) and leaseDuration + checkInterval (12 s) after it.
      const lastHeartbeat = FAULT - 2_000;
      expect(result.moments.failover! - lastHeartbeat).toBeGreaterThanOrEqual(10_000);
      expect(result.moments.failover! - lastHeartbeat).toBeLessThanOrEqual(12_000);
      // Participants: market facts only — the shared disk's alarm, the failover, the operator's
      // update, the halt, the readiness poll and the resumption; the servers' own alarms never reach them.
      expect(types(result, 'broker-a')).toEqual(['1:incident-opened', '2:failover', '3:update', '4:halt', '5:readiness-poll', '6:resume-scheduled', '7:resume']);
      expect(types(result, 'risk-desk')).toEqual(['4:halt', '6:resume-scheduled', '7:resume']);
      expect(types(result, 'vendor-x')).toEqual(types(result, 'broker-a'));
      expect(result.participants.flatMap((p) => p.received).some((n) => /disk I\/O errors/.test(n.summary))).toBe(false);
      expect(result.moments.participantsTold! - FAULT).toBeLessThan(60_000);
      // Operators: on-call paged at the fault, for the incident that opened with the first server's alarm.
      expect(result.pages[0]).toMatchObject({ type: 'opened', stage: 'on-call' });
      expect(result.moments.operatorsPaged).toBe(FAULT);
      expect(result.pages.map((p) => p.type)).toContain('acknowledged');
      const printed = report(result);
      expect(printed).toContain('participants told     08:01 (+57 min)');
      expect(printed).toContain('on-call paged         07:04 (alarms)     07:04:00 (+0 s)');
      // Tokyo time throughout: no UTC instant in the story, the resumption's text on the market's clock.
      expect(printed).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
      const resumeScheduled = result.incidents[0]!.timeline.find((e) => e.kind === 'resume-scheduled')!;
      expect(resumeScheduled.text).toContain(`resumes at 2020-10-01 ${hhmm(result.moments.resumed!)} Japan Standard Time`);
      expect(printed).toContain(`${hhmm(resumeScheduled.at)}  resume-scheduled       ops-tanaka               Trading on market equities resumes at 2020-10-01 ${hhmm(result.moments.resumed!)} Japan Standard Time`);
      // What participants read is in Tokyo time too.
      const resumeNotice = result.participants[0]!.received.find((n) => n.type === 'resume-scheduled')!;
      expect(resumeNotice.text?.en).toContain('Japan Standard Time');
    });

    it('the afternoon 2020 did not have: poll at noon, quorum at 12:15, trading resumed 15 minutes ahead', () => {
      // Assess: the poll, nine answers, the quorum with the ninth, scheduled at once for 15 minutes ahead.
      expect(result.resumption.map((r) => r.kind)).toEqual(['poll', ...Array(9).fill('answer'), 'scheduled', 'resumed']);
      expect(result.moments.polled).toBe(tokyo('12:00'));
      expect(result.moments.quorumReached).toBe(tokyo('12:15'));
      expect(result.resumption.filter((r) => r.tally?.met).map((r) => r.participantId)).toEqual(['broker-h']);
      expect(result.resumption.at(-2)).toMatchObject({ at: tokyo('12:15'), kind: 'scheduled' });
      expect(result.moments.resumed).toBe(tokyo('12:30'));
      const scheduled = result.participants.find((p) => p.name === 'broker-a')!.received.find((n) => n.type === 'resume-scheduled')!;
      expect(scheduled.effectiveAt).toBe(new Date(tokyo('12:30')).toISOString());
      expect(scheduled.detail.quorum).toMatchObject({ valueShare: 0.7, retailValueShare: 0.45, retailParticipants: 5, met: true, missing: ['broker-i'], notReady: ['broker-j'] });
      const printed = report(result);
      expect(printed).toContain('readiness poll        none (no rules)    12:00:00 (+4 h 56 min)');
      expect(printed).toContain('trading resumed       next day           12:30:00 (+5 h 26 min)');
      expect(printed).toMatch(/12:15:00  broker-h  ready      value   70 %  retail   45 %  retail brokers 5  QUORUM MET/);
    });
  });

  it('no-quorum: the gate refuses, the 14:30 cut-off passes, and trading resumes the next morning by override', async () => {
    // Act
    const result = await replay({ scenario: 'no-quorum', start: MORNING, speed: Infinity, emulators: suiteEmulators() });

    // Assess
    const refusals = result.resumption.filter((r) => r.kind === 'refused');
    expect(refusals.map((r) => [r.at, r.status])).toEqual([
      [tokyo('12:40'), 409],
      [tokyo('14:31'), 400],
    ]);
    expect(refusals[0]!.tally).toMatchObject({ valueShare: 0.37, met: false });
    expect(refusals[1]!.text).toMatch(/after the same-day resumption cut-off 14:30 \(Asia\/Tokyo\) of 2020-10-01/);
    expect(result.moments.quorumReached).toBeUndefined();
    expect(result.moments.resumed).toBe(Date.parse('2020-10-02T09:00:00+09:00'));
    const scheduled = result.participants.find((p) => p.name === 'vendor-x')!.received.find((n) => n.type === 'resume-scheduled')!;
    expect(scheduled.detail.quorum).toMatchObject({ met: false, override: expect.stringMatching(/^Next trading day: normal opening/) });
    expect(scheduled.summary).toContain('by override');
    const printed = report(result);
    expect(printed).toContain('quorum reached        none               never (the gate refused; see below)');
    expect(printed).toContain('trading resumed       next day           2020-10-02 09:00:00 (+25 h 56 min)');
    expect(printed).toContain('14:31:00  schedule-resume for 14:50:00 refused (400): 2020-10-01 14:50 Asia/Tokyo is after the same-day');
  });

  it('with a standby that was never ready: the readiness alarm before the fault, no promotion, the halt by policy', async () => {
    // Act
    const result = await replay({ scenario: 'no-standby', start: MORNING, speed: Infinity, emulators: suiteEmulators() });

    // Assess
    expect(result.promotedTo).toBeUndefined();
    expect(result.moments.failover).toBeUndefined();
    expect(result.moments.readinessAlarm).toBeGreaterThan(MORNING);
    expect(result.moments.readinessAlarm).toBeLessThan(FAULT);
    expect(result.moments.haltAnnounced).toBeGreaterThanOrEqual(FAULT);
    const timeline = result.incidents.flatMap((i) => i.timeline);
    expect(timeline.find((e) => e.kind === 'halt')?.actor).toBe('policy');
    expect(timeline.some((e) => e.kind === 'failover')).toBe(false);
    // #3 is the operator's update and #4 the readiness poll, which risk-desk's filter leaves out.
    expect(types(result, 'risk-desk')).toEqual(['2:halt', '5:resume-scheduled', '6:resume']);
  });
});
