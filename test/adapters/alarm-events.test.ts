import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { ValidationError } from '../../lambda/core/errors';
import { parseConfig } from '../../lambda/core/config';
import type { AlarmSignal, Severity } from '../../lambda/core/signal';
import {
  attributeAlarm,
  classifyIngestEvent,
  componentFromAlarmName,
  isIgnoredAlarm,
  MONITOR_EVENT_MAX_BYTES,
  parseHttpRequest,
  parseMonitorEvent,
  signalFromCloudWatchEvent,
  signalsFromSnsEvent,
  type IgnoredAlarm,
  type IngestEventKind,
} from '../../lambda/adapters/alarm-events';
import { parseIsoInstant } from '../../lambda/core/validation';

const EVENTS = join(__dirname, '..', '..', 'events');
const load = (file: string): any => JSON.parse(readFileSync(join(EVENTS, file), 'utf8'));
const filesIn = (dir: string): string[] => readdirSync(join(EVENTS, dir)).filter((f) => f.endsWith('.json')).sort();
const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const alarmArn = (name: string) => `arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:${name}`;
const MEMORY_ALARM = alarmArn('arrowhead-shared-disk-unit-1-memory');

/** Every source's result must be a signal here; fails the test with the value otherwise. */
function asSignal(value: AlarmSignal | IgnoredAlarm): AlarmSignal {
  if (isIgnoredAlarm(value)) throw new Error(`expected a signal, got ignored: ${value.reason}`);
  return value;
}

/** Replaces the alarm notification inside the first record of an SNS event. */
function withMessage(event: any, change: (message: any) => void, index = 0): any {
  const copy = clone(event);
  const message = JSON.parse(copy.Records[index].Sns.Message);
  change(message);
  copy.Records[index].Sns.Message = JSON.stringify(message);
  return copy;
}

/** A Function URL event carrying `body`, based on the firing sample. */
function httpEvent(body: string | undefined, change: (event: any) => void = () => undefined): any {
  const event = clone(load('function-url/monitor-event-firing.json'));
  event.body = body;
  change(event);
  return event;
}

const FIRING_MONITOR_EVENT = JSON.parse(load('function-url/monitor-event-firing.json').body);

interface Expected {
  dedupKey: string;
  status: 'firing' | 'resolved';
  severity: Severity;
  component: string;
  market: string | undefined;
  occurredAt: number;
}

function assessSignal(signal: AlarmSignal, expected: Expected, source: AlarmSignal['source']): void {
  expect({
    dedupKey: signal.dedupKey,
    status: signal.status,
    severity: signal.severity,
    component: signal.component,
    market: signal.market,
    occurredAt: signal.occurredAt,
    source: signal.source,
  }).toEqual({ ...expected, source });
  if (expected.market === undefined) expect('market' in signal).toBe(false);
}

