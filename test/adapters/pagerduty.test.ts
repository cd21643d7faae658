import { PAGERDUTY_SEVERITIES, parsePagerDutyEvent, type PagerDutyContext } from '../../lambda/adapters/inbound/pagerduty';
import { ValidationError } from '../../lambda/core/errors';
import { loadFixture } from '../helpers/fixtures';

/** PagerDuty Events API v2 → what Tocsin does, from PagerDuty's documented trigger, acknowledge and resolve examples. */

const NOW = Date.UTC(2020, 8, 30, 22, 4, 30);
const context: PagerDutyContext = { monitorId: 'grafana', now: NOW, newDedupKey: () => '0123456789abcdef0123456789abcdef' };

function reject(input: unknown): ValidationError {
  try {
    parsePagerDutyEvent(input, context);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('parsePagerDutyEvent', () => {
  it('maps the documented trigger to a firing signal in the monitor namespace, ordered by receipt', () => {
    // Act
    const request = parsePagerDutyEvent(loadFixture('pagerduty/trigger.json'), context);

    // Assess
    expect(request).toEqual({
      action: 'trigger',
      dedupKey: 'samplekeyhere',
      storedKey: 'monitor:grafana:samplekeyhere',
      signal: {
        dedupKey: 'monitor:grafana:samplekeyhere',
        status: 'firing',
        severity: 'critical',
        component: 'postgres',
        summary: 'Example alert on host1.example.com',
        occurredAt: NOW,
        source: 'monitor',
        monitorId: 'grafana',
        details: expect.objectContaining({
          via: 'pagerduty',
          source: 'monitoringtool:cloudvendor:central-region-dc-01:852559987:cluster/api-stats-prod-003',
          timestamp: '2015-07-17T08:42:58.315Z',
          group: 'prod-datapipe',
          class: 'deploy',
          custom_details: { 'ping time': '1500ms', 'load avg': 0.75 },
          client: 'Sample Monitoring Service',
          links: [{ href: 'https://example.com/', text: 'Link text' }],
        }),
      },
    });
  });

  it('generates a dedup key for a trigger without one, as PagerDuty does, and reads the market from custom_details', () => {
    const request = parsePagerDutyEvent(loadFixture('pagerduty/trigger-without-dedup-key.json'), context);

    expect(request).toMatchObject({
      action: 'trigger',
      dedupKey: '0123456789abcdef0123456789abcdef',
      signal: { dedupKey: 'monitor:grafana:0123456789abcdef0123456789abcdef', component: 'og-1-example-jp', market: 'equities', severity: 'minor', details: { custom_details: { market: 'equities', rejects: 412 } } },
    });
  });

  it.each([
    ['pagerduty/acknowledge.json', 'acknowledge'],
    ['pagerduty/resolve.json', 'resolve'],
  ])('reads %s as %s of the stored key', (file, action) => {
    expect(parsePagerDutyEvent(loadFixture(file), context)).toEqual({ action, dedupKey: 'samplekeyhere', storedKey: 'monitor:grafana:samplekeyhere' });
  });

  it.each(Object.entries(PAGERDUTY_SEVERITIES))('maps severity %s to %s', (pd, tocsin) => {
    const event = loadFixture('pagerduty/trigger.json');
    event.payload.severity = pd;
    const request = parsePagerDutyEvent(event, context);
    expect(request.action === 'trigger' && request.signal.severity).toBe(tocsin);
  });

  it('takes the source as the component when there is no component', () => {
    const event = loadFixture('pagerduty/trigger.json');
    delete event.payload.component;
    event.payload.source = 'Arrowhead_Unit-1';
    const request = parsePagerDutyEvent(event, context);
    expect(request.action === 'trigger' && request.signal.component).toBe('arrowhead-unit-1');
  });

  it('keeps integers beyond 2^53 in custom_details as strings of their digits', () => {
    const event = loadFixture('pagerduty/trigger.json');
    event.payload.custom_details = { ns: 1601535853482339012n };
    const request = parsePagerDutyEvent(event, context);
    expect(request.action === 'trigger' && request.signal.details?.custom_details).toEqual({ ns: '1601535853482339012' });
  });

  describe('rejects, naming the field', () => {
    const trigger = () => loadFixture('pagerduty/trigger.json');
    const withPayload = (change: Record<string, unknown>) => ({ ...trigger(), payload: { ...trigger().payload, ...change } });
    it.each([
      ['an unknown event_action', { ...trigger(), event_action: 'escalate' }, /event_action: expected one of "trigger", "acknowledge", "resolve"; got "escalate"/],
      ['a trigger without a payload', { event_action: 'trigger', routing_key: 'k' }, /payload: missing; a trigger event needs a payload/],
      ['an acknowledge without a dedup_key', { event_action: 'acknowledge', routing_key: 'k' }, /dedup_key: missing; an acknowledge event needs the dedup_key of its trigger/],
      ['a resolve without a dedup_key', { event_action: 'resolve' }, /dedup_key: missing; a resolve event needs/],
      ['an unknown severity', withPayload({ severity: 'high' }), /payload\.severity: expected one of "critical", "error", "warning", "info"; got "high"/],
      ['a missing summary', withPayload({ summary: undefined }), /payload\.summary: missing; expected a string/],
      ['a summary over 1024 characters', withPayload({ summary: 's'.repeat(1025) }), /payload\.summary: must be at most 1024 characters, got 1025/],
      ['a missing source', withPayload({ source: undefined }), /payload\.source: missing/],
      ['a timestamp that is no time', withPayload({ timestamp: 'now' }), /payload\.timestamp: must be an ISO-8601 date-time/],
      ['a dedup_key over 255 characters', { ...trigger(), dedup_key: 'k'.repeat(256) }, /dedup_key: must be at most 255 characters, got 256/],
      ['a bidirectional control in dedup_key', { ...trigger(), dedup_key: 'key\u202Eevil' }, /dedup_key: must not contain control characters .* found U\+202E/],
      ['a C1 control in dedup_key', { ...trigger(), dedup_key: 'key\u0085' }, /dedup_key: must not contain control characters .* found U\+0085/],
      ['a market that is not an id', withPayload({ custom_details: { market: 'Equities!' } }), /payload\.custom_details\.market: must be lower-case letters, digits and dashes/],
      ['a number DynamoDB cannot store in custom_details', withPayload({ custom_details: { tiny: 1e-200 } }), /payload\.custom_details\.tiny: number 1e-200 cannot be stored/],
      ['a summary of control characters only', withPayload({ summary: '\u0007\u202E' }), /payload\.summary: has nothing but whitespace and control characters/],
    ])('%s', (_, input, message) => {
      const error = reject(input);
      expect(error.message).toMatch(/^invalid PagerDuty event: /);
      expect(error.message).toMatch(message);
    });
  });
});
