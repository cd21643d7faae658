import { parseConfig } from '../../lambda/core/config';
import type { PublicSitePublisher } from '../../lambda/core/ports';
import { EMPTY_SITE_INDEX, indexWith, marketSentence, publicIncident, SITE_INCIDENTS, type PublicStatus } from '../../lambda/core/public-status';
import { publishPublicStatus } from '../../lambda/core/use-cases/publish-public-status';
import { feedAtom, indexHtml, renderSite } from '../../lambda/views/public-site';
import { MINUTE, T0 } from '../helpers/domain';
import { firing, IncidentWorld } from '../helpers/domain-fixtures';
import { notice } from '../kit/notices';

/**
 * The participants' view, pure: which incidents the site lists, what it says of each, and the
 * files it renders; then the use case over the in-memory store.
 */

const CONFIG = {
  markets: [{ id: 'equities', segments: ['prime'], timeZone: 'Asia/Tokyo', names: { ja: '株式' } }],
  components: [{ id: 'shared-disk', market: 'equities', critical: true, participantFacing: true }],
  policy: { languages: ['en', 'ja'] as ('en' | 'ja')[], resumeLeadMinutes: 0 },
};

describe('the site index', () => {
  it('moves the incidents of new notices to the top, keeps the newest time, and keeps at most SITE_INCIDENTS', () => {
    // Prepare
    const older = Array.from({ length: SITE_INCIDENTS }, (_, i) => ({ incidentId: `inc-${i}`, updatedAt: new Date(T0 - (i + 1) * MINUTE).toISOString() }));

    // Act
    const next = indexWith({ incidents: older, version: 4 }, [notice(2, { incidentId: 'inc-new', issuedAt: new Date(T0).toISOString() })]);

    // Assess
    expect(next.version).toBe(5);
    expect(next.incidents).toHaveLength(SITE_INCIDENTS);
    expect(next.incidents[0]).toEqual({ incidentId: 'inc-new', updatedAt: new Date(T0).toISOString() });
    expect(next.incidents.map((i) => i.incidentId)).not.toContain(`inc-${SITE_INCIDENTS - 1}`);
    // A re-delivered older notice does not move its incident's time back.
    expect(indexWith(next, [notice(1, { incidentId: 'inc-new', issuedAt: new Date(T0 - MINUTE).toISOString() })]).incidents[0]!.updatedAt).toBe(new Date(T0).toISOString());
  });
});

describe('publicIncident', () => {
  it('says what participants were told: the first notice’s summary, resolved once they were told so, notices newest first', () => {
    // Act
    const incident = publicIncident([notice(7, { summary: 'Resolved.' }), notice(1, { summary: 'Shared disk fault' }), notice(2)]);

    // Assess
    expect(incident).toMatchObject({ summary: 'Shared disk fault', status: 'resolved' });
    expect(incident!.notices.map((n) => n.sequence)).toEqual([7, 2, 1]);
    expect(publicIncident([])).toBeUndefined();
  });
});

describe('marketSentence', () => {
  it.each([
    ['trading', { status: 'trading' as const }, 'equities: trading normally.'],
    ['halted, some segments', { status: 'halted' as const, segments: ['prime'], haltedAt: T0 }, 'equities (segments prime): trading halted since 2020-10-01 07:04 Japan Standard Time.'],
  ])('%s', (_, state, expected) => {
    const config = parseConfig(CONFIG);
    expect(marketSentence({ id: 'equities', segments: [], updatedAt: T0, version: 1, ...state }, config).en).toBe(expected);
  });
});

describe('renderSite', () => {
  const status: PublicStatus = {
    schema: 'tocsin.public-status/v1',
    generatedAt: new Date(T0).toISOString(),
    languages: ['en'],
    markets: [{ market: 'equities', name: {}, timeZone: 'UTC', status: 'trading', segments: [], text: { en: 'equities: trading normally.' } }],
    incidents: [publicIncident([notice(1, { summary: '<script>alert(1)</script> & "quotes"' })])!],
  };

  it('writes the index, the JSON, the feed and one page per incident, each with a short cache', () => {
    const files = renderSite(status);
    expect(files.map((f) => f.path)).toEqual(['index.html', 'status.json', 'feed.atom', `incidents/${status.incidents[0]!.incidentId}.html`]);
    expect(new Set(files.map((f) => f.cacheControl))).toEqual(new Set(['public, max-age=10']));
  });

  it('escapes what it shows, in HTML and in the feed', () => {
    expect(indexHtml(status)).not.toContain('<script>');
    expect(indexHtml(status)).toContain('&#60;script&#62;alert(1)&#60;/script&#62; &#38; &#34;quotes&#34;');
    expect(feedAtom(status)).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;');
  });
});

describe('publishPublicStatus, through the use cases', () => {
  it('lists announced incidents only, with their notices in market time, and republishes the pages of the incidents that changed', async () => {
    // Prepare: an announced shared-disk incident, an internal one nobody announced.
    const w = new IncidentWorld(CONFIG);
    await w.deliver(firing('disk-1', 0, { severity: 'critical' }));
    await w.deliver(firing('surv-1', 0, { severity: 'critical' }));
    await w.command({ command: 'declare-halt', incidentId: 'inc-1', note: 'Shared disk failure.' });
    const published: Array<{ status: PublicStatus; changed: readonly string[] }> = [];
    const site: PublicSitePublisher = { publish: async (status, changed) => void published.push({ status, changed }) };

    // Act
    const status = await publishPublicStatus(w.store, site, w.noticesOf('inc-1'), { config: w.config, now: () => T0 + MINUTE });
    const rebuilt = await publishPublicStatus(w.store, site, [], { config: w.config, now: () => T0 + 2 * MINUTE });

    // Assess
    expect(status.incidents.map((i) => i.incidentId)).toEqual(['inc-1']);
    expect(status.markets[0]).toMatchObject({ status: 'halted', timeZone: 'Asia/Tokyo' });
    expect(status.incidents[0]!.notices[0]!.text.ja).toBe('株式の売買を2020年10月01日 07:04（日本標準時）に停止しました。Shared disk failure.');
    expect(published.map((p) => p.changed)).toEqual([['inc-1'], []]);
    expect(rebuilt.incidents.map((i) => i.incidentId)).toEqual(['inc-1']);
    expect((await w.store.readSiteIndex()).version).toBe(1);
    expect(EMPTY_SITE_INDEX.version).toBe(0);
  });
});
