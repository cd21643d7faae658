/**
 * Times as a market sees them: the calendar day and wall-clock time in the market's own time zone
 * (`markets[].timeZone`), for the same-day resumption cut-off and for notices people read.
 * `Intl.DateTimeFormat` does the zone arithmetic (daylight saving included); nothing here reads a clock.
 */

/** A wall-clock reading in a time zone. */
export interface LocalTime {
  /** `YYYY-MM-DD`, the market's calendar day. */
  readonly date: string;
  /** `HH:MM`, 24-hour. */
  readonly hhmm: string;
  /** Milliseconds since the market's local midnight. */
  readonly msOfDay: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** The instant `ms` on the clocks of `timeZone`. */
export function localTime(ms: number, timeZone: string): LocalTime {
  const parts: Record<string, string> = {};
  for (const part of formatter(timeZone).formatToParts(ms)) parts[part.type] = part.value;
  const hour = Number(parts.hour) % 24;
  const minute = Number(parts.minute);
  const second = Number(parts.second);
  const millis = ((ms % 1000) + 1000) % 1000;
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    hhmm: `${String(hour).padStart(2, '0')}:${parts.minute}`,
    msOfDay: ((hour * 60 + minute) * 60 + second) * 1000 + millis,
  };
}

/** `2020-10-01 12:30 Asia/Tokyo`: a time for people, in the market's zone, the zone named. */
export function formatLocal(ms: number, timeZone: string): string {
  const local = localTime(ms, timeZone);
  return `${local.date} ${local.hhmm} ${timeZone}`;
}

/** Milliseconds after midnight of an `HH:MM`. */
export function msOfDay(hhmm: string): number {
  const [hours, minutes] = hhmm.split(':').map(Number) as [number, number];
  return (hours * 60 + minutes) * 60_000;
}

/** The calendar day after `YYYY-MM-DD`. */
export function nextDay(date: string): string {
  const next = new Date(`${date}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return next.toISOString().slice(0, 10);
}