describe('sample events', () => {
  const eventBridgeSamples: Array<[string, Expected]> = [
    ['alarm-state-change-alarm.json', { dedupKey: MEMORY_ALARM, status: 'firing', severity: 'critical', component: 'shared-disk', market: 'equities', occurredAt: Date.UTC(2020, 8, 30, 22, 4, 13, 482) }],
    ['alarm-state-change-ok.json', { dedupKey: MEMORY_ALARM, status: 'resolved', severity: 'critical', component: 'shared-disk', market: 'equities', occurredAt: Date.UTC(2020, 8, 30, 23, 41, 7, 15) }],
    ['alarm-state-change-metric-math-alarm.json', { dedupKey: alarmArn('arrowhead-order-gateway-reject-rate'), status: 'firing', severity: 'major', component: 'order-gateway', market: 'equities', occurredAt: Date.UTC(2020, 8, 30, 22, 5, 48, 554) }],
    ['alarm-state-change-composite-alarm.json', { dedupKey: alarmArn('arrowhead-shared-disk-failover-incomplete'), status: 'firing', severity: 'critical', component: 'shared-disk', market: undefined, occurredAt: Date.UTC(2020, 8, 30, 22, 4, 43, 101) }],
    ['alarm-state-change-untagged-alarm.json', { dedupKey: alarmArn('Arrowhead Disk Latency p99'), status: 'firing', severity: 'major', component: 'arrowhead-disk-latency-p99', market: undefined, occurredAt: Date.UTC(2020, 8, 30, 22, 6, 30, 907) }],
  ];
  const snsSamples: Array<[string, Expected]> = [
    ['cloudwatch-alarm-notification.json', { dedupKey: MEMORY_ALARM, status: 'firing', severity: 'critical', component: 'shared-disk', market: 'equities', occurredAt: Date.UTC(2020, 8, 30, 22, 4, 13, 482) }],
    ['cloudwatch-alarm-notification-without-alarm-arn.json', { dedupKey: MEMORY_ALARM, status: 'resolved', severity: 'critical', component: 'shared-disk', market: 'equities', occurredAt: Date.UTC(2020, 8, 30, 23, 41, 7, 15) }],
  ];
  const functionUrlSamples: Array<[string, Expected]> = [
    // The IAM URL's namespace (core/dedup-keys.ts): a caller addresses its own alarms only.
    ['monitor-event-firing.json', { dedupKey: 'ingest:arrowhead/shared-disk/unit-1/heartbeat', status: 'firing', severity: 'critical', component: 'shared-disk', market: 'equities', occurredAt: Date.UTC(2020, 8, 30, 22, 4, 13, 482) }],
    ['monitor-event-resolved.json', { dedupKey: 'ingest:arrowhead/shared-disk/unit-1/heartbeat', status: 'resolved', severity: 'critical', component: 'shared-disk', market: undefined, occurredAt: Date.UTC(2020, 9, 1, 8, 32, 5) }],
    ['monitor-event-firing-base64.json', { dedupKey: 'ingest:arrowhead/market-data-feed/lag', status: 'firing', severity: 'minor', component: 'market-data-feed', market: 'equities', occurredAt: Date.UTC(2020, 8, 30, 21, 58, 30, 250) }],
  ];
  const ignoredSamples = ['alarm-state-change-insufficient-data.json'];

  it('has a test row for every sample file', () => {
    // Prepare
    const tested = {
      eventbridge: [...eventBridgeSamples.map(([file]) => file), ...ignoredSamples].sort(),
      sns: snsSamples.map(([file]) => file).sort(),
      'function-url': functionUrlSamples.map(([file]) => file).sort(),
    };

    // Act
    const present = { eventbridge: filesIn('eventbridge'), sns: filesIn('sns'), 'function-url': filesIn('function-url') };

    // Assess
    expect(present).toEqual(tested);
  });

  it.each(eventBridgeSamples)('eventbridge/%s parses to the expected signal', (file, expected) => {
    // Prepare
    const event = load(`eventbridge/${file}`);

    // Act
    const signal = asSignal(signalFromCloudWatchEvent(event));

    // Assess
    assessSignal(signal, expected, 'cloudwatch');
    expect(signal.details).toMatchObject({ alarmName: event.detail.alarmName, account: '123456789012', region: 'ap-northeast-1', previousState: event.detail.previousState.value });
  });

  it.each(snsSamples)('sns/%s parses to the expected signal', (file, expected) => {
    // Prepare
    const event = load(`sns/${file}`);

    // Act
    const signals = signalsFromSnsEvent(event);

    // Assess
    expect(signals).toHaveLength(1);
    assessSignal(asSignal(signals[0]!), expected, 'cloudwatch');
    expect(signals[0]).toMatchObject({ details: { alarmName: 'arrowhead-shared-disk-unit-1-memory', account: '123456789012', region: 'ap-northeast-1', via: 'sns' } });
  });

  it.each(functionUrlSamples)('function-url/%s parses to the expected signal', (file, expected) => {
    // Prepare
    const event = load(`function-url/${file}`);

    // Act
    const result = parseHttpRequest(event);

    // Assess
    if (!result.ok) throw new Error(`expected ok, got ${result.statusCode} ${result.error}`);
    assessSignal(result.signal, expected, 'monitor');
  });

  it.each(ignoredSamples)('eventbridge/%s is ignored: INSUFFICIENT_DATA neither opens nor resolves', (file) => {
    // Act
    const result = signalFromCloudWatchEvent(load(`eventbridge/${file}`));

    // Assess
    expect(result).toEqual({ ignored: true, reason: expect.stringMatching(/^INSUFFICIENT_DATA\b.*neither opens nor resolves/), dedupKey: MEMORY_ALARM });
    expect(isIgnoredAlarm(result)).toBe(true);
  });

  it('ignores INSUFFICIENT_DATA delivered through SNS too', () => {
    // Prepare
    const event = withMessage(load('sns/cloudwatch-alarm-notification.json'), (m) => {
      m.NewStateValue = 'INSUFFICIENT_DATA';
    });

    // Act
    const [result] = signalsFromSnsEvent(event);

    // Assess
    expect(result).toEqual({ ignored: true, reason: expect.stringContaining('INSUFFICIENT_DATA'), dedupKey: MEMORY_ALARM });
  });

  it('gives one alarm the same dedup key through EventBridge, SNS, and SNS without AlarmArn', () => {
    // Act
    const viaEventBridge = asSignal(signalFromCloudWatchEvent(load('eventbridge/alarm-state-change-alarm.json')));
    const [viaSns] = signalsFromSnsEvent(load('sns/cloudwatch-alarm-notification.json'));
    const [viaOldSns] = signalsFromSnsEvent(load('sns/cloudwatch-alarm-notification-without-alarm-arn.json'));

    // Assess
    expect(new Set([viaEventBridge.dedupKey, viaSns!.dedupKey, viaOldSns!.dedupKey])).toEqual(new Set([MEMORY_ALARM]));
    expect(asSignal(viaSns!).occurredAt).toBe(viaEventBridge.occurredAt);
  });

  it('builds the summary as "<AlarmName>: <reason>" and keeps details small', () => {
    // Act
    const signal = asSignal(signalFromCloudWatchEvent(load('eventbridge/alarm-state-change-composite-alarm.json')));

    // Assess
    expect(signal.summary).toBe(
      `arrowhead-shared-disk-failover-incomplete: ${alarmArn('arrowhead-shared-disk-unit-1-memory')} transitioned to ALARM at Wednesday 30 September, 2020 22:04:13 UTC`,
    );
    expect(Object.keys(signal.details ?? {}).sort()).toEqual(['account', 'alarmName', 'previousState', 'reason', 'region', 'via']);
  });

  it('trims the summary to 300 characters and flattens control characters in the reason', () => {
    // Prepare
    const event = clone(load('eventbridge/alarm-state-change-alarm.json'));
    event.detail.state.reason = `line one\nline two\t${'x'.repeat(400)}`;

    // Act
    const signal = asSignal(signalFromCloudWatchEvent(event));

    // Assess
    expect(signal.summary).toHaveLength(300);
    expect(signal.summary.startsWith('arrowhead-shared-disk-unit-1-memory: line one line two xxx')).toBe(true);
    expect(signal.summary.endsWith('…')).toBe(true);
  });

  it('keeps the monitor event details and marks the source', () => {
    // Act
    const result = parseHttpRequest(load('function-url/monitor-event-firing.json'));

    // Assess
    expect(result).toMatchObject({ ok: true, signal: { source: 'monitor', details: { alertname: 'SharedDiskHeartbeatMissing', missedHeartbeats: 5 } } });
  });
});

