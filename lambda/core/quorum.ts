import { SHARE_UNITS, type ParticipantConfig, type ResumeQuorum } from './config';

/**
 * The readiness quorum (TSE's rule since April 2021): trading resumes only when the participants
 * that answered "ready" hold at least `valueShare` of the market's trading value, at least
 * `retailValueShare` of its retail trading value, and count at least `retailParticipants` retail
 * brokers among them. A threshold met exactly is met.
 *
 * Shares are added in millionths ({@link SHARE_UNITS}), so 0.2 + 0.3 is exactly the 0.5 a quorum
 * asks for, however the floating-point sum would round.
 *
 * Worked example, quorum 50 % / 30 % / 5 retail brokers:
 *
 *   ready: A 30 % (retail 10 %, retail broker), B 15 %, C 5 % (retail 12 %, retail broker),
 *          D, E, F 0.1 % each (retail 3 % each, retail brokers)
 *   value  30 + 15 + 5 + 0.3 = 50.3 %  ≥ 50 %  met
 *   retail 10 + 12 + 9       = 31 %    ≥ 30 %  met
 *   brokers A, C, D, E, F    = 5       ≥ 5     met   → the resumption may be scheduled
 */

/** What a poll's answers add up to (contract: shared/DESIGN.md, "Resumption"). */
export interface Tally {
  /** Share of trading value held by the participants that answered ready, 0 to 1. */
  readonly valueShare: number;
  /** Share of retail trading value they hold, 0 to 1. */
  readonly retailValueShare: number;
  /** How many of them are retail brokers. */
  readonly retailParticipants: number;
  /** Whether every threshold of `policy.resumeQuorum` is met (true when no quorum is configured: there is no gate). */
  readonly met: boolean;
  /** Configured participants that have not answered, in configuration order. */
  readonly missing: readonly string[];
  /** Configured participants that answered "not ready", in configuration order. */
  readonly notReady: readonly string[];
}

/** The part of an answer the tally reads. */
export interface Answered {
  readonly participantId: string;
  readonly ready: boolean;
}

const units = (share: number) => Math.round(share * SHARE_UNITS);

/**
 * Adds up the answers of the configured participants (an answer from a participant no longer
 * configured counts for nothing) and checks them against `quorum`.
 */
export function tallyOf(answers: readonly Answered[], participants: readonly ParticipantConfig[], quorum: ResumeQuorum | undefined): Tally {
  const byParticipant = new Map(answers.map((a) => [a.participantId, a.ready]));
  let value = 0;
  let retailValue = 0;
  let retailParticipants = 0;
  const missing: string[] = [];
  const notReady: string[] = [];
  for (const p of participants) {
    const ready = byParticipant.get(p.id);
    if (ready === undefined) missing.push(p.id);
    else if (!ready) notReady.push(p.id);
    else {
      value += units(p.tradingValueShare);
      retailValue += units(p.retailValueShare);
      if (p.retail) retailParticipants += 1;
    }
  }
  const met =
    quorum === undefined ||
    (value >= units(quorum.valueShare) && retailValue >= units(quorum.retailValueShare) && retailParticipants >= quorum.retailParticipants);
  return { valueShare: value / SHARE_UNITS, retailValueShare: retailValue / SHARE_UNITS, retailParticipants, met, missing, notReady };
}

/** `42.5 %` */
export function percent(share: number): string {
  return `${+(share * 100).toFixed(2)} %`;
}

/** The thresholds in words: `50 % of trading value, 30 % of retail trading value, 5 retail brokers`. */
export function describeQuorum(quorum: ResumeQuorum): string {
  return `${percent(quorum.valueShare)} of trading value, ${percent(quorum.retailValueShare)} of retail trading value, ${quorum.retailParticipants} retail broker${quorum.retailParticipants === 1 ? '' : 's'}`;
}

/**
 * The tally in words, e.g. `ready: 42.5 % of trading value, 25 % of retail trading value, 3 retail
 * brokers; quorum (50 %, 30 %, 5) not met; 4 not answered, 1 not ready`.
 */
export function describeTally(tally: Tally, quorum: ResumeQuorum | undefined): string {
  const ready = `ready: ${percent(tally.valueShare)} of trading value, ${percent(tally.retailValueShare)} of retail trading value, ${tally.retailParticipants} retail broker${tally.retailParticipants === 1 ? '' : 's'}`;
  const verdict = quorum
    ? `; quorum (${percent(quorum.valueShare)}, ${percent(quorum.retailValueShare)}, ${quorum.retailParticipants}) ${tally.met ? 'met' : 'not met'}`
    : '; no quorum configured';
  const counts = [tally.missing.length ? `${tally.missing.length} not answered` : '', tally.notReady.length ? `${tally.notReady.length} not ready` : ''].filter(Boolean);
  return `${ready}${verdict}${counts.length ? `; ${counts.join(', ')}` : ''}`;
}
