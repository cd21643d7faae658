import { signalFromCloudWatchEvent } from '../../lambda/adapters/inbound/eventbridge';
import { signalsFromSnsEvent } from '../../lambda/adapters/inbound/sns';
import { ValidationError } from '../../lambda/core/errors';
import type { AlarmSignal } from '../../lambda/core/signal';
import { loadEvent } from '../helpers/events';

/**
 * Hostile input on the CloudWatch ways in (EventBridge, SNS), as tables. Alarm names and reasons
 * are written by AWS accounts, not callers: control and bidirectional characters become spaces
 * rather than losing the alarm. An SNS message is JSON read by Tocsin's reader, within its limits.
 */

const SPOOFS: Array<[string, string]> = [
  ['a C1 control (U+0085)', 'Memory\u0085fault'],
  ['a C1 control (U+009B, CSI)', 'Memory\u009Bfault'],
  ['a right-to-left override (U+202E)', 'Memory\u202Efault'],
  ['a left-to-right isolate (U+2066)', 'Memory\u2066fault'],
  ['a pop directional isolate (U+2069)', 'Memory\u2069fault'],
  ['a right-to-left mark (U+200F)', 'Memory\u200Ffault'],
  ['a newline and a tab', 'Memory\n\tfault'],
];

describe('EventBridge: control and bidirectional characters in the state reason', () => {
  it.each(SPOOFS)('flattens %s into a space in the summary and the kept reason', (_, reason) => {
    const event = loadEvent<Record<string, any>>('eventbridge/alarm-state-change-alarm.json');
    event.detail.state.reason = reason;

    const signal = signalFromCloudWatchEvent(event) as AlarmSignal;

    expect(signal.summary).toMatch(/: Memory fault$/);
    expect(signal.details?.reason).toBe('Memory fault');
  });
});

describe('SNS: control and bidirectional characters in NewStateReason', () => {
  it.each(SPOOFS)('flattens %s into a space', (_, reason) => {
    const event = loadEvent<Record<string, any>>('sns/cloudwatch-alarm-notification.json');
    const message = JSON.parse(event.Records[0].Sns.Message);
    event.Records[0].Sns.Message = JSON.stringify({ ...message, NewStateReason: reason });

    const [signal] = signalsFromSnsEvent(event) as AlarmSignal[];

    expect(signal!.summary).toMatch(/: Memory fault$/);
    expect(signal!.details?.reason).toBe('Memory fault');
  });
});

describe('SNS: a Message Tocsin cannot store faithfully is refused, naming the field', () => {
  it.each([
    ['a number out of range', '"Trigger":{"Threshold":1e400}', /Records\[0\]\.Sns\.Message: Trigger\.Threshold: number 1e400 is out of range/],
    ['a number too small', '"Trigger":{"Threshold":1e-200}', /Records\[0\]\.Sns\.Message: Trigger\.Threshold: number 1e-200 is too small/],
    ['a __proto__ key', '"Trigger":{"__proto__":{"x":1}}', /Records\[0\]\.Sns\.Message: Trigger\.__proto__: the key "__proto__" is not accepted/],
    ['nesting of 32 levels', `"Trigger":${'{"a":'.repeat(31)}1${'}'.repeat(31)}`, /nests deeper than 16 levels/],
  ])('%s', (_, extra, message) => {
    const event = loadEvent<Record<string, any>>('sns/cloudwatch-alarm-notification.json');
    const original = JSON.parse(event.Records[0].Sns.Message);
    delete original.Trigger;
    event.Records[0].Sns.Message = `${JSON.stringify(original).slice(0, -1)},${extra}}`;

    expect(() => signalsFromSnsEvent(event)).toThrow(ValidationError);
    expect(() => signalsFromSnsEvent(event)).toThrow(message);
  });
});
