import type { IncidentStore } from '../../lambda/core/ports';
import { createPromoteHandler } from '../../lambda/handlers/promote';
import { SECOND, T0, TestClock } from '../helpers/domain';
import { MemoryIncidentStore } from '../helpers/memory-store';

/**
 * The promoter's cadence (issue #14: "the promoter should not miss a check tick under load"): one
 * invocation checks every `checkIntervalSeconds` on a fixed schedule from its start — a check
 * slowed by load does not push the later ones back, and one that overruns its slot is followed at
 * once — so a silent primary is seen within `leaseDuration + checkInterval` however slow a check is.
 * The clock is injected: a check "takes" time by advancing it when the store is read.
 */
describe('promote handler: the check cadence', () => {
  const CONFIG = { groups: [{ id: 'shared-disk', nodes: ['unit-1', 'unit-2'] }] };

  /** Runs one invocation watching 10 s with checks of `checkMs` each; the seconds (from T0) at which each check started. */
  async function checkStarts(checkMs: number): Promise<{ starts: number[]; checks: number }> {
    const clock = new TestClock(T0);
    const memory = new MemoryIncidentStore();
    const starts: number[] = [];
    const store = new Proxy(memory, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (property !== 'readLeaseGroup' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: unknown[]) => {
          starts.push((clock.now - T0) / SECOND);
          clock.advance(checkMs);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    }) as IncidentStore;
    const handler = createPromoteHandler({
      store,
      context: clock.context(CONFIG),
      watchMs: 10 * SECOND,
      sleep: async (ms) => {
        clock.advance(ms);
      },
    });
    const { checks } = await handler();
    return { starts, checks };
  }

  it.each<[string, number, number[]]>([
    ['instant checks: every 2 s', 0, [0, 2, 4, 6, 8, 10]],
    ['checks of 1.5 s: still every 2 s, not every 3.5 s', 1.5 * SECOND, [0, 2, 4, 6, 8, 10]],
    ['checks of 2.5 s, longer than the interval: each follows the last at once, none skipped', 2.5 * SECOND, [0, 2.5, 5, 7.5, 10]],
  ])('%s', async (_, checkMs, expected) => {
    // Act
    const { starts, checks } = await checkStarts(checkMs);

    // Assess
    expect(starts).toEqual(expected);
    expect(checks).toBe(expected.length);
  });
});
