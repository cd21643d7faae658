import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { OpsAlerts } from '../../lib/ops-alerts';
import { logicalId } from './template-helpers';

const metric = new cloudwatch.Metric({ namespace: 'Tocsin', metricName: 'Probe' });
const overZero = {
  metric,
  threshold: 0,
  evaluationPeriods: 1,
  comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
};

describe('OpsAlerts', () => {
  describe('alarmOn', () => {
    // No function here, so no bundling: a fresh stack per test is cheap.
    let stack: Stack;
    let opsAlerts: OpsAlerts;

    beforeEach(() => {
      stack = new Stack(new App(), 'Probe');
      opsAlerts = new OpsAlerts(stack, 'OpsAlerts');
    });

    it('names the alarm after the stack and its construct path, and notifies the ops topic on ALARM and OK', () => {
      // Prepare
      const capability = new Construct(new Construct(stack, 'Outer'), 'Inner');

      // Act
      opsAlerts.alarmOn(capability, 'Errors', overZero);

      // Assess
      const topic = { Ref: logicalId(stack, opsAlerts.topic) };
      Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'Probe-ops-Outer-Inner-Errors',
        AlarmActions: [topic],
        OKActions: [topic],
        TreatMissingData: 'notBreaching',
      });
      expect(opsAlerts.alarmNamePrefix).toBe('Probe-ops-');
    });

    it('lets the caller choose how missing data is treated', () => {
      // Act
      opsAlerts.alarmOn(stack, 'Heartbeat', { ...overZero, treatMissingData: cloudwatch.TreatMissingData.BREACHING });

      // Assess
      Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'Probe-ops-Heartbeat',
        TreatMissingData: 'breaching',
      });
    });

    it('rejects an alarm name of the caller\'s, which the ingest rule could not tell apart', () => {
      // Act
      const named = () => opsAlerts.alarmOn(stack, 'Errors', { ...overZero, alarmName: 'my-alarm' });

      // Assess
      expect(named).toThrow(/names its alarms "Probe-ops-<path>"; got alarmName "my-alarm"/);
    });

    it('rejects a name longer than CloudWatch allows', () => {
      // Act
      const long = () => opsAlerts.alarmOn(stack, 'x'.repeat(250), overZero);

      // Assess
      expect(long).toThrow(/has 260 characters; CloudWatch allows 255/);
    });
  });

  describe('addAlarm', () => {
    it('wires an existing alarm to the ops topic', () => {
      // Prepare
      const stack = new Stack(new App(), 'Probe');
      const opsAlerts = new OpsAlerts(stack, 'OpsAlerts');
      const alarm = new cloudwatch.Alarm(stack, 'Existing', overZero);

      // Act
      opsAlerts.addAlarm(alarm);

      // Assess
      const topic = { Ref: logicalId(stack, opsAlerts.topic) };
      Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: Match.absent(),
        AlarmActions: [topic],
        OKActions: [topic],
      });
    });
  });
});
