import { ConfigError } from '../../lambda/core/errors';
import { escalationOf, parseConfig, parseConfigJson, type TocsinConfigInput, DEFAULT_MONITOR_RATE_PER_MINUTE } from '../../lambda/core/config';

describe('parseConfig', () => {
  it('accepts {} and applies every default', () => {
    const config = parseConfig({});
    expect(config).toEqual({
      markets: [{ id: 'equities', segments: [], timeZone: 'UTC' }],
      components: [],
      groups: [],
      monitors: [],
      participants: [],
      policy: { autoResolve: true, autoResolveQuietSeconds: 60, groupBy: 'dedupKey', haltOnCritical: false, ackTimeoutSeconds: 300, announceSeverity: 'critical', languages: ['en'], maxSilenceHours: 24, retentionDays: 400, heartbeatRetentionDays: 7, resumeLeadMinutes: 15 },
    });
  });

  it('applies group defaults: heartbeat 2 s, lease 10 s, check 2 s, no drills, 300 s startup grace', () => {
    const config = parseConfig({ groups: [{ id: 'shared-disk', nodes: ['unit-1', 'unit-2'] }] });
    expect(config.groups[0]).toEqual({
      id: 'shared-disk',
      nodes: ['unit-1', 'unit-2'],
      heartbeatSeconds: 2,
      leaseDurationSeconds: 10,
      checkIntervalSeconds: 2,
      drills: false,
      drillEveryHours: 0,
      startupGraceSeconds: 300,
    });
  });

  it('applies component defaults: not critical, not participant-facing', () => {
    const config = parseConfig({ components: [{ id: 'surveillance' }] });
    expect(config.components[0]).toEqual({ id: 'surveillance', critical: false, participantFacing: false });
  });

  it('accepts the example configuration of the design', () => {
    const config = parseConfig({
      markets: [{ id: 'equities', segments: ['prime', 'standard', 'growth'] }],
      components: [{ id: 'shared-disk', market: 'equities', critical: true }],
      groups: [{ id: 'shared-disk', nodes: ['unit-1', 'unit-2'], heartbeatSeconds: 2, leaseDurationSeconds: 10, checkIntervalSeconds: 2, drills: false }],
      policy: { autoResolve: true, haltOnCritical: false, ackTimeoutSeconds: 300, resumeLeadMinutes: 15 },
    });
    expect(config.components[0]).toEqual({ id: 'shared-disk', market: 'equities', critical: true, participantFacing: false });
  });

  it('accepts the two audiences’ settings of the design', () => {
    const config = parseConfig({
      components: [{ id: 'shared-disk', participantFacing: true }],
      groups: [{ id: 'shared-disk', nodes: ['unit-1', 'unit-2'], startupGraceSeconds: 0 }],
      policy: {
        announceSeverity: 'major',
        escalation: {
          stages: [
            { name: 'on-call', afterSeconds: 0 },
            { name: 'duty-manager', afterSeconds: 300 },
          ],
          repeatEverySeconds: 0,
        },
      },
    });
    expect(config.components[0]!.participantFacing).toBe(true);
    expect(config.groups[0]!.startupGraceSeconds).toBe(0);
    expect(config.policy.announceSeverity).toBe('major');
    expect(config.policy.escalation).toEqual({
      stages: [
        { name: 'on-call', afterSeconds: 0 },
        { name: 'duty-manager', afterSeconds: 300 },
      ],
      repeatEverySeconds: 0,
    });
  });

  it.each([
    [{ markets: 'equities' }, 'markets: '],
    [{ groups: [{ id: 'g', nodes: ['a'] }] }, 'groups[0].nodes: a failover group needs at least 2 nodes'],
    [{ groups: [{ id: 'g', nodes: ['a', 'b'], leaseDurationSeconds: 5 }] }, 'groups[0].leaseDurationSeconds: must be more than 3 × heartbeatSeconds (6), got 5'],
    [{ groups: [{ id: 'g', nodes: ['a', 'b'], heartbeatSeconds: 1, leaseDurationSeconds: 4, checkIntervalSeconds: 4 }] }, 'groups[0].leaseDurationSeconds: must be more than checkIntervalSeconds (4), got 4'],
    [{ groups: [{ id: 'g', nodes: ['a', 'a'] }] }, 'groups[0].nodes[1]: duplicate node "a"'],
    [{ groups: [{ id: 'g', nodes: ['a', 'b'], leaseDuration: 15 }] }, 'groups[0]: Unrecognized key: "leaseDuration"'],
    [{ components: [{ id: 'disk', market: 'fx' }] }, 'components[0].market: unknown market "fx" (known: equities)'],
    [{ markets: [{ id: 'Equities' }] }, 'markets[0].id: must be lower-case'],
    [{ policy: { ackTimeoutSeconds: 0 } }, 'policy.ackTimeoutSeconds: must be > 0'],
    [{ markets: [{ id: 'a' }, { id: 'a' }] }, 'markets[1].id: duplicate id "a"'],
    [{ groups: [{ id: 'g', nodes: ['a', 'b'], drillEveryHours: 24 }] }, 'groups[0].drillEveryHours: needs drills: true'],
    [{ groups: [{ id: 'g', nodes: ['a', 'b'], startupGraceSeconds: -1 }] }, 'groups[0].startupGraceSeconds: must be >= 0'],
    [{ components: [{ id: 'disk', participantFacing: 'yes' }] }, 'components[0].participantFacing: '],
    [{ policy: { announceSeverity: 'urgent' } }, 'policy.announceSeverity: '],
  ])('rejects %j naming the field', (input, expected) => {
    expect(() => parseConfig(input)).toThrow(ConfigError);
    expect(() => parseConfig(input)).toThrow(expected);
  });

  it('rejects configuration text that is not JSON', () => {
    expect(() => parseConfigJson('{groups:')).toThrow(ConfigError);
    expect(() => parseConfigJson('{groups:')).toThrow(/invalid configuration: not valid JSON/);
  });

  it('treats a missing or blank CONFIG as {}', () => {
    expect(parseConfigJson(undefined)).toEqual(parseConfig({}));
    expect(parseConfigJson('  ')).toEqual(parseConfig({}));
  });
});

