import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PublicStatus } from '../../lambda/core/public-status';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime';
import { suiteEmulators, uniquePrefix } from '../helpers/aws';
import { launchChromium } from '../helpers/chromium';

/**
 * The participants' public status site through serve mode, read as participants read it: the JSON,
 * the Atom feed, and the page in real Chromium at phone and desktop widths (shared/DESIGN.md,
 * "Participants' view"). Screenshots go to reports/ for people to look at.
 */
describe('the public status site, through serve mode and Chromium', () => {
  let runtime: LocalRuntime;
  let folder: string;
  let incidentId: string;
  let internalIncidentId: string;
  const resumeAt = new Date(Date.now() + 60 * 60_000);

  async function post(url: string, body: unknown): Promise<any> {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = await response.json();
    if (!response.ok) throw new Error(`${response.status} ${JSON.stringify(json)}`);
    return json;
  }

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'tocsin-public-'));
    const configFile = join(folder, 'config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        markets: [{ id: 'equities', segments: ['prime', 'standard', 'growth'], timeZone: 'Asia/Tokyo', names: { en: 'TSE equities', ja: '株式' } }],
        components: [{ id: 'shared-disk', market: 'equities', critical: true, participantFacing: true }],
        policy: { languages: ['ja', 'en'] },
      }),
    );
    runtime = await startLocalRuntime({ prefix: uniquePrefix('pub'), configFile, emulators: suiteEmulators() });
    const now = new Date().toISOString();
    // An internal alarm participants must never see (before the halt, which would take it in) …
    ({ incidentId: internalIncidentId } = await post(runtime.endpoints.ingestUrl, { dedupKey: uniquePrefix('billing'), status: 'firing', severity: 'critical', component: 'billing', summary: 'Billing alarm: threshold crossed', occurredAt: now }));
    // … and a market fact, halted and scheduled to resume, with the operator's Japanese text.
    ({ incidentId } = await post(runtime.endpoints.ingestUrl, { dedupKey: uniquePrefix('disk'), status: 'firing', severity: 'critical', component: 'shared-disk', summary: 'Shared disk unit 1: memory fault', occurredAt: now }));
    await post(runtime.endpoints.operateUrl, { command: 'declare-halt', incidentId, note: 'Shared disk failure.', notes: { ja: '共有ディスク装置の障害のため。' }, as: 'tanaka' });
    await post(runtime.endpoints.operateUrl, { command: 'schedule-resume', effectiveAt: resumeAt.toISOString(), as: 'tanaka' });
    await runtime.drainNotices();
  });
  afterAll(async () => {
    await runtime?.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  const INTERNAL = ['tanaka', 'dedupKey', 'alarm:', 'epoch', 'declaredBy', 'Billing alarm', 'billing'];

  it('publishes status.json with the market in its time zone and the announced incident only', async () => {
    // Act
    const response = await fetch(`${runtime.endpoints.publicStatusUrl}status.json`);
    const text = await response.text();
    const status = JSON.parse(text) as PublicStatus;

    // Assess
    expect(response.headers.get('cache-control')).toBe('public, max-age=10');
    expect(status.markets).toEqual([
      expect.objectContaining({ market: 'equities', status: 'resume-scheduled', timeZone: 'Asia/Tokyo', resumeAt: resumeAt.toISOString() }),
    ]);
    expect(status.markets[0]!.text.en).toMatch(/^TSE equities: trading halted; resumes at \d{4}-\d\d-\d\d \d\d:\d\d Japan Standard Time/);
    expect(status.incidents.map((i) => i.incidentId)).toEqual([incidentId]);
    expect(status.incidents[0]!.notices.map((n) => [n.type, n.sequence])).toEqual([
      ['resume-scheduled', 3],
      ['halt', 2],
      ['incident-opened', 1],
    ]);
    expect(status.incidents[0]!.notices[1]!.text.ja).toContain('共有ディスク装置の障害のため。');
    for (const word of INTERNAL) expect(text).not.toContain(word);
    expect(text).not.toContain(internalIncidentId);
  });

  it('publishes an Atom feed of the notices, newest first', async () => {
    // Act
    const response = await fetch(`${runtime.endpoints.publicStatusUrl}feed.atom`);
    const feed = await response.text();

    // Assess
    expect(response.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
    const ids = [...feed.matchAll(/<id>urn:tocsin:notice:([^<]+)<\/id>/g)].map((m) => m[1]);
    expect(ids).toEqual([`${incidentId}-n3`, `${incidentId}-n2`, `${incidentId}-n1`]);
    expect(feed).toContain('日本標準時');
    for (const word of INTERNAL) expect(feed).not.toContain(word);
  });

  it.each([
    ['a phone', 390, 844],
    ['a desktop', 1280, 1000],
  ])('reads well on %s (%i px): no horizontal overflow, the resumption time with its zone, both languages, nothing internal', async (_, width, height) => {
    // Prepare
    const chromium = await launchChromium();
    try {
      const page = await chromium.newPage({ width, height });

      // Act
      const response = await page.goto(runtime.endpoints.publicStatusUrl);
      const layout = (await page.evaluate('({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth })')) as {
        scrollWidth: number;
        clientWidth: number;
      };
      const resume = await page.locator('.resume').innerText();
      const body = await page.locator('body').innerText();
      const refresh = await page.locator('meta[http-equiv="refresh"]').getAttribute('content');
      mkdirSync('reports', { recursive: true });
      await page.screenshot({ path: join('reports', `public-status-${width}.png`), fullPage: true });
      const incidentPage = await page.goto(`${runtime.endpoints.publicStatusUrl}incidents/${incidentId}.html`);
      const incidentText = await page.locator('body').innerText();

      // Assess
      expect(response?.status()).toBe(200);
      expect(layout.scrollWidth).toBeLessThanOrEqual(layout.clientWidth);
      expect(resume).toMatch(/売買再開: \d{4}年\d\d月\d\d日 \d\d:\d\d（日本標準時）/);
      expect(resume).toMatch(/Trading resumes at: \d{4}-\d\d-\d\d \d\d:\d\d Japan Standard Time/);
      expect(resume).toMatch(/Orders accepted from: /);
      expect(body).toContain('株式の売買を');
      expect(body).toContain('Trading halted on TSE equities');
      expect(refresh).toBe('30');
      for (const word of INTERNAL) expect(body).not.toContain(word);
      expect(incidentPage?.status()).toBe(200);
      expect(incidentText).toContain('Shared disk unit 1: memory fault');
    } finally {
      await chromium.close();
    }
  });

  it('answers 404 for a page that does not exist', async () => {
    expect((await fetch(`${runtime.endpoints.publicStatusUrl}incidents/nope.html`)).status).toBe(404);
  });
});
