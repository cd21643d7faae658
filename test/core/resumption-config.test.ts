import { parseConfig, type TocsinConfigInput } from '../../lambda/core/config';
import { ConfigError } from '../../lambda/core/errors';

/**
 * The resumption's configuration (shared/DESIGN.md, "Resumption"): `participants[]`,
 * `policy.resumeQuorum`, `markets[].timeZone` and `markets[].sameDayResumeCutoff`. A wrong value
 * is refused naming the field; shares that cannot add up, two participants on one account and a
 * quorum the participants could never meet are refused too.
 */

const broker = (id: string, tradingValueShare: number, more: Record<string, unknown> = {}) => ({ id, name: `Broker ${id}`, tradingValueShare, ...more });

describe('participants, resumeQuorum, timeZone and sameDayResumeCutoff', () => {
  it('accepts the example of the design and applies the participant defaults (not retail, no retail value)', () => {
    // Act
    const config = parseConfig({
      markets: [{ id: 'equities', timeZone: 'Asia/Tokyo', sameDayResumeCutoff: '14:30' }],
      participants: [
        { id: 'nomura', name: 'Nomura Securities', accountId: '111111111111', tradingValueShare: 0.3, retail: true, retailValueShare: 0.2 },
        { id: 'big-bank', name: 'Big Bank Securities', tradingValueShare: 0.25 },
      ],
      policy: { resumeQuorum: { valueShare: 0.5, retailValueShare: 0.2, retailParticipants: 1 } },
    });

    // Assess
    expect(config.markets[0]).toEqual({ id: 'equities', segments: [], timeZone: 'Asia/Tokyo', sameDayResumeCutoff: '14:30' });
    expect(config.participants[1]).toEqual({ id: 'big-bank', name: 'Big Bank Securities', tradingValueShare: 0.25, retail: false, retailValueShare: 0 });
    expect(config.policy.resumeQuorum).toEqual({ valueShare: 0.5, retailValueShare: 0.2, retailParticipants: 1 });
  });

  it('has no participants and no gate by default, and markets in UTC', () => {
    // Act
    const config = parseConfig({});

    // Assess
    expect(config.participants).toEqual([]);
    expect(config.policy.resumeQuorum).toBeUndefined();
    expect(config.markets[0]!.timeZone).toBe('UTC');
  });

  it("takes TSE's thresholds for an empty resumeQuorum", () => {
    // Prepare: participants that can meet them.
    const participants = [1, 2, 3, 4, 5].map((n) => broker(`r${n}`, 0.15, { retail: true, retailValueShare: 0.15 }));

    // Act
    const config = parseConfig({ participants, policy: { resumeQuorum: {} } });

    // Assess
    expect(config.policy.resumeQuorum).toEqual({ valueShare: 0.5, retailValueShare: 0.3, retailParticipants: 5 });
  });

  it('accepts shares that add up to a little over 100 % from rounding', () => {
    // Prepare: three participants of 33.36 % each (100.08 %), as a rounded publication may say.
    const participants = ['a', 'b', 'c'].map((id) => broker(id, 0.3336));

    // Act and Assess
    expect(parseConfig({ participants }).participants).toHaveLength(3);
  });

  it.each<[string, TocsinConfigInput, string]>([
    ['an unknown time zone', { markets: [{ id: 'equities', timeZone: 'Asia/Tokio' }] }, 'markets[0].timeZone: must be an IANA time zone such as "Asia/Tokyo" or "UTC", got "Asia/Tokio"'],
    ['a cut-off that is not HH:MM', { markets: [{ id: 'equities', sameDayResumeCutoff: '2:30pm' }] }, 'markets[0].sameDayResumeCutoff: must be a 24-hour market-local time "HH:MM" such as "14:30", got "2:30pm"'],
    ['a cut-off past 23:59', { markets: [{ id: 'equities', sameDayResumeCutoff: '24:00' }] }, 'markets[0].sameDayResumeCutoff: must be a 24-hour'],
    ['a share over 1 (a percentage)', { participants: [broker('a', 30)] }, 'participants[0].tradingValueShare: must be a share from 0 to 1 (0.125 is 12.5 %)'],
    ['a negative retail share', { participants: [broker('a', 0.1, { retailValueShare: -0.1 })] }, 'participants[0].retailValueShare: must be a share from 0 to 1'],
    ['a missing share', { participants: [{ id: 'a', name: 'A' }] as never }, 'participants[0].tradingValueShare: Invalid input: expected number, received undefined'],
    ['a missing name', { participants: [{ id: 'a', tradingValueShare: 0.1 }] as never }, 'participants[0].name: Invalid input: expected string, received undefined'],
    ['an account id that is not 12 digits', { participants: [broker('a', 0.1, { accountId: '1234' })] }, 'participants[0].accountId: must be a 12-digit AWS account id, got "1234"'],
    ['a participant id that is not an id', { participants: [broker('Broker A', 0.1)] }, 'participants[0].id: must be lower-case letters'],
    ['two participants with one id', { participants: [broker('a', 0.1), broker('a', 0.2)] }, 'participants[1].id: duplicate id "a"'],
    ['two participants on one account', { participants: [broker('a', 0.1, { accountId: '111111111111' }), broker('b', 0.2, { accountId: '111111111111' })] }, `participants[1].accountId: account 111111111111 is already participant "a"'s`],
    ['trading value shares adding up to 101 %', { participants: [broker('a', 0.6), broker('b', 0.41)] }, 'participants: tradingValueShare adds up to 101 % of the market; shares must add up to at most 100 %'],
    ['retail value shares adding up to 120 %', { participants: [broker('a', 0.1, { retailValueShare: 0.6 }), broker('b', 0.1, { retailValueShare: 0.6 })] }, 'participants: retailValueShare adds up to 120 % of retail trading value'],
    ['a quorum share over 1', { policy: { resumeQuorum: { valueShare: 50 } } }, 'policy.resumeQuorum.valueShare: must be a share from 0 to 1'],
    ['a fractional retail broker count', { policy: { resumeQuorum: { retailParticipants: 2.5 } } }, 'policy.resumeQuorum.retailParticipants: must be a whole number'],
    ['an unknown quorum field', { policy: { resumeQuorum: { value: 0.5 } } as never }, 'policy.resumeQuorum: Unrecognized key: "value"'],
    [
      'a value quorum the participants cannot reach',
      { participants: [broker('a', 0.2, { retail: true, retailValueShare: 0.5 })], policy: { resumeQuorum: { valueShare: 0.5, retailValueShare: 0.3, retailParticipants: 1 } } },
      'policy.resumeQuorum.valueShare: 50 % can never be met: the configured participants hold 20 % of trading value in all',
    ],
    [
      'a retail value quorum the participants cannot reach',
      { participants: [broker('a', 0.6, { retail: true, retailValueShare: 0.1 })], policy: { resumeQuorum: { valueShare: 0.5, retailValueShare: 0.3, retailParticipants: 1 } } },
      'policy.resumeQuorum.retailValueShare: 30 % can never be met: the configured participants hold 10 % of retail trading value in all',
    ],
    [
      'more retail brokers than are configured',
      { participants: [broker('a', 0.6, { retail: true, retailValueShare: 0.5 })], policy: { resumeQuorum: { valueShare: 0.5, retailValueShare: 0.3, retailParticipants: 5 } } },
      'policy.resumeQuorum.retailParticipants: 5 can never be met: 1 configured participant(s) are retail brokers',
    ],
    ['a quorum with no participants', { policy: { resumeQuorum: {} } }, 'policy.resumeQuorum.valueShare: 50 % can never be met: the configured participants hold 0 % of trading value in all'],
  ])('rejects %s, naming the field', (_, input, expected) => {
    // Act
    const parse = () => parseConfig(input);

    // Assess
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(expected);
  });
});
