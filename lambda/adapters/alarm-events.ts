/**
 * The inbound side of the `ingest` Lambda, one module per source under `inbound/` (each a zod
 * schema and a mapping to the signal): EventBridge "CloudWatch Alarm State Change" events, SNS
 * records carrying CloudWatch alarm notifications, and Function URL requests carrying a monitor
 * event; the monitor URL's formats (`alertmanager.ts`, `pagerduty.ts`) sit beside them. This
 * module re-exports the ingest function's, so callers may keep one import.
 */
export * from './inbound/cloudwatch-alarm';
export * from './inbound/eventbridge';
export * from './inbound/function-url';
export * from './inbound/ingest-event';
export * from './inbound/monitor-event';
export * from './inbound/sns';
