import * as z from 'zod';
import { PAGE_SCHEMA, PAGE_TYPES, type Page } from './model';
import { SEVERITIES } from './signal';
import { parseWith } from './validation';

/**
 * The operator page, `tocsin.page/v1` (contract: shared/DESIGN.md, "Two audiences"), defined
 * once: the domain builds pages of this type, and `schema/tocsin.page.v1.json` is generated from
 * it (`npm run schema`; a test fails when the file is out of date).
 */

const isoInstant = z.iso.datetime({ offset: true });

export const pageSchema = z
  .strictObject({
    schema: z.literal(PAGE_SCHEMA),
    pageId: z.string().min(1).max(200).describe('Stable across re-sends: drop a page whose id you have seen.'),
    type: z.enum(PAGE_TYPES),
    incidentId: z.string().min(1).max(100),
    stage: z.string().min(1).max(64).describe('The escalation stage paged (subscribe on the `stage` attribute).'),
    severity: z.enum(SEVERITIES),
    component: z.string().min(1).max(256),
    market: z.string().min(1).max(64).optional(),
    summary: z.string().max(2000),
    announced: z.boolean().describe('Whether participants have been told of the incident.'),
    issuedAt: isoInstant,
    openedAt: isoInstant,
  })
  .describe('A Tocsin operator page (tocsin.page/v1).');

/** Validates a page; the error names the field. */
export function parsePage(input: unknown): Page {
  return parseWith(pageSchema, input, 'page') as Page;
}

/** The JSON Schema (draft 2020-12) of a page, generated from {@link pageSchema}. */
export function pageJsonSchema(): Record<string, unknown> {
  return { title: 'tocsin.page/v1', ...z.toJSONSchema(pageSchema, { target: 'draft-2020-12' }) };
}
