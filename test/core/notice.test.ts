import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '../../lambda/core/errors';
import { NOTICE_TYPES, type NoticeType } from '../../lambda/core/model';
import { fixFor, noticeJsonSchema, parseNotice } from '../../lambda/core/notice';
import { PROJECT_ROOT } from '../helpers/processes';

const halt = {
  schema: 'tocsin.notice/v1',
  noticeId: 'inc-20201001-070400-3fa9c1-n2',
  type: 'halt',
  incidentId: 'inc-20201001-070400-3fa9c1',
  sequence: 2,
  market: 'equities',
  segments: [],
  severity: 'critical',
  issuedAt: '2020-09-30T22:05:00.000Z',
  effectiveAt: '2020-09-30T22:05:00.000Z',
  summary: 'Trading halted on market equities.',
  detail: { declaredBy: 'ops' },
  fix: { TradSesStatus: 1, SecurityTradingStatus: 2, HaltReason: 5 },
};

describe('notice schema tocsin.notice/v1', () => {
  it.each<[NoticeType, object]>([
    ['halt', { TradSesStatus: 1, SecurityTradingStatus: 2, HaltReason: 5 }],
    ['resume-scheduled', { TradSesStatus: 1, SecurityTradingStatus: 2 }],
    ['resume', { TradSesStatus: 2, SecurityTradingStatus: 3 }],
    ['incident-opened', {}],
    ['incident-resolved', {}],
    ['failover', {}],
    ['update', {}],
    ['drill', {}],
    // A poll changes no trading status: the market stays halted.
    ['readiness-poll', {}],
  ])('maps %s to FIX %j', (type, fix) => {
    expect(fixFor(type)).toEqual(fix);
  });

  it('covers every notice type in the FIX table', () => {
    expect(NOTICE_TYPES).toHaveLength(9);
  });

  it('accepts a halt notice', () => {
    expect(parseNotice(halt)).toEqual(halt);
  });

  it.each([
    ['another schema version', { ...halt, schema: 'tocsin.notice/v2' }, 'schema'],
    ['an unknown type', { ...halt, type: 'panic' }, 'type'],
    ['sequence 0', { ...halt, sequence: 0 }, 'sequence'],
    ['a time without offset', { ...halt, issuedAt: '2020-09-30T22:05:00' }, 'issuedAt'],
    ['an unknown field', { ...halt, extra: 1 }, 'extra'],
    ['a FIX status that does not exist', { ...halt, fix: { TradSesStatus: 9 } }, 'fix.TradSesStatus'],
  ])('rejects %s, naming the field', (_, input, field) => {
    expect(() => parseNotice(input)).toThrow(ValidationError);
    expect(() => parseNotice(input)).toThrow(field);
  });

  it('is published as schema/tocsin.notice.v1.json, up to date with the definition (npm run schema)', () => {
    const published = JSON.parse(readFileSync(join(PROJECT_ROOT, 'schema', 'tocsin.notice.v1.json'), 'utf8'));
    expect(published).toEqual(noticeJsonSchema());
    expect(published.required).toEqual(expect.arrayContaining(['schema', 'noticeId', 'type', 'incidentId', 'sequence', 'market', 'severity', 'issuedAt', 'effectiveAt']));
  });
});
