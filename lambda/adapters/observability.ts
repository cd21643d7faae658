import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * Logger and metrics, created once per execution environment. Service name, namespace and log
 * level come from the POWERTOOLS_* variables the CDK function factory sets. `incidentId` is the
 * correlation key: handlers append it to every log line once they know it.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'tocsin' });
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Tocsin',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'tocsin',
});

/** Metric names, shared with the CDK alarms that watch them. */
export const METRIC = {
  alarmsReceived: 'AlarmsReceived',
  alarmsRejected: 'AlarmsRejected',
  alarmsIgnored: 'AlarmsIgnored',
  duplicateAlarms: 'DuplicateAlarms',
  incidentsOpened: 'IncidentsOpened',
  noticesWritten: 'NoticesWritten',
  noticesPublished: 'NoticesPublished',
  noticesAlreadySent: 'NoticesAlreadySent',
  noticeFailures: 'NoticeFailures',
  noticesRedriven: 'NoticesRedriven',
  commandsRun: 'CommandsRun',
  commandsRejected: 'CommandsRejected',
  contention: 'WriteContention',
  heartbeatsRejected: 'HeartbeatsRejected',
  promotions: 'Promotions',
  promotionsRefused: 'PromotionsRefused',
  pagesPublished: 'PagesPublished',
  pageFailures: 'PageFailures',
  escalations: 'Escalations',
  escalationFailures: 'EscalationFailures',
  sitePublished: 'PublicSitePublished',
  monitorRequestsUnauthorized: 'MonitorRequestsUnauthorized',
  monitorRequestsThrottled: 'MonitorRequestsThrottled',
  answersRecorded: 'ReadinessAnswers',
  answersRejected: 'ReadinessAnswersRejected',
} as const;

let pending = false;

export function count(name: (typeof METRIC)[keyof typeof METRIC], value = 1): void {
  metrics.addMetric(name, MetricUnit.Count, value);
  pending = true;
}

/**
 * Emits the metrics gathered during one invocation (EMF on stdout; CloudWatch picks them up).
 * An invocation that counted nothing (most heartbeats) emits nothing, rather than Powertools'
 * "No application metrics to publish" warning.
 */
export function flushMetrics(): void {
  if (!pending) return;
  pending = false;
  metrics.publishStoredMetrics();
}
