import { every } from '../../local/runtime';

/**
 * The local runtime's schedules (the promoter's checks, the sweep, the redrive): never two runs at
 * once, and a tick that comes while a run is still going is not dropped — the task runs again as
 * soon as it ends — so a check slowed by load costs no check (issue #14). Fake timers: the times
 * are the schedule's, not the machine's.
 */
describe('every (the local schedules)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it.each<[string, number, number[]]>([
    ['a task shorter than the interval runs on every tick', 20, [50, 100, 150, 200, 250, 300, 350, 400]],
    ['a task longer than the interval runs again as soon as it ends, once, never two at once', 150, [50, 200, 350]],
  ])('%s', async (_, taskMs, expected) => {
    // Prepare
    const starts: number[] = [];
    let running = 0;
    let most = 0;
    const closers: Array<() => Promise<void>> = [];
    const task = async () => {
      starts.push(Date.now() - t0);
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, taskMs));
      running -= 1;
    };
    const t0 = Date.now();

    // Act
    every(50, task, closers, () => undefined);
    await jest.advanceTimersByTimeAsync(400);
    const stopping = Promise.all(closers.map((close) => close()));
    await jest.advanceTimersByTimeAsync(taskMs);
    await stopping;

    // Assess
    expect(starts).toEqual(expected);
    expect(most).toBe(1);
  });
});
