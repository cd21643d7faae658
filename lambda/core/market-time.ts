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

/** A wall-clock reading's fields, zero-padded: `{year: "2020", month: "10", day: "01", hour: "07", minute: "04", second: "12"}`. */
export interface WallClock {
  readonly year: string;
  readonly month: string;
  readonly day: string;
  readonly hour: string;
  readonly minute: string;
  readonly second: string;
}

/** The instant on the clocks of `timeZone`, field by field (the one place Intl reads a zone's clock). */
export function wallClock(instant: string | number, timeZone: string): WallClock {
  const parts: Record<string, string> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(instant))) parts[part.type] = part.value;
  // Some runtimes write midnight as 24 even with h23.
  const hour = String(Number(parts.hour) % 24).padStart(2, '0');
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour, minute: parts.minute!, second: parts.second! };
}

/** The instant `ms` on the clocks of `timeZone`. */
export function localTime(ms: number, timeZone: string): LocalTime {
  const clock = wallClock(ms, timeZone);
  const millis = ((ms % 1000) + 1000) % 1000;
  return {
    date: `${clock.year}-${clock.month}-${clock.day}`,
    hhmm: `${clock.hour}:${clock.minute}`,
    msOfDay: ((Number(clock.hour) * 60 + Number(clock.minute)) * 60 + Number(clock.second)) * 1000 + millis,
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
