import { hhmm, replay, report, type ReplayResult } from '../../local/replay';
import { suiteEmulators } from '../helpers/aws';

/**
 * `npm start`'s replay of 1 October 2020 on the suite's emulators, stepping its simulated clock
 * as fast as the machine goes: the story's outcomes, not its wall-clock speed.
 */
const FAULT = Date.parse('2020-10-01T07:04:00+09:00');
/** The replay from 07:03:30: half a minute before the fault is enough to see everything. */
const MORNING = Date.parse('2020-10-01T07:03:30+09:00');

const types = (result: ReplayResult, name: string) => result.participants.find((p) => p.name === name)!.received.map((n) => `${n.sequence}:${n.type}`);

describe('npm start: the TSE 2020 replay', () => {
  it('promotes unit-2, folds the storm into one incident, and gives each participant exactly its notices', async () => {
    // Act
    const result = await replay({ start: MORNING, speed: Infinity, emulators: suiteEmulators() });

    // Assess
    expect(result.incidents).toHaveLength(1);
    expect(result.promotedTo).toBe('unit-2');
    // The replay steps its clock: unit-1's last heartbeat was at 07:03:58, and the promotion must
    // come between leaseDuration (10 s) and leaseDuration + checkInterval (12 s) after it.
    const lastHeartbeat = FAULT - 2_000;
    expect(result.moments.failover! - lastHeartbeat).toBeGreaterThanOrEqual(10_000);
    expect(result.moments.failover! - lastHeartbeat).toBeLessThanOrEqual(12_000);
    // Participants: market facts only — the shared disk's alarm, the failover, the operator's
    // update, the halt and the resumption; the servers' own alarms never reach them.
    expect(types(result, 'broker-a')).toEqual(['1:incident-opened', '2:failover', '3:update', '4:halt', '5:resume-scheduled', '6:resume']);
    expect(types(result, 'risk-desk')).toEqual(['4:halt', '5:resume-scheduled', '6:resume']);
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
    // #3 is the operator's update, which risk-desk's filter leaves out.
    expect(types(result, 'risk-desk')).toEqual(['2:halt', '4:resume-scheduled', '5:resume']);
  });
});