describe('policy.escalation: the stages in force', () => {
  const stages = (...list: [string, number][]) => list.map(([name, afterSeconds]) => ({ name, afterSeconds }));

  it.each<[string, TocsinConfigInput['policy'], ReturnType<typeof escalationOf>]>([
    [
      'without escalation: on-call at 0 s, duty-manager at ackTimeoutSeconds, no reminders',
      {},
      { stages: stages(['on-call', 0], ['duty-manager', 300]), repeatEverySeconds: 0 },
    ],
    ['without escalation, ackTimeoutSeconds 120', { ackTimeoutSeconds: 120 }, { stages: stages(['on-call', 0], ['duty-manager', 120]), repeatEverySeconds: 0 }],
    ['one stage, reminders by default off', { escalation: { stages: stages(['on-call', 0]) } }, { stages: stages(['on-call', 0]), repeatEverySeconds: 0 }],
    [
      'three stages and reminders, ackTimeoutSeconds ignored',
      { ackTimeoutSeconds: 120, escalation: { stages: stages(['on-call', 0], ['duty-manager', 300], ['cio', 900]), repeatEverySeconds: 600 } },
      { stages: stages(['on-call', 0], ['duty-manager', 300], ['cio', 900]), repeatEverySeconds: 600 },
    ],
  ])('escalationOf: %s', (_, policy, expected) => {
    // Prepare
    const config = parseConfig({ policy });

    // Act
    const escalation = escalationOf(config.policy);

    // Assess
    expect(escalation).toEqual(expected);
  });

  // Its validation errors are specified with the two audiences: test/core/audiences.test.ts.
});

describe('monitors', () => {
  const digest = 'a'.repeat(64);
  const other = 'B'.repeat(64);

  it('accepts monitors with a token digest, lower-casing it and applying the rate default of 120 a minute', () => {
    const config = parseConfig({ monitors: [{ id: 'prometheus', tokenSha256: digest }, { id: 'grafana', tokenSha256: other, ratePerMinute: 600 }] });

    expect(config.monitors).toEqual([
      { id: 'prometheus', tokenSha256: digest, ratePerMinute: DEFAULT_MONITOR_RATE_PER_MINUTE },
      { id: 'grafana', tokenSha256: 'b'.repeat(64), ratePerMinute: 600 },
    ]);
    expect(DEFAULT_MONITOR_RATE_PER_MINUTE).toBe(120);
  });

  it.each([
    ['a digest that is not hex', [{ id: 'm', tokenSha256: 'z'.repeat(64) }], /monitors\[0\]\.tokenSha256: must be the SHA-256 of the token as 64 hex digits/],
    ['a token instead of its digest', [{ id: 'm', tokenSha256: 'my-secret-token' }], /monitors\[0\]\.tokenSha256: must be the SHA-256 .*got "my-secret-token"/],
    ['a missing digest', [{ id: 'm' }], /monitors\[0\]\.tokenSha256: /],
    ['an id that is not an id', [{ id: 'Prometheus', tokenSha256: digest }], /monitors\[0\]\.id: /],
    ['duplicate ids', [{ id: 'm', tokenSha256: digest }, { id: 'm', tokenSha256: other }], /monitors\[1\]\.id: duplicate id "m"/],
    ['one token for two monitors', [{ id: 'a', tokenSha256: digest }, { id: 'b', tokenSha256: digest.toUpperCase() }], /monitors\[1\]\.tokenSha256: the same token as monitors\[0\] \("a"\)/],
    ['a rate of 0', [{ id: 'm', tokenSha256: digest, ratePerMinute: 0 }], /monitors\[0\]\.ratePerMinute: must be >= 1/],
    ['an unknown field', [{ id: 'm', tokenSha256: digest, token: 'secret' }], /monitors\[0\]: unknown field "token"|monitors\[0\]: .*"token"/],
  ])('rejects %s, naming the field', (_, monitors, message) => {
    expect(() => parseConfig({ monitors })).toThrow(message);
  });
});
