import { ALERTMANAGER_MAX_ALERTS, labelsHash, signalsFromAlertmanager } from '../../lambda/adapters/inbound/alertmanager';
import { ValidationError } from '../../lambda/core/errors';
import { loadFixture } from '../helpers/fixtures';

/** Alertmanager webhooks (payload version 4) → one signal per alert, as the README's table says. */

const MONITOR = 'prometheus-tokyo';

/** One alert of `labels`, firing at 07:04 JST, inside the documented webhook. */
function webhookOf(alerts: Array<Record<string, unknown>>): Record<string, unknown> {
  return { ...loadFixture('alertmanager/documented-example.json'), alerts };
}
function alert(labels: Record<string, string>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { status: 'firing', labels, annotations: {}, startsAt: '2020-10-01T07:04:00+09:00', endsAt: '0001-01-01T00:00:00Z', fingerprint: '0123456789abcdef', ...extra };
}
function reject(input: unknown): ValidationError {
  try {
    signalsFromAlertmanager(input, MONITOR);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('signalsFromAlertmanager', () => {
  it('maps the documented example: fingerprint key in the monitor namespace, job as component, description as summary', () => {
    // Act
    const [signal, ...rest] = signalsFromAlertmanager(loadFixture('alertmanager/documented-example.json'), MONITOR);

    // Assess
    expect(rest).toEqual([]);
    expect(signal).toEqual({
      dedupKey: 'monitor:prometheus-tokyo:1a30ba71cca2921f',
      status: 'firing',
      severity: 'critical',
      component: 'http-checks',
      summary: 'Instance https://server.example.org has been down for over 5m.',
      occurredAt: Date.UTC(2023, 1, 6, 13, 8, 45, 828),
      source: 'monitor',
      monitorId: MONITOR,
      details: expect.objectContaining({ via: 'alertmanager', fingerprint: '1a30ba71cca2921f', receiver: 'webhook', labels: expect.objectContaining({ alertname: 'ProbeFailure' }) }),
    });
  });

  it('maps one signal per alert, with the component, market, severity and a one-line summary', () => {
    const signals = signalsFromAlertmanager(loadFixture('alertmanager/shared-disk-firing.json'), MONITOR);

    expect(signals.map(({ dedupKey, component, market, severity, summary, occurredAt }) => ({ dedupKey, component, market, severity, summary, occurredAt }))).toEqual([
      {
        dedupKey: 'monitor:prometheus-tokyo:5f8e3c0a91d2b7e4',
        component: 'shared-disk',
        market: 'equities',
        severity: 'critical',
        summary: 'Memory fault on unit 1 of the shared disk',
        occurredAt: Date.UTC(2020, 8, 30, 22, 4, 13, 482),
      },
      { dedupKey: 'monitor:prometheus-tokyo:a03b77c2e1f0d945', component: 'market-data', market: undefined, severity: 'minor', summary: 'No quotes published by md-1 for 30 s', occurredAt: Date.UTC(2020, 9, 1, 7, 4, 20) },
    ]);
    expect('market' in signals[1]!).toBe(false);
  });

  it('takes a resolved alert at its endsAt', () => {
    const [signal] = signalsFromAlertmanager(loadFixture('alertmanager/shared-disk-resolved.json'), MONITOR);

    expect(signal).toMatchObject({ status: 'resolved', occurredAt: Date.UTC(2020, 9, 1, 8, 32, 5), dedupKey: 'monitor:prometheus-tokyo:5f8e3c0a91d2b7e4' });
  });

  it("accepts Grafana's webhook contact point (the same shape, version 1)", () => {
    const [signal] = signalsFromAlertmanager(loadFixture('alertmanager/grafana-webhook.json'), MONITOR);

    expect(signal).toMatchObject({ component: 'high-memory-usage', severity: 'major', summary: 'Memory above 90% on the order gateway', dedupKey: 'monitor:prometheus-tokyo:c6eadffa33fcdf37' });
  });

  describe('severity from the severity label', () => {
    it.each([
      ['critical', 'critical'],
      ['CRITICAL', 'critical'],
      ['major', 'major'],
      ['error', 'major'],
      ['high', 'major'],
      ['minor', 'minor'],
      ['warning', 'minor'],
      ['info', 'info'],
      ['low', 'info'],
      ['page', 'major'],
      ['sev1', 'major'],
      ['', 'major'],
    ])('%j → %s', (label, expected) => {
      const [signal] = signalsFromAlertmanager(webhookOf([alert({ alertname: 'A', severity: label })]), MONITOR);
      expect(signal!.severity).toBe(expected);
    });

    it('is major without a severity label', () => {
      expect(signalsFromAlertmanager(webhookOf([alert({ alertname: 'A' })]), MONITOR)[0]!.severity).toBe('major');
    });
  });

  describe('missing labels and annotations', () => {
    it.each([
      ['component beats job and alertname', { component: 'shared-disk', job: 'node', alertname: 'DiskDown' }, {}, 'shared-disk', 'DiskDown'],
      ['job beats alertname', { job: 'node_exporter', alertname: 'DiskDown' }, {}, 'node-exporter', 'DiskDown'],
      ['alertname alone', { alertname: 'DiskDown' }, {}, 'diskdown', 'DiskDown'],
      ['summary beats description', { alertname: 'A' }, { summary: 'the summary', description: 'the description' }, 'a', 'the summary'],
      ['description when no summary', { alertname: 'A' }, { description: 'line one\nline two' }, 'a', 'line one line two'],
      ['alertname when no annotation', { alertname: 'A' }, {}, 'a', 'A'],
      ['an empty summary falls through', { alertname: 'A' }, { summary: ' \n ', description: 'desc' }, 'a', 'desc'],
    ])('%s', (_, labels, annotations, component, summary) => {
      const [signal] = signalsFromAlertmanager(webhookOf([alert(labels as Record<string, string>, { annotations })]), MONITOR);
      expect(signal).toMatchObject({ component, summary });
    });

    it('keys an alert without a fingerprint by a stable hash of its sorted labels', () => {
      // Prepare: the same labels in two orders
      const a = alert({ alertname: 'A', instance: 'x', job: 'j' }, { fingerprint: undefined });
      const b = alert({ job: 'j', instance: 'x', alertname: 'A' }, { fingerprint: undefined });

      // Act
      const [first] = signalsFromAlertmanager(webhookOf([a]), MONITOR);
      const [second] = signalsFromAlertmanager(webhookOf([b]), MONITOR);

      // Assess
      expect(first!.dedupKey).toBe(`monitor:${MONITOR}:labels-${labelsHash({ alertname: 'A', instance: 'x', job: 'j' })}`);
      expect(second!.dedupKey).toBe(first!.dedupKey);
      expect(labelsHash({ alertname: 'B' })).not.toBe(labelsHash({ alertname: 'A' }));
    });

    it('flattens control and bidirectional characters of an annotation into spaces and caps the summary at 1024', () => {
      const [signal] = signalsFromAlertmanager(webhookOf([alert({ alertname: 'A' }, { annotations: { summary: `x\u202Ey\u0085z ${'s'.repeat(2000)}` } })]), MONITOR);
      expect(signal!.summary.startsWith('x y z ')).toBe(true);
      expect(signal!.summary).toHaveLength(1024);
    });
  });

  it(`maps ${ALERTMANAGER_MAX_ALERTS.toLocaleString('en')} alerts in one webhook, each its own key`, () => {
    const alerts = Array.from({ length: ALERTMANAGER_MAX_ALERTS }, (_, i) => alert({ alertname: 'ServerDown', instance: `md-${i}`, severity: 'warning' }, { fingerprint: i.toString(16).padStart(16, '0') }));

    const signals = signalsFromAlertmanager(webhookOf(alerts), MONITOR);

    expect(signals).toHaveLength(ALERTMANAGER_MAX_ALERTS);
    expect(new Set(signals.map((s) => s.dedupKey)).size).toBe(ALERTMANAGER_MAX_ALERTS);
  });

  describe('rejects, naming the field', () => {
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`l${i}`, 'v']));
    it.each([
      ['more alerts than the limit', webhookOf(Array.from({ length: ALERTMANAGER_MAX_ALERTS + 1 }, () => alert({ alertname: 'A' }))), /alerts: must have at most 1000 items, got 1001/],
      ['no alerts', webhookOf([]), /alerts: must have at least 1 item/],
      ['an unknown version', { ...webhookOf([alert({ alertname: 'A' })]), version: '5' }, /version: expected "4" \(Alertmanager\) or "1"/],
      ['a missing alerts list', { version: '4' }, /alerts: missing; expected an array/],
      ['an unknown alert status', webhookOf([alert({ alertname: 'A' }, { status: 'pending' })]), /alerts\[0\]\.status: expected one of "firing", "resolved"; got "pending"/],
      ['a startsAt that is no time', webhookOf([alert({ alertname: 'A' }, { startsAt: 'yesterday' })]), /alerts\[0\]\.startsAt: must be an ISO-8601 date-time/],
      ['a resolved alert without its end', webhookOf([alert({ alertname: 'A' }, { status: 'resolved' })]), /alerts\[0\]\.endsAt: a resolved alert needs the ISO-8601 time it ended, got "0001-01-01T00:00:00Z"/],
      ['a market that is not an id', webhookOf([alert({ alertname: 'A', market: 'Equities' })]), /alerts\[0\]\.labels\.market: must be lower-case letters, digits and dashes .*got "Equities"/],
      ['no label naming a component', webhookOf([alert({ instance: 'x' })]), /alerts\[0\]\.labels: needs a "component", "job" or "alertname" label/],
      ['too many labels', webhookOf([alert({ alertname: 'A', ...many(64) })]), /alerts\[0\]\.labels: must have at most 64 labels, got 65/],
      ['a label value that is too long', webhookOf([alert({ alertname: 'A', instance: 'x'.repeat(1025) })]), /alerts\[0\]\.labels\.instance: must be at most 1024 characters, got 1025/],
      ['a label name that is too long', webhookOf([alert({ alertname: 'A', ['n'.repeat(129)]: 'v' })]), /alerts\[0\]\.labels\.n{129}: key "n+…" refused: must be at most 128 characters, got 129/],
      ['a bidirectional control in a label value', webhookOf([alert({ alertname: 'A', instance: 'md-1\u202Egnp.exe' })]), /alerts\[0\]\.labels\.instance: a label value must not contain control characters/],
      ['a C1 control in a label name', webhookOf([alert({ alertname: 'A', 'bad\u0085name': 'v' })]), /a label name must not contain control characters/],
      ['a fingerprint that is not one', webhookOf([alert({ alertname: 'A' }, { fingerprint: 'x y' })]), /alerts\[0\]\.fingerprint: must be 1–128 letters/],
      ['an annotation that is too long', webhookOf([alert({ alertname: 'A' }, { annotations: { description: 'd'.repeat(8193) } })]), /alerts\[0\]\.annotations\.description: must be at most 8192 characters/],
      ['a body that is not an object', 'firing', /expected an object, got "firing"/],
    ])('%s', (_, input, message) => {
      const error = reject(input);
      expect(error.message).toMatch(/^invalid Alertmanager webhook: /);
      expect(error.message).toMatch(message);
    });
  });
});