describe('invalid samples', () => {
  type Rejection =
    | { kind: 'http'; statusCode: 400 | 405 | 413 | 415; error: string }
    | { kind: 'eventbridge' | 'sns'; message: string }
    | { kind: 'unknown'; message: string };

  const invalid: Array<[string, Rejection]> = [
    ['eventbridge-unknown-state-value.json', { kind: 'eventbridge', message: 'invalid CloudWatch alarm event: detail.state.value: expected one of "ALARM", "OK", "INSUFFICIENT_DATA"; got "BROKEN"' }],
    ['eventbridge-missing-alarm-name.json', { kind: 'eventbridge', message: 'detail.alarmName: missing; expected a string' }],
    ['eventbridge-timestamp-wrong-type.json', { kind: 'eventbridge', message: 'detail.state.timestamp: expected an ISO-8601 date-time string, got number 1601503453482' }],
    ['eventbridge-empty-resources.json', { kind: 'eventbridge', message: 'resources: must have at least 1 item, got 0' }],
    ['eventbridge-resource-not-an-alarm-arn.json', { kind: 'eventbridge', message: 'resources[0]: must be a CloudWatch alarm ARN (arn:aws:cloudwatch:<region>:<account>:alarm:<name>), got "arn:aws:sns:' }],
    ['eventbridge-configuration-change.json', { kind: 'eventbridge', message: 'detail-type: expected "CloudWatch Alarm State Change", got "CloudWatch Alarm Configuration Change"' }],
    ['sns-message-not-alarm-notification.json', { kind: 'sns', message: 'invalid SNS event: Records[0].Sns.Message.AlarmName: missing; expected a string' }],
    ['sns-message-not-json.json', { kind: 'sns', message: 'invalid SNS event: Records[0].Sns.Message: not valid JSON' }],
    ['sns-unknown-state-value.json', { kind: 'sns', message: 'Records[0].Sns.Message.NewStateValue: expected one of "ALARM", "OK", "INSUFFICIENT_DATA"; got "BROKEN"' }],
    ['sns-state-change-time-without-offset.json', { kind: 'sns', message: 'Records[0].Sns.Message.StateChangeTime: must be an ISO-8601 date-time with seconds and an offset or Z (e.g. "2020-10-01T07:04:13+09:00"), got "2020-09-30 22:04:13"' }],
    ['function-url-get-method.json', { kind: 'http', statusCode: 405, error: 'method GET is not allowed; use POST' }],
    ['function-url-wrong-content-type.json', { kind: 'http', statusCode: 415, error: 'content-type "text/plain; charset=utf-8" is not supported; expected application/json' }],
    ['function-url-missing-content-type.json', { kind: 'http', statusCode: 415, error: 'content-type is missing; expected application/json' }],
    ['function-url-charset-not-utf-8.json', { kind: 'http', statusCode: 415, error: 'content-type "application/json; charset=iso-8859-1" is not supported; JSON must be UTF-8' }],
    ['function-url-non-json-body.json', { kind: 'http', statusCode: 400, error: 'body is not valid JSON: ' }],
    ['function-url-empty-body.json', { kind: 'http', statusCode: 400, error: 'body is empty; expected a JSON monitor event' }],
    ['function-url-invalid-base64.json', { kind: 'http', statusCode: 400, error: 'body is marked base64-encoded but is not valid base64' }],
    ['function-url-body-not-an-object.json', { kind: 'http', statusCode: 400, error: 'invalid monitor event: expected an object, got an array of 1' }],
    ['function-url-missing-occurred-at.json', { kind: 'http', statusCode: 400, error: 'invalid monitor event: occurredAt: missing; expected an ISO-8601 date-time string' }],
    ['function-url-severity-wrong-type.json', { kind: 'http', statusCode: 400, error: 'invalid monitor event: severity: expected one of "critical", "major", "minor", "info"; got number 1' }],
    ['function-url-unknown-status.json', { kind: 'http', statusCode: 400, error: 'invalid monitor event: status: expected one of "firing", "resolved"; got "BROKEN"' }],
    ['function-url-unknown-field.json', { kind: 'http', statusCode: 400, error: 'invalid monitor event: unknown field "priority" (allowed: dedupKey, status, severity, component, market, summary, occurredAt, details)' }],
    ['function-url-control-characters.json', { kind: 'http', statusCode: 400, error: 'invalid monitor event: summary: must not contain control characters (U+0000–U+001F, U+007F–U+009F) or bidirectional controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069); found U+0007 at position 11' }],
    ['function-url-occurred-at-impossible-date.json', { kind: 'http', statusCode: 400, error: 'invalid monitor event: occurredAt: must be an ISO-8601 date-time with seconds and an offset or Z (e.g. "2020-10-01T07:04:13+09:00"), got "2021-02-30T09:00:00+09:00"' }],
    ['function-url-occurred-at-without-offset.json', { kind: 'http', statusCode: 400, error: 'occurredAt: must be an ISO-8601 date-time with seconds and an offset or Z (e.g. "2020-10-01T07:04:13+09:00"), got "2020-10-01T07:04:13"' }],
    ['function-url-component-not-an-id.json', { kind: 'http', statusCode: 400, error: 'invalid monitor event: component: must be lower-case letters, digits and dashes (e.g. "shared-disk"), got "Shared Disk"' }],
    ['function-url-empty-dedup-key.json', { kind: 'http', statusCode: 400, error: 'invalid monitor event: dedupKey: must not be empty' }],
    ['function-url-details-not-an-object.json', { kind: 'http', statusCode: 400, error: 'invalid monitor event: details: expected an object, got an array of 1' }],
    ['unknown-event-sqs.json', { kind: 'unknown', message: 'invalid ingest event: expected an EventBridge event' }],
  ];

  it('has a test row for every file in events/invalid', () => {
    expect(filesIn('invalid')).toEqual(invalid.map(([file]) => file).sort());
  });

  it.each(invalid)('rejects invalid/%s with a message naming the field', (file, rejection) => {
    // Prepare
    const event = load(`invalid/${file}`);

    // Act + Assess
    switch (rejection.kind) {
      case 'unknown':
        expect(() => classifyIngestEvent(event)).toThrow(ValidationError);
        expect(() => classifyIngestEvent(event)).toThrow(rejection.message);
        break;
      case 'eventbridge':
        expect(classifyIngestEvent(event)).toBe('eventbridge');
        expect(() => signalFromCloudWatchEvent(event)).toThrow(ValidationError);
        expect(() => signalFromCloudWatchEvent(event)).toThrow(rejection.message);
        break;
      case 'sns':
        expect(classifyIngestEvent(event)).toBe('sns');
        expect(() => signalsFromSnsEvent(event)).toThrow(ValidationError);
        expect(() => signalsFromSnsEvent(event)).toThrow(rejection.message);
        break;
      case 'http':
        expect(classifyIngestEvent(event)).toBe('http');
        expect(parseHttpRequest(event)).toEqual({ ok: false, statusCode: rejection.statusCode, error: expect.stringContaining(rejection.error) });
        break;
    }
  });
});

