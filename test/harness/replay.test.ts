import { replay, report, type ReplayResult } from '../../local/replay';

/**
 * `npm start`'s replay of 1 October 2020, in accelerated time on the suite's emulators: the
 * story's outcomes, not its wall-clock speed.
 */
const FAULT = Date.parse('2020-10-01T07:04:00+09:00');
/** The replay from 07:03:30: half a minute before the fault is enough to see everything. */
const MORNING = Date.parse('2020-10-01T07:03:30+09:00');

function emulators() {
  const env = process.env as Record<string, string>;
  return {
    dynamodb: { endpoint: env.AWS_ENDPOINT_URL_DYNAMODB!, pid: Number(env.TOCSIN_TEST_DYNAMODB_PID) },
    sns: { endpoint: env.AWS_ENDPOINT_URL_SNS! },
    region: env.AWS_REGION!,
    environment: {},
    stop: async () => {},
  };
}

const types = (result: ReplayResult, name: string) => result.participants.find((p) => p.name === name)!.received.map((n) => `${n.sequence}:${n.type}`);

describe('npm start: the TSE 2020 replay', () => {
  it('promotes unit-2, folds the storm into one incident, and gives each participant exactly its notices', async () => {
    // Act
    const result = await replay({ start: MORNING, emulators: emulators() });

    // Assess
    expect(result.incidents).toHaveLength(1);
    expect(result.promotedTo).toBe('unit-2');
    // Unit-1's last heartbeat came at most 2 s (one heartbeat) before the fault: promotion at
    // least a lease (10 s) after it, and within the lease and a check (12 s), by the replay's clock.
    expect(result.moments.failover! - FAULT).toBeGreaterThanOrEqual(8_000);
    expect(result.moments.failover! - FAULT).toBeLessThanOrEqual(12_000 + 2_000);
    expect(types(result, 'broker-a')).toEqual(['1:incident-opened', '2:failover', '3:halt', '4:resume-scheduled', '5:resume']);
    expect(types(result, 'risk-desk')).toEqual(['3:halt', '4:resume-scheduled', '5:resume']);
    expect(types(result, 'vendor-x')).toEqual(['1:incident-opened', '2:failover', '3:halt', '4:resume-scheduled', '5:resume']);
    expect(result.moments.participantsTold! - FAULT).toBeLessThan(60_000);
    expect(report(result)).toContain('participants told     08:01 (+57 min)');
  });

  it('with a standby that was never ready: the readiness alarm before the fault, no promotion, the halt by policy', async () => {
    // Act
    const result = await replay({ scenario: 'no-standby', start: MORNING, emulators: emulators() });

    // Assess
    expect(result.promotedTo).toBeUndefined();
    expect(result.moments.failover).toBeUndefined();
    expect(result.moments.readinessAlarm).toBeGreaterThan(MORNING);
    expect(result.moments.readinessAlarm).toBeLessThan(FAULT);
    expect(result.moments.haltAnnounced).toBeGreaterThanOrEqual(FAULT);
    const timeline = result.incidents.flatMap((i) => i.timeline);
    expect(timeline.find((e) => e.kind === 'halt')?.actor).toBe('policy');
    expect(timeline.some((e) => e.kind === 'failover')).toBe(false);
    expect(types(result, 'risk-desk')).toEqual(['2:halt', '3:resume-scheduled', '4:resume']);
  });
});
