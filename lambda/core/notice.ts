import * as z from 'zod';
import { NOTICE_SCHEMA, NOTICE_TYPES, type Notice, type NoticeType } from './model';
import { SEVERITIES } from './signal';
import { parseWith } from './validation';

/**
 * The participant notice, `tocsin.notice/v1` (contract: shared/DESIGN.md, "Notice"), defined
 * once: the domain builds notices of this type, the receiver kit validates against this schema,
 * and `schema/tocsin.notice.v1.json` (what participants validate against in any language) is
 * generated from it (`npm run schema`; a test fails when the file is out of date).
 */

/**
 * FIX (Financial Information eXchange) fields that say the same thing to a participant's FIX
 * engine: TradSesStatus(340) 1 Halted / 2 Open, SecurityTradingStatus(326) 2 Trading halt /
 * 3 Resume, HaltReason(327) 5 Equipment changeover (system failure).
 */
export interface FixFields {
  readonly TradSesStatus?: 1 | 2;
  readonly SecurityTradingStatus?: 2 | 3;
  readonly HaltReason?: 5;
}

/** The FIX view of a notice type; notices that change no trading status carry an empty block. */
export function fixFor(type: NoticeType): FixFields {
  switch (type) {
    case 'halt':
      return { TradSesStatus: 1, SecurityTradingStatus: 2, HaltReason: 5 };
    case 'resume-scheduled':
      // Still halted: the resumption is announced, not yet in effect.
      return { TradSesStatus: 1, SecurityTradingStatus: 2 };
    case 'resume':
      return { TradSesStatus: 2, SecurityTradingStatus: 3 };
    default:
      return {};
  }
}

const isoInstant = z.iso.datetime({ offset: true });

export const noticeSchema = z
  .strictObject({
    schema: z.literal(NOTICE_SCHEMA),
    noticeId: z.string().min(1).max(200).describe('Stable across re-sends: drop a notice whose id you have seen.'),
    type: z.enum(NOTICE_TYPES),
    incidentId: z.string().min(1).max(100),
    sequence: z.number().int().min(1).describe('1, 2, 3 … per incident, no gaps: order by it, and a jump is a missed notice.'),
    typeSequence: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('1, 2, 3 … per incident and type, no gaps: a subscription that takes only some types detects a missed notice by it. Absent in notices sent before it existed.'),
    market: z.string().min(1).max(64),
    segments: z.array(z.string().min(1).max(64)).describe('Segments concerned; empty means the whole market.'),
    severity: z.enum(SEVERITIES),
    issuedAt: isoInstant,
    effectiveAt: isoInstant.describe('When the notice takes effect (e.g. when trading resumes).'),
    summary: z.string().max(2000),
    text: z
      .strictObject({ en: z.string().max(4000).optional(), ja: z.string().max(4000).optional() })
      .optional()
      .describe("One sentence per configured language, times in the market's time zone with the zone named."),
    detail: z.record(z.string(), z.unknown()),
    fix: z
      .strictObject({
        TradSesStatus: z.union([z.literal(1), z.literal(2)]).optional(),
        SecurityTradingStatus: z.union([z.literal(2), z.literal(3)]).optional(),
        HaltReason: z.literal(5).optional(),
      })
      .optional()
      .describe('FIX tags 340, 326 and 327 with the same meaning as the notice type.'),
  })
  .describe('A Tocsin participant notice (tocsin.notice/v1).');

/** Validates a notice (the receiver kit's check); the error names the field. */
export function parseNotice(input: unknown): Notice {
  return parseWith(noticeSchema, input, 'notice') as Notice;
}

/** The JSON Schema (draft 2020-12) participants validate against, generated from {@link noticeSchema}. */
export function noticeJsonSchema(): Record<string, unknown> {
  return {
    title: 'tocsin.notice/v1',
    ...z.toJSONSchema(noticeSchema, { target: 'draft-2020-12' }),
  };
}
