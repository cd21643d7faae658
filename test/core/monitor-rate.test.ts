import { rateWindow } from '../../lambda/core/monitor-rate';

describe('rateWindow', () => {
  it.each([
    ['the start of a minute', '2020-10-01T07:04:00.000Z', '2020-10-01T07:04:00.000Z', 60],
    ['inside a minute', '2020-10-01T07:04:13.250Z', '2020-10-01T07:04:00.000Z', 47],
    ['its last millisecond', '2020-10-01T07:04:59.999Z', '2020-10-01T07:04:00.000Z', 1],
  ])('at %s', (_, now, start, retryAfterSeconds) => {
    expect(rateWindow(Date.parse(now))).toEqual({ start: Date.parse(start), retryAfterSeconds, expiresAt: Date.parse(start) + 120_000 });
  });
});
