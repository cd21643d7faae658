/**
 * What every alarm source is reduced to before the domain sees it. CloudWatch alarm events
 * (EventBridge), SNS-wrapped CloudWatch alarm notifications and monitor events posted over
 * HTTPS all become an {@link AlarmSignal}.
 */

export const SEVERITIES = ['critical', 'major', 'minor', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Higher is worse; used to keep an incident at the worst severity it has seen. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { info: 0, minor: 1, major: 2, critical: 3 };

export type SignalStatus = 'firing' | 'resolved';

export interface AlarmSignal {
  /** One open incident per dedup key (per group key, when a grouping policy applies). CloudWatch: the alarm ARN. */
  readonly dedupKey: string;
  readonly status: SignalStatus;
  readonly severity: Severity;
  /** The monitored component, e.g. `shared-disk`; matched against `components[].id` in the configuration. */
  readonly component: string;
  /** The market the alarm concerns, if the source says so; otherwise the component's configured market. */
  readonly market?: string;
  /** One line for humans. */
  readonly summary: string;
  /** When the source says the state changed, epoch milliseconds. Orders deliveries of one key. */
  readonly occurredAt: number;
  readonly source: 'cloudwatch' | 'monitor';
  /**
   * The configured monitor (`monitors[].id`) that sent the alarm through the monitor URL, recorded
   * on the timeline as the alarm's source. Absent for CloudWatch, the IAM ingest URL and Tocsin itself.
   */
  readonly monitorId?: string;
  /**
   * Whether the halt policy may act on this alarm. False for warnings about what could go wrong
   * (no failover capacity), which must not stop trading on their own. @default true
   */
  readonly mayHalt?: boolean;
  /**
   * Tocsin's own bookkeeping (the readiness alarm, a refused promotion, a failed drill): pages
   * operators, never announced to participants by itself, never halts unless `mayHalt` is true.
   * @default false
   */
  readonly bookkeeping?: boolean;
  /** Source-specific facts kept on the timeline (alarm name, reason, region…). */
  readonly details?: Readonly<Record<string, unknown>>;
}