describe('parseIsoInstant', () => {
  it.each([
    // CloudWatch's StateChangeTime / detail.state.timestamp form: offset without a colon.
    ['2021-05-25T11:23:25.569+0000', Date.UTC(2021, 4, 25, 11, 23, 25, 569)],
    ['2020-09-30T22:04:13.482+0000', Date.UTC(2020, 8, 30, 22, 4, 13, 482)],
    ['2020-10-01T07:04:13.482+09:00', Date.UTC(2020, 8, 30, 22, 4, 13, 482)],
    ['2020-10-01T07:04:13.482+0900', Date.UTC(2020, 8, 30, 22, 4, 13, 482)],
    ['2020-09-30T17:04:13-05:00', Date.UTC(2020, 8, 30, 22, 4, 13)],
    ['2020-09-30T22:04:13Z', Date.UTC(2020, 8, 30, 22, 4, 13)],
    ['2020-09-30T22:04:13.4Z', Date.UTC(2020, 8, 30, 22, 4, 13, 400)],
    ['2020-09-30T22:04:13.482999999Z', Date.UTC(2020, 8, 30, 22, 4, 13, 482)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['2000-02-29T00:00:00Z', Date.UTC(2000, 1, 29)],
    ['0099-12-31T23:59:59Z', Date.parse('0099-12-31T23:59:59Z')],
  ])('parses %s to the right instant', (text, expected) => {
    expect(parseIsoInstant(text)).toBe(expected);
  });

  it('agrees with Date for the +0000 form once the offset has its colon', () => {
    expect(parseIsoInstant('2021-05-25T11:23:25.569+0000')).toBe(new Date('2021-05-25T11:23:25.569+00:00').getTime());
  });

  it.each([
    '2021-02-30T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '1900-02-29T00:00:00Z',
    '2020-04-31T00:00:00Z',
    '2020-13-01T00:00:00Z',
    '2020-10-01T24:00:00Z',
    '2020-10-01T07:60:00Z',
    '2020-10-01T07:04Z',
    '2020-10-01T07:04:13',
    '2020-10-01 07:04:13Z',
    '2020-10-01T07:04:13+24:00',
    '2020-10-01T07:04:13+9:00',
    '2020-10-01',
    '1601503453482',
    'yesterday',
    '',
  ])('rejects %j', (text) => {
    expect(parseIsoInstant(text)).toBeUndefined();
  });

  it('parses the SNS StateChangeTime "+0000" form to the right instant', () => {
    // Prepare
    const event = withMessage(load('sns/cloudwatch-alarm-notification.json'), (m) => {
      m.StateChangeTime = '2021-05-25T11:23:25.569+0000';
    });

    // Act
    const [signal] = signalsFromSnsEvent(event);

    // Assess
    expect(asSignal(signal!).occurredAt).toBe(Date.UTC(2021, 4, 25, 11, 23, 25, 569));
    expect(new Date(asSignal(signal!).occurredAt).toISOString()).toBe('2021-05-25T11:23:25.569Z');
  });
});

describe('attribution of CloudWatch alarms', () => {
  const name = 'arrowhead-order-gateway-reject-rate';
  const tags = { 'tocsin:component': 'order-gateway', 'tocsin:severity': 'major', 'tocsin:market': 'equities' };
  const tokens = 'Share of orders rejected. component=gateways severity=minor market=derivatives';

  it.each<[string, unknown, string | undefined, { component: string; severity: Severity; market?: string }]>([
    ['tags beat description tokens', tags, tokens, { component: 'order-gateway', severity: 'major', market: 'equities' }],
    ['description tokens beat defaults', undefined, tokens, { component: 'gateways', severity: 'minor', market: 'derivatives' }],
    ['defaults without tags or tokens', undefined, 'Share of orders rejected', { component: name, severity: 'major' }],
    ['defaults with a null description and empty tags', {}, undefined, { component: name, severity: 'major' }],
    ['field by field: a tag for one field, tokens for the others', { 'tocsin:severity': 'critical' }, tokens, { component: 'gateways', severity: 'critical', market: 'derivatives' }],
    ['tokens in any order, anywhere in the text', undefined, 'Paged to the desk (market=equities) when severity=info; component=market-data-feed.', { component: 'market-data-feed', severity: 'info', market: 'equities' }],
    ['tags in the ListTagsForResource list form', [{ Key: 'tocsin:component', Value: 'order-gateway' }, { Key: 'team', Value: 'trading' }], undefined, { component: 'order-gateway', severity: 'major' }],
    ['a word that merely ends in a token name is not a token', undefined, 'subcomponent=disk nonseverity=info', { component: name, severity: 'major' }],
  ])('%s', (_case, alarmTags, description, expected) => {
    // Act
    const attribution = attributeAlarm(name, description, alarmTags);

    // Assess
    expect({ component: attribution.component, severity: attribution.severity, market: attribution.market }).toEqual({ market: undefined, ...expected });
  });

  it('passes over an invalid tag value, falls back to the token and notes why', () => {
    // Act
    const attribution = attributeAlarm(name, 'severity=critical component=Order_Gateway', { 'tocsin:severity': 'urgent' });

    // Assess
    expect(attribution.severity).toBe('critical');
    expect(attribution.component).toBe(name);
    expect(attribution.notes).toEqual([
      'description token component= "Order_Gateway" ignored: expected lower-case letters, digits and dashes',
      'tag tocsin:severity "urgent" ignored: expected one of critical, major, minor, info',
    ]);
  });

  it('notes alarm tags it cannot read instead of refusing the alarm', () => {
    expect(attributeAlarm(name, undefined, 'tocsin:severity=critical').notes).toEqual(['alarm tags ignored: expected a key-value object, got "tocsin:severity=critical"']);
  });

  it('reads alarm tags from an SNS notification (AlarmTags) and records attribution notes in details', () => {
    // Prepare
    const event = withMessage(load('sns/cloudwatch-alarm-notification.json'), (m) => {
      m.AlarmTags = { 'tocsin:component': 'shared-disk-unit-1', 'tocsin:severity': 'sev1' };
    });

    // Act
    const signal = asSignal(signalsFromSnsEvent(event)[0]!);

    // Assess
    expect({ component: signal.component, severity: signal.severity, market: signal.market }).toEqual({ component: 'shared-disk-unit-1', severity: 'critical', market: 'equities' });
    expect(signal.details).toMatchObject({ attributionNotes: ['tag tocsin:severity "sev1" ignored: expected one of critical, major, minor, info'] });
  });

  it('uses defaults for an SNS notification with a null AlarmDescription and no AlarmArn', () => {
    // Prepare
    const event = withMessage(load('sns/cloudwatch-alarm-notification-without-alarm-arn.json'), (m) => {
      m.AlarmName = 'Arrowhead Disk Latency p99';
      m.AlarmDescription = null;
    });

    // Act
    const signal = asSignal(signalsFromSnsEvent(event)[0]!);

    // Assess
    expect(signal).toMatchObject({ dedupKey: alarmArn('Arrowhead Disk Latency p99'), component: 'arrowhead-disk-latency-p99', severity: 'major' });
    expect('market' in signal).toBe(false);
  });

  it.each([
    ['arrowhead-shared-disk-unit-1-memory', 'arrowhead-shared-disk-unit-1-memory'],
    ['Arrowhead Disk Latency p99', 'arrowhead-disk-latency-p99'],
    ['TSE/Arrowhead: CPU > 90%', 'tse-arrowhead--cpu---90-'],
    ['__disk', 'disk'],
    ['!!!', 'cloudwatch-alarm'],
    ['a'.repeat(100), 'a'.repeat(64)],
  ])('names the default component of alarm %j %j', (alarmName, expected) => {
    expect(componentFromAlarmName(alarmName)).toBe(expected);
  });
});

describe('parseMonitorEvent', () => {
  it('accepts the minimal event and leaves market and details out', () => {
    // Prepare
    const { market: _market, details: _details, ...minimal } = FIRING_MONITOR_EVENT;

    // Act
    const signal = parseMonitorEvent(minimal);

    // Assess
    expect(signal).toEqual({
      dedupKey: 'arrowhead/shared-disk/unit-1/heartbeat',
      status: 'firing',
      severity: 'critical',
      component: 'shared-disk',
      summary: 'shared disk unit 1 stopped answering heartbeats; unit 2 has not taken over',
      occurredAt: Date.UTC(2020, 8, 30, 22, 4, 13, 482),
      source: 'monitor',
    });
  });

  // The monitor event's component and market must be ids the configuration can name.
  it.each(['shared-disk', 'equities', 'unit-1', '0day', 'a'.repeat(64), 'a'.repeat(65), 'Shared-Disk', '-disk', 'shared_disk', 'shared disk', ''])(
    'accepts id %j exactly when lambda/core/config.ts does',
    (id) => {
      // Prepare
      const accepts = (fn: () => unknown) => {
        try {
          fn();
          return true;
        } catch {
          return false;
        }
      };

      // Act
      const byConfig = accepts(() => parseConfig({ markets: [{ id }], components: [{ id, market: id }] }));
      const byMonitorEvent = accepts(() => parseMonitorEvent({ ...FIRING_MONITOR_EVENT, component: id, market: id }));

      // Assess
      expect(byMonitorEvent).toBe(byConfig);
    },
  );

  it.each([
    ['dedupKey', '\u0000', 'U+0000 at position 11'],
    ['summary', '\n', 'U+000A at position 11'],
    ['summary', '\u001f', 'U+001F at position 11'],
    ['summary', '\u007f', 'U+007F at position 11'],
    ['component', '\t', 'must be lower-case letters'],
  ])('rejects a control character in %s (%j)', (field, character, expected) => {
    // Prepare
    const event = { ...FIRING_MONITOR_EVENT, [field]: `arrowhead-x${character}y` };

    // Act + Assess
    expect(() => parseMonitorEvent(event)).toThrow(ValidationError);
    expect(() => parseMonitorEvent(event)).toThrow(`invalid monitor event: ${field}: `);
    expect(() => parseMonitorEvent(event)).toThrow(expected);
  });

  it.each([
    ['summary', 'x'.repeat(1025), 'summary: must be at most 1024 characters, got 1025'],
    ['dedupKey', 'k'.repeat(513), 'dedupKey: must be at most 512 characters, got 513'],
    ['component', 'c'.repeat(65), 'component: must be at most 64 characters, got 65'],
    ['summary', '', 'summary: must not be empty'],
    ['status', 'open', 'status: expected one of "firing", "resolved"; got "open"'],
    ['severity', 'CRITICAL', 'severity: expected one of "critical", "major", "minor", "info"; got "CRITICAL"'],
    ['occurredAt', 1601503453482, 'occurredAt: expected an ISO-8601 date-time string, got number 1601503453482'],
    ['details', 'none', 'details: expected an object, got "none"'],
  ])('rejects %s = %j naming the field, what arrived and what was expected', (field, value, expected) => {
    expect(() => parseMonitorEvent({ ...FIRING_MONITOR_EVENT, [field]: value })).toThrow(expected);
  });

  it('rejects a missing required field', () => {
    const { severity: _severity, ...event } = FIRING_MONITOR_EVENT;
    expect(() => parseMonitorEvent(event)).toThrow('invalid monitor event: severity: missing; expected one of "critical", "major", "minor", "info"');
  });

  it('lists every problem, not just the first', () => {
    // Act
    let error: unknown;
    try {
      parseMonitorEvent({ ...FIRING_MONITOR_EVENT, status: 'BROKEN', occurredAt: 'now', extra: 1 });
    } catch (e) {
      error = e;
    }

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems.map((p) => p.field).sort()).toEqual(['', 'occurredAt', 'status']);
  });
});

