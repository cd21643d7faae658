import { parseConfig, type TocsinConfigInput } from '../../lambda/core/config';
import { describeTally, percent, tallyOf, type Answered } from '../../lambda/core/quorum';

/**
 * The readiness quorum's arithmetic (shared/DESIGN.md, "Resumption"; TSE's rule since April
 * 2021): the participants that answered "ready" must hold at least `valueShare` of trading value,
 * at least `retailValueShare` of retail trading value, and count at least `retailParticipants`
 * retail brokers. Each threshold is checked exactly at its value, one participant short, and with
 * the other thresholds met.
 */

/** TSE's thresholds. */
const QUORUM = { valueShare: 0.5, retailValueShare: 0.3, retailParticipants: 5 };

/**
 * Eleven participants whose shares make each threshold reachable exactly:
 * - big-1 … big-4: 15 % of trading value each, no retail business;
 * - retail-1 … retail-5: retail brokers, 1 % of value and 6 % of retail value each;
 * - net-1: a retail broker, 0.1 % of value, 0.1 % of retail value;
 * - inst-1: 5 % of value and 6 % of retail value, but not a retail broker.
 */
const PARTICIPANTS: TocsinConfigInput['participants'] = [
  ...[1, 2, 3, 4].map((n) => ({ id: `big-${n}`, name: `Big ${n}`, tradingValueShare: 0.15 })),
  ...[1, 2, 3, 4, 5].map((n) => ({ id: `retail-${n}`, name: `Retail ${n}`, tradingValueShare: 0.01, retail: true, retailValueShare: 0.06 })),
  { id: 'net-1', name: 'Net One', tradingValueShare: 0.001, retail: true, retailValueShare: 0.001 },
  { id: 'inst-1', name: 'Institution One', tradingValueShare: 0.05, retailValueShare: 0.06 },
];
const config = parseConfig({ participants: PARTICIPANTS, policy: { resumeQuorum: QUORUM } });
const ALL = config.participants.map((p) => p.id);

const ready = (...ids: string[]): Answered[] => ids.map((participantId) => ({ participantId, ready: true }));
const notReady = (...ids: string[]): Answered[] => ids.map((participantId) => ({ participantId, ready: false }));
const BIG3 = ['big-1', 'big-2', 'big-3'];
const RETAIL4 = ['retail-1', 'retail-2', 'retail-3', 'retail-4'];
const RETAIL5 = [...RETAIL4, 'retail-5'];

