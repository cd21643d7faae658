import { parseConfig, type TocsinConfigInput } from '../../lambda/core/config';
import type { DecisionContext } from '../../lambda/core/context';
import type { AlarmSignal } from '../../lambda/core/signal';

/** 07:04:00 JST on 1 October 2020, when unit 1 of the shared disk device failed. */
export const T0 = Date.parse('2020-10-01T07:04:00+09:00');
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;

export function alarm(overrides: Partial<AlarmSignal> = {}): AlarmSignal {
  return {
    dedupKey: 'arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:arrowhead-shared-disk-unit-1-memory',
    status: 'firing',
    severity: 'major',
    component: 'shared-disk',
    summary: 'arrowhead-shared-disk-unit-1-memory: memory error on unit 1',
    occurredAt: T0,
    source: 'cloudwatch',
    ...overrides,
  };
}

/** A controllable clock and deterministic incident ids, for decisions and use cases alike. */
export class TestClock {
  public now: number;
  private ids = 0;

  public constructor(
    start = T0,
    private readonly prefix = 'inc',
  ) {
    this.now = start;
  }

  public advance(ms: number): this {
    this.now += ms;
    return this;
  }

  public context(config: TocsinConfigInput = {}): () => DecisionContext {
    const parsed = parseConfig(config);
    return () => ({ now: this.now, config: parsed, newIncidentId: () => `${this.prefix}-${(this.ids += 1)}` });
  }
}

/**
 * TSE-like configuration used across tests. The shared disk is what participants were told about
 * on 1 October 2020: participant-facing, so its incidents are announced at `critical` (the
 * default `announceSeverity`); market data and surveillance reach operators only, and so does
 * any component not configured here.
 */
export const TSE_CONFIG: TocsinConfigInput = {
  markets: [
    { id: 'equities', segments: ['first', 'second', 'mothers'] },
    { id: 'derivatives', segments: [] },
  ],
  components: [
    { id: 'shared-disk', market: 'equities', critical: true, participantFacing: true },
    { id: 'market-data', market: 'equities' },
    { id: 'surveillance', market: 'equities' },
  ],
};