describe('parseHttpRequest', () => {
  const firingBody = JSON.stringify(FIRING_MONITOR_EVENT);

  it('rejects a generated 1 MiB body with 413 saying the size and the limit', () => {
    // Prepare
    const body = JSON.stringify({ ...FIRING_MONITOR_EVENT, details: { padding: 'x'.repeat(1024 * 1024) } });
    const size = Buffer.byteLength(body);

    // Act
    const result = parseHttpRequest(httpEvent(body));

    // Assess
    expect(size).toBeGreaterThan(1024 * 1024);
    expect(result).toEqual({ ok: false, statusCode: 413, error: `body is ${size} bytes; the limit is 65536 bytes (64 KiB)` });
  });

  it('rejects a 1 MiB base64 body with 413 counting decoded bytes', () => {
    // Prepare
    const decoded = Buffer.alloc(1024 * 1024, 'x');
    const event = httpEvent(decoded.toString('base64'), (e) => {
      e.isBase64Encoded = true;
    });

    // Act
    const result = parseHttpRequest(event);

    // Assess
    expect(result).toEqual({ ok: false, statusCode: 413, error: 'body is 1048576 bytes; the limit is 65536 bytes (64 KiB)' });
  });

  it('takes a body of exactly maxBytes and refuses one byte more', () => {
    // Prepare
    const size = Buffer.byteLength(firingBody);

    // Act
    const atLimit = parseHttpRequest(httpEvent(firingBody), size);
    const overLimit = parseHttpRequest(httpEvent(firingBody), size - 1);

    // Assess
    expect(atLimit.ok).toBe(true);
    expect(overLimit).toEqual({ ok: false, statusCode: 413, error: `body is ${size} bytes; the limit is ${size - 1} bytes` });
  });

  it('counts bytes, not characters', () => {
    // Prepare: "東証" is 2 characters and 6 bytes in UTF-8.
    const body = JSON.stringify({ ...FIRING_MONITOR_EVENT, summary: '東証 arrowhead unit 1 down' });

    // Act
    const result = parseHttpRequest(httpEvent(body), body.length);

    // Assess
    expect(result).toMatchObject({ ok: false, statusCode: 413 });
  });

  it('uses the 64 KiB contract limit by default', () => {
    expect(MONITOR_EVENT_MAX_BYTES).toBe(65536);
  });

  it.each(['application/json', 'application/json; charset=utf-8', 'application/json;charset=UTF-8', 'Application/JSON; charset="utf-8"'])(
    'accepts content-type %j',
    (contentType) => {
      const result = parseHttpRequest(httpEvent(firingBody, (e) => (e.headers['content-type'] = contentType)));
      expect(result.ok).toBe(true);
    },
  );

  it('finds Content-Type in a hand-built event whose header names are not lower-cased', () => {
    // Prepare
    const event = httpEvent(firingBody, (e) => {
      delete e.headers['content-type'];
      e.headers['Content-Type'] = 'application/json';
    });

    // Act + Assess
    expect(parseHttpRequest(event).ok).toBe(true);
  });

  it.each([
    ['application/x-www-form-urlencoded', 'content-type "application/x-www-form-urlencoded" is not supported; expected application/json'],
    ['application/json-patch+json', 'content-type "application/json-patch+json" is not supported; expected application/json'],
    ['application/json; charset=utf-16', 'content-type "application/json; charset=utf-16" is not supported; JSON must be UTF-8 (charset=utf-8)'],
    ['', 'content-type is missing; expected application/json'],
  ])('rejects content-type %j with 415 saying what arrived', (contentType, expected) => {
    const result = parseHttpRequest(httpEvent(firingBody, (e) => (e.headers['content-type'] = contentType)));
    expect(result).toEqual({ ok: false, statusCode: 415, error: expected });
  });

  it.each(['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'])('rejects method %s with 405', (method) => {
    const result = parseHttpRequest(httpEvent(firingBody, (e) => (e.requestContext.http.method = method)));
    expect(result).toEqual({ ok: false, statusCode: 405, error: `method ${method} is not allowed; use POST` });
  });

  it('rejects a body that is not JSON with 400 "body is not valid JSON: …"', () => {
    const result = parseHttpRequest(httpEvent('{"dedupKey": "a",'));
    expect(result).toEqual({ ok: false, statusCode: 400, error: expect.stringMatching(/^body is not valid JSON: .+/) });
  });

  it('rejects a base64 body that is not UTF-8 with 415, as the README promises', () => {
    const event = httpEvent(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64'), (e) => (e.isBase64Encoded = true));
    expect(parseHttpRequest(event)).toEqual({ ok: false, statusCode: 415, error: 'body is not valid UTF-8; JSON must be UTF-8 (application/json; charset=utf-8)' });
  });

  it('rejects a schema error with 400 naming the field, what arrived and what was expected', () => {
    const result = parseHttpRequest(httpEvent(JSON.stringify({ ...FIRING_MONITOR_EVENT, occurredAt: '1 Oct 2020 07:04 JST' })));
    expect(result).toEqual({
      ok: false,
      statusCode: 400,
      error: 'invalid monitor event: occurredAt: must be an ISO-8601 date-time with seconds and an offset or Z (e.g. "2020-10-01T07:04:13+09:00"), got "1 Oct 2020 07:04 JST"',
    });
  });

  it('rejects a malformed Function URL event with 400 naming the field', () => {
    const result = parseHttpRequest(httpEvent(firingBody, (e) => (e.isBase64Encoded = 'no')));
    expect(result).toEqual({ ok: false, statusCode: 400, error: 'invalid Function URL request: isBase64Encoded: expected a boolean, got "no"' });
  });
});

describe('signalsFromSnsEvent', () => {
  it('returns one result per record, in order', () => {
    // Prepare
    const event = load('sns/cloudwatch-alarm-notification.json');
    event.Records.push(clone(load('sns/cloudwatch-alarm-notification-without-alarm-arn.json').Records[0]));

    // Act
    const results = signalsFromSnsEvent(event).map((r) => asSignal(r).status);

    // Assess
    expect(results).toEqual(['firing', 'resolved']);
  });

  it('rejects the event naming Records[i] when one record is not an alarm notification', () => {
    // Prepare
    const event = load('sns/cloudwatch-alarm-notification.json');
    event.Records.push(clone(load('invalid/sns-message-not-alarm-notification.json').Records[0]));

    // Act + Assess
    expect(() => signalsFromSnsEvent(event)).toThrow('invalid SNS event: Records[1].Sns.Message.AlarmName: missing; expected a string');
  });

  it('rejects an SNS event without records', () => {
    expect(() => signalsFromSnsEvent({ Records: [] })).toThrow('invalid SNS event: Records: must have at least 1 item, got 0');
  });
});

describe('classifyIngestEvent', () => {
  it.each<[string, IngestEventKind]>([
    ['eventbridge/alarm-state-change-alarm.json', 'eventbridge'],
    ['eventbridge/alarm-state-change-composite-alarm.json', 'eventbridge'],
    ['eventbridge/alarm-state-change-insufficient-data.json', 'eventbridge'],
    ['sns/cloudwatch-alarm-notification.json', 'sns'],
    ['function-url/monitor-event-firing.json', 'http'],
    ['function-url/monitor-event-firing-base64.json', 'http'],
    ['invalid/function-url-get-method.json', 'http'],
  ])('tells %s is %s', (file, kind) => {
    expect(classifyIngestEvent(load(file))).toBe(kind);
  });

  it.each<[string, unknown, string]>([
    ['a random object', { foo: 'bar', count: 3 }, 'got an object with keys "foo", "count"'],
    ['an SQS event', load('invalid/unknown-event-sqs.json'), 'got an object with keys "Records"'],
    ['an SNS event with no records', { Records: [] }, 'got an object with keys "Records"'],
    ['an API Gateway REST (v1) request', { version: '1.0', httpMethod: 'POST', requestContext: { httpMethod: 'POST' } }, 'got an object with keys "version", "httpMethod", "requestContext"'],
    ['a bare monitor event', FIRING_MONITOR_EVENT, 'got an object with keys "dedupKey"'],
    ['an array', [], 'got an array of 0'],
    ['a string', 'ALARM', 'got "ALARM"'],
    ['null', null, 'got null'],
  ])('rejects %s with a message that lists the accepted shapes', (_case, event, got) => {
    // Act
    let error: unknown;
    try {
      classifyIngestEvent(event);
    } catch (e) {
      error = e;
    }

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    const message = (error as Error).message;
    expect(message).toMatch(/^invalid ingest event: expected /);
    expect(message).toContain('an EventBridge event with source "aws.cloudwatch" and detail-type "CloudWatch Alarm State Change"');
    expect(message).toContain('an SNS event (Records[].EventSource "aws:sns")');
    expect(message).toContain('a Lambda Function URL request (version "2.0" with requestContext.http)');
    expect(message).toContain(got);
  });
});
