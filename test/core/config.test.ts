import { ConfigError } from '../../lambda/core/errors';
import { parseConfig, parseConfigJson } from '../../lambda/core/config';

describe('parseConfig', () => {
  it('accepts {} and applies every default', () => {
    const config = parseConfig({});
    expect(config).toEqual({
      markets: [{ id: 'equities', segments: [] }],
      components: [],
      groups: [],
      policy: { autoResolve: true, autoResolveQuietSeconds: 60, groupBy: 'dedupKey', haltOnCritical: false, ackTimeoutSeconds: 300, resumeLeadMinutes: 15 },
    });
  });

  it('applies group defaults: heartbeat 2 s, lease 10 s, check 2 s, no drills', () => {
    const config = parseConfig({ groups: [{ id: 'shared-disk', nodes: ['unit-1', 'unit-2'] }] });
    expect(config.groups[0]).toEqual({
      id: 'shared-disk',
      nodes: ['unit-1', 'unit-2'],
      heartbeatSeconds: 2,
      leaseDurationSeconds: 10,
      checkIntervalSeconds: 2,
      drills: false,
      drillEveryHours: 0,
    });
  });

  it('accepts the example configuration of the design', () => {
    const config = parseConfig({
      markets: [{ id: 'equities', segments: ['prime', 'standard', 'growth'] }],
      components: [{ id: 'shared-disk', market: 'equities', critical: true }],
      groups: [{ id: 'shared-disk', nodes: ['unit-1', 'unit-2'], heartbeatSeconds: 2, leaseDurationSeconds: 10, checkIntervalSeconds: 2, drills: false }],
      policy: { autoResolve: true, haltOnCritical: false, ackTimeoutSeconds: 300, resumeLeadMinutes: 15 },
    });
    expect(config.components[0]).toEqual({ id: 'shared-disk', market: 'equities', critical: true });
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
  ])('rejects %j naming the field', (input, expected) => {
    expect(() => parseConfig(input)).toThrow(ConfigError);
    expect(() => parseConfig(input)).toThrow(expected);
  });

  it('rejects configuration text that is not JSON', () => {
    expect(() => parseConfigJson('{groups:')).toThrow(/invalid configuration: not valid JSON/);
  });

  it('treats a missing or blank CONFIG as {}', () => {
    expect(parseConfigJson(undefined)).toEqual(parseConfig({}));
    expect(parseConfigJson('  ')).toEqual(parseConfig({}));
  });
});