describe('tallyOf: the quorum arithmetic (50 % of value, 30 % of retail value, 5 retail brokers)', () => {
  it.each<[string, Answered[], { valueShare: number; retailValueShare: number; retailParticipants: number; met: boolean }]>([
    // 3 × 15 + 5 × 1 = 50 % of value; 5 × 6 = 30 % of retail value; 5 retail brokers.
    ['exactly at every threshold: met', ready(...BIG3, ...RETAIL5), { valueShare: 0.5, retailValueShare: 0.3, retailParticipants: 5, met: true }],
    ['one participant short (retail-5): every threshold just missed', ready(...BIG3, ...RETAIL4), { valueShare: 0.49, retailValueShare: 0.24, retailParticipants: 4, met: false }],
    ['value short (one big participant fewer), retail met', ready('big-1', 'big-2', ...RETAIL5), { valueShare: 0.35, retailValueShare: 0.3, retailParticipants: 5, met: false }],
    ['retail count short: value and retail value met with 4 retail brokers', ready(...BIG3, ...RETAIL4, 'inst-1'), { valueShare: 0.54, retailValueShare: 0.3, retailParticipants: 4, met: false }],
    ['value met but retail value not (5 brokers, 24.1 % of retail value)', ready('big-1', 'big-2', 'big-3', 'big-4', ...RETAIL4, 'net-1'), { valueShare: 0.641, retailValueShare: 0.241, retailParticipants: 5, met: false }],
    ['a tiny fifth retail broker completes it', ready(...BIG3, ...RETAIL4, 'inst-1', 'net-1'), { valueShare: 0.541, retailValueShare: 0.301, retailParticipants: 5, met: true }],
    ['retail met, value not', ready(...RETAIL5, 'net-1', 'inst-1'), { valueShare: 0.101, retailValueShare: 0.361, retailParticipants: 6, met: false }],
    ['everyone ready', ready(...ALL), { valueShare: 0.701, retailValueShare: 0.361, retailParticipants: 6, met: true }],
    ['nobody answered', [], { valueShare: 0, retailValueShare: 0, retailParticipants: 0, met: false }],
    ['"not ready" counts for nothing', notReady(...ALL), { valueShare: 0, retailValueShare: 0, retailParticipants: 0, met: false }],
    ['an answer from a participant no longer configured counts for nothing', ready(...BIG3, ...RETAIL5, 'gone-1'), { valueShare: 0.5, retailValueShare: 0.3, retailParticipants: 5, met: true }],
  ])('%s', (_, answers, expected) => {
    // Act
    const tally = tallyOf(answers, config.participants, config.policy.resumeQuorum);

    // Assess
    expect(tally).toMatchObject(expected);
  });

  // big-1 … big-3 and four retail brokers ready: 49 % of value, 24 % of retail value, 4 brokers.
  it.each<[string, typeof QUORUM, boolean]>([
    ['value share exactly met (49 % of 49 %)', { valueShare: 0.49, retailValueShare: 0, retailParticipants: 0 }, true],
    ['value share one millionth short', { valueShare: 0.490001, retailValueShare: 0, retailParticipants: 0 }, false],
    ['retail value share exactly met (24 % of 24 %)', { valueShare: 0, retailValueShare: 0.24, retailParticipants: 0 }, true],
    ['retail value share one millionth short', { valueShare: 0, retailValueShare: 0.240001, retailParticipants: 0 }, false],
    ['retail brokers exactly met (4 of 4)', { valueShare: 0, retailValueShare: 0, retailParticipants: 4 }, true],
    ['retail brokers one short (4 of 5)', { valueShare: 0, retailValueShare: 0, retailParticipants: 5 }, false],
  ])('each threshold on its own: %s', (_, quorum, met) => {
    // Act
    const tally = tallyOf(ready(...BIG3, ...RETAIL4), config.participants, quorum);

    // Assess
    expect(tally).toMatchObject({ valueShare: 0.49, retailValueShare: 0.24, retailParticipants: 4, met });
  });

  it('adds in millionths: shares whose floating-point sum falls short still meet a threshold they reach', () => {
    // Prepare: 0.1 + 0.2 === 0.30000000000000004 and 0.7 + 0.1 + 0.1 + 0.1 === 0.9999999999999999 in floating point.
    const participants = parseConfig({
      participants: [
        { id: 'a', name: 'A', tradingValueShare: 0.7 },
        { id: 'b', name: 'B', tradingValueShare: 0.1 },
        { id: 'c', name: 'C', tradingValueShare: 0.1 },
        { id: 'd', name: 'D', tradingValueShare: 0.1 },
      ],
    }).participants;

    // Act
    const tally = tallyOf(ready('a', 'b', 'c', 'd'), participants, { valueShare: 1, retailValueShare: 0, retailParticipants: 0 });

    // Assess
    expect(0.7 + 0.1 + 0.1 + 0.1).toBeLessThan(1);
    expect(tally).toMatchObject({ valueShare: 1, met: true });
  });

  it('lists who has not answered and who is not ready, in configuration order', () => {
    // Act
    const tally = tallyOf([...notReady('inst-1', 'big-2'), ...ready('retail-3')], config.participants, config.policy.resumeQuorum);

    // Assess
    expect(tally.missing).toEqual(['big-1', 'big-3', 'big-4', 'retail-1', 'retail-2', 'retail-4', 'retail-5', 'net-1']);
    expect(tally.notReady).toEqual(['big-2', 'inst-1']);
  });

  it('is met whatever the answers when no quorum is configured: there is no gate', () => {
    expect(tallyOf([], config.participants, undefined)).toMatchObject({ met: true, valueShare: 0, missing: ALL });
  });

  it('says it in words, with the quorum it was held against', () => {
    // Act
    const tally = tallyOf([...ready(...BIG3, ...RETAIL4), ...notReady('big-4')], config.participants, config.policy.resumeQuorum);

    // Assess
    expect(describeTally(tally, config.policy.resumeQuorum)).toBe(
      'ready: 49 % of trading value, 24 % of retail trading value, 4 retail brokers; quorum (50 %, 30 %, 5) not met; 3 not answered, 1 not ready',
    );
    expect(percent(0.123456)).toBe('12.35 %');
  });
});
