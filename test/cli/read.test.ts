import { functionUrlRegion } from '../../bin/cli/http';
import { closedPort, scratch, tocsin } from './helpers';
import { stubServer, type StubServer } from './stub-server';

/**
 * The read commands against a stand-in status URL answering the status contract:
 * `GET /` (markets, incidents, groups, silences) and `GET /incidents/<id>` (incident, timeline,
 * notices); tables in each market's time, the zone named, padded by display width.
 */
describe('tocsin status, incidents, timeline', () => {
  let server: StubServer;
  const files = scratch('cli-read');
  let serveJson: string;

  // Tokyo equities and derivatives, a New York bond market: each view names its zone.
  const overview = {
    markets: [
      {
        market: 'equities',
        status: 'resume-scheduled',
        segments: [],
        incidentId: 'INC-7',
        haltedAt: '2020-10-01T00:00:05.000Z',
        resumeAt: '2020-10-02T00:00:00.000Z',
        ordersAcceptedFrom: '2020-10-01T23:45:00.000Z',
        timeZone: 'Asia/Tokyo',
      },
      { market: 'derivatives', status: 'trading', segments: [], timeZone: 'Asia/Tokyo' },
      { market: 'bonds', status: 'halted', segments: ['repo', 'jgb'], incidentId: 'INC-8', haltedAt: '2020-10-01T01:00:00.000Z', timeZone: 'America/New_York' },
    ],
    incidents: [
      { incidentId: 'INC-7', status: 'acknowledged', severity: 'critical', market: 'equities', summary: 'shared disk failure', openedAt: '2020-10-01T00:00:00.000Z', timeZone: 'Asia/Tokyo' },
      { incidentId: 'INC-8', status: 'open', severity: 'major', market: 'bonds', summary: 'feed lag', openedAt: '2020-10-01T00:59:00.000Z', timeZone: 'America/New_York' },
      { incidentId: 'INC-6', status: 'resolved', severity: 'minor', market: 'equities', summary: 'old one', openedAt: '2020-09-30T00:00:00.000Z', timeZone: 'Asia/Tokyo' },
    ],
    groups: [
      { group: 'shared-disk', holder: 'unit-2', epoch: 4, timeZone: 'Asia/Tokyo' },
      { group: 'matching', holder: 'm-1', epoch: 1, drillUntil: '2020-10-01T02:00:00.000Z', timeZone: 'Asia/Tokyo' },
    ],
    silences: [
      { silenceId: 'sil-1', matchers: { component: 'batch' }, from: '2020-09-30T13:00:00.000Z', until: '2020-09-30T15:00:00.000Z', inForce: true, note: '夜間バッチの保守', createdBy: '田中', timeZone: 'Asia/Tokyo' },
      { silenceId: 'sil-2', matchers: { market: 'bonds' }, from: '2020-10-01T02:00:00.000Z', until: '2020-10-01T04:00:00.000Z', inForce: false, note: 'weekend maintenance', createdBy: 'ops-suzuki', timeZone: 'America/New_York' },
    ],
    generatedAt: '2020-10-01T01:30:00.000Z',
  };

  const detail = {
    incident: { incidentId: 'INC-7', status: 'acknowledged', severity: 'critical', market: 'equities', summary: 'shared disk failure', openedAt: '2020-10-01T00:00:00.000Z', timeZone: 'Asia/Tokyo' },
    timeline: [
      { sequence: 2, at: '2020-10-01T00:01:00.000Z', kind: 'acknowledged', actor: '田中（運用）', text: '調査中' },
      { sequence: 1, at: '2020-10-01T00:00:00.000Z', kind: 'opened', actor: 'alarm', text: 'shared disk failure' },
    ],
    notices: [{ noticeId: 'INC-7-1', sequence: 1, type: 'incident-opened', status: 'sent', issuedAt: '2020-10-01T00:00:00.100Z', summary: 'shared disk failure' }],
  };

  beforeAll(async () => {
    server = await stubServer();
    serveJson = files.file('serve.json', JSON.stringify({ operateUrl: server.url, statusUrl: `${server.url}status`, region: 'us-east-1' }));
  });
  afterAll(async () => {
    await server.close();
    files.cleanup();
  });
  beforeEach(() => {
    server.requests.length = 0;
    server.answer((request) => {
      if (request.url === '/status/') return { body: overview };
      if (request.url === '/status/incidents/INC-7') return { body: detail };
      const id = decodeURIComponent(request.url.replace('/status/incidents/', ''));
      return { status: 404, body: { error: `incident ${id} not found` } };
    });
  });

  it.each([
    [['status'], '/status/'],
    [['incidents'], '/status/'],
    [['timeline', 'INC-7'], '/status/incidents/INC-7'],
    [['timeline', 'INC 7/x'], '/status/incidents/INC%207%2Fx'],
  ])('%j GETs %s asking for JSON, unsigned', async (args, path) => {
    await tocsin([...args, '--local', serveJson]);

    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({ method: 'GET', url: path, body: '' });
    expect(server.requests[0]!.headers.accept).toBe('application/json');
    expect(server.requests[0]!.headers.authorization).toBeUndefined();
  });

  it("status prints the markets and the groups, each time on its market's clock", async () => {
    const outcome = await tocsin(['status', '--local', serveJson]);

    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    expect(outcome.stdout).toBe(
      [
        'MARKET       STATUS            SEGMENTS  INCIDENT  DETAIL',
        'equities     resume-scheduled  all       INC-7     since 2020-10-01 09:00:05 Japan Standard Time, resumes at 2020-10-02 09:00:00 Japan Standard Time, orders from 2020-10-02 08:45:00 Japan Standard Time',
        'derivatives  trading           all       -         -',
        'bonds        halted            repo,jgb  INC-8     since 2020-09-30 21:00:00 Eastern Daylight Time',
        '',
        'GROUP        HOLDER  EPOCH  DRILL UNTIL (Japan Standard Time)',
        'shared-disk  unit-2  4      -',
        'matching     m-1     1      2020-10-01 11:00:00',
        '',
        'as of 2020-10-01 10:30:00 Japan Standard Time',
        '',
      ].join('\n'),
    );
  });

  it('status --json prints markets, groups and generatedAt', async () => {
    const outcome = await tocsin(['status', '--local', serveJson, '--json']);

    expect(outcome.code).toBe(0);
    expect(JSON.parse(outcome.stdout)).toStrictEqual({ markets: overview.markets, groups: overview.groups, generatedAt: overview.generatedAt });
  });

  it('incidents lists the open ones, each opened time naming its zone when the markets differ', async () => {
    const outcome = await tocsin(['incidents', '--local', serveJson]);

    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    expect(outcome.stdout).toBe(
      [
        'INCIDENT  STATUS        SEVERITY  MARKET    OPENED                                     SUMMARY',
        'INC-7     acknowledged  critical  equities  2020-10-01 09:00:00 Japan Standard Time    shared disk failure',
        'INC-8     open          major     bonds     2020-09-30 20:59:00 Eastern Daylight Time  feed lag',
        '',
      ].join('\n'),
    );
  });

  it('incidents --json prints the open ones as JSON', async () => {
    const open = await tocsin(['incidents', '--local', serveJson, '--json']);
    expect(JSON.parse(open.stdout)).toStrictEqual({ incidents: overview.incidents.slice(0, 2), generatedAt: overview.generatedAt });
  });

  describe('incidents --all: GET /incidents, every incident, newest first, paged', () => {
    const page1 = {
      incidents: [
        { ...overview.incidents[1], status: 'resolved', resolvedAt: '2020-10-01T02:00:00.000Z' },
        overview.incidents[0],
      ],
      next: 'MjAyMC0xMC0wMVQwMDowMDowMC4wMDBaI0lOQy03',
      generatedAt: overview.generatedAt,
    };
    const page2 = { incidents: [overview.incidents[2]], generatedAt: overview.generatedAt };
    beforeEach(() =>
      server.answer((request) => {
        const url = new URL(request.url, server.url);
        if (url.pathname !== '/status/incidents') return { status: 404, body: { error: 'no such resource' } };
        return { body: url.searchParams.get('next') === page1.next ? page2 : page1 };
      }),
    );

    it.each<[string[], string]>([
      [[], '/status/incidents?limit=50'],
      [['--limit', '2'], '/status/incidents?limit=2'],
      [['--limit', '2', '--next', 'MjAy-_x'], '/status/incidents?limit=2&next=MjAy-_x'],
    ])('%j GETs %s', async (args, path) => {
      const outcome = await tocsin(['incidents', '--all', ...args, '--local', serveJson, '--json']);

      expect(outcome.code).toBe(0);
      expect(server.requests.map((r) => r.url)).toEqual([path]);
    });

    it('prints a page with when each was resolved, and the command for the next page', async () => {
      const outcome = await tocsin(['incidents', '--all', '--limit', '2', '--local', serveJson]);

      expect(outcome).toMatchObject({ code: 0, stderr: '' });
      expect(outcome.stdout).toBe(
        [
          'INCIDENT  STATUS        SEVERITY  MARKET    OPENED                                     RESOLVED (Eastern Daylight Time)  SUMMARY',
          'INC-8     resolved      major     bonds     2020-09-30 20:59:00 Eastern Daylight Time  2020-09-30 22:00:00               feed lag',
          'INC-7     acknowledged  critical  equities  2020-10-01 09:00:00 Japan Standard Time    -                                 shared disk failure',
          '',
          // The hint is the command to type again: the same target included.
          `more: tocsin incidents --all --limit 2 --next ${page1.next} --local ${serveJson}`,
          '',
        ].join('\n'),
      );
    });

    it('prints the last page without a hint, and --json as the server sent it', async () => {
      const last = await tocsin(['incidents', '--all', '--next', page1.next, '--local', serveJson]);
      const json = await tocsin(['incidents', '--all', '--local', serveJson, '--json']);

      expect(last.stdout).not.toContain('more:');
      expect(last.stdout).toContain('INC-6');
      expect(JSON.parse(json.stdout)).toStrictEqual(page1);
    });

    it.each<[string[], RegExp]>([
      [['--limit', '0'], /^error: option --limit: expected a whole number from 1 to 200, got "0"\n$/],
      [['--limit', '201'], /option --limit: expected a whole number from 1 to 200/],
      [['--limit', 'all'], /option --limit: expected a whole number/],
    ])('rejects %j before any request: exit 2', async (args, message) => {
      const outcome = await tocsin(['incidents', '--all', ...args, '--local', serveJson]);

      expect(outcome.code).toBe(2);
      expect(outcome.stderr).toMatch(message);
      expect(server.requests).toHaveLength(0);
    });

    it.each([['--limit', '5'], ['--next', 'abc']])('rejects %s without --all: exit 2', async (option, value) => {
      const outcome = await tocsin(['incidents', option, value, '--local', serveJson]);

      expect(outcome).toEqual({ code: 2, stdout: '', stderr: `error: option ${option}: pages only the list of every incident: add --all\n` });
    });

    it('reports a token the server refuses: exit 2', async () => {
      server.answer(() => ({ status: 400, body: { error: 'invalid incident list request: next: expected the "next" token of a previous page, got "abc"' } }));

      const outcome = await tocsin(['incidents', '--all', '--next', 'abc', '--local', serveJson]);

      expect(outcome).toEqual({ code: 2, stdout: '', stderr: 'error: invalid incident list request: next: expected the "next" token of a previous page, got "abc"\n' });
    });
  });

  it('incidents says so when there are none', async () => {
    server.answer(() => ({ body: { markets: [], incidents: [], groups: [], generatedAt: 'x' } }));

    expect(await tocsin(['incidents', '--local', serveJson])).toEqual({ code: 0, stdout: 'no open incidents\n', stderr: '' });
  });

  it("timeline prints the incident, its entries in order and its notices, on its market's clock, Japanese in line", async () => {
    const outcome = await tocsin(['timeline', 'INC-7', '--local', serveJson]);

    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    expect(outcome.stdout).toBe(
      [
        'INC-7 acknowledged critical equities, opened 2020-10-01 09:00:00 Japan Standard Time: shared disk failure',
        '',
        'SEQ  AT (Japan Standard Time)  KIND          ACTOR         TEXT',
        '1    2020-10-01 09:00:00       opened        alarm         shared disk failure',
        // 田中（運用） is six wide characters: twelve columns, as wide as the padding under "alarm".
        '2    2020-10-01 09:01:00       acknowledged  田中（運用）  調査中',
        '',
        'SEQ  NOTICE   TYPE             STATUS  ISSUED (Japan Standard Time)  SUMMARY',
        '1    INC-7-1  incident-opened  sent    2020-10-01 09:00:00           shared disk failure',
        '',
      ].join('\n'),
    );
  });

  it('silences lists them with their windows in their markets\' time, Japanese names in line', async () => {
    const outcome = await tocsin(['silences', '--local', serveJson]);

    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    expect(outcome.stdout).toBe(
      [
        'SILENCE  STATE      MATCHES          FROM                                       UNTIL                                      BY          NOTE',
        'sil-1    in force   component=batch  2020-09-30 22:00:00 Japan Standard Time    2020-10-01 00:00:00 Japan Standard Time    田中        夜間バッチの保守',
        'sil-2    scheduled  market=bonds     2020-09-30 22:00:00 Eastern Daylight Time  2020-10-01 00:00:00 Eastern Daylight Time  ops-suzuki  weekend maintenance',
        '',
      ].join('\n'),
    );
  });

  it('silences --json prints them as the status URL gave them', async () => {
    const outcome = await tocsin(['silences', '--local', serveJson, '--json']);

    expect(JSON.parse(outcome.stdout)).toStrictEqual({ silences: overview.silences, generatedAt: overview.generatedAt });
  });

  it('shows the times of a Tocsin that names no zone in UTC, the zone named', async () => {
    server.answer(() => ({
      body: { markets: [{ market: 'equities', status: 'halted', segments: [], incidentId: 'INC-7', haltedAt: '2020-10-01T00:00:05.000Z' }], incidents: [], groups: [], generatedAt: '2020-10-01T01:30:00.000Z' },
    }));

    const outcome = await tocsin(['status', '--local', serveJson]);

    expect(outcome.stdout).toContain('equities  halted  all       INC-7     since 2020-10-01 00:00:05 Coordinated Universal Time\n');
    expect(outcome.stdout).toContain('as of 2020-10-01 01:30:00 Coordinated Universal Time\n');
  });

  it('timeline --json prints the reply', async () => {
    const outcome = await tocsin(['timeline', 'INC-7', '--local', serveJson, '--json']);

    expect(outcome.code).toBe(0);
    expect(JSON.parse(outcome.stdout)).toStrictEqual(detail);
  });

  it('timeline of an unknown incident: exit 3 (not found) with the 404 text', async () => {
    const outcome = await tocsin(['timeline', 'INC-404', '--local', serveJson]);

    expect(outcome).toEqual({ code: 3, stdout: '', stderr: 'error: incident INC-404 not found\n' });
  });

  it('says to start serve mode when nothing listens at the status URL', async () => {
    const port = await closedPort();
    const closed = files.file('closed.json', JSON.stringify({ statusUrl: `http://127.0.0.1:${port}`, region: 'us-east-1' }));

    const outcome = await tocsin(['status', '--local', closed]);

    expect(outcome).toEqual({
      code: 5,
      stdout: '',
      stderr: `error: cannot reach Tocsin at http://127.0.0.1:${port}/ (ECONNREFUSED); is \`npm start -- --serve\` running?\n`,
    });
  });

  it('says when the serve-mode JSON has no statusUrl', async () => {
    const old = files.file('old.json', JSON.stringify({ operateUrl: server.url }));

    const outcome = await tocsin(['incidents', '--local', old]);

    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/^error: the serve-mode JSON in .*old\.json has no "statusUrl"/);
  });

  it('reports a reply that is not JSON', async () => {
    server.answer(() => ({ body: '<html>status</html>' }));

    const outcome = await tocsin(['status', '--local', serveJson]);

    expect(outcome).toMatchObject({ code: 1, stderr: `error: Tocsin at ${server.url}status/ answered HTTP 200 without a JSON object: <html>status</html>\n` });
  });

  it.each([
    ['abcdefghijklmnop.lambda-url.ap-northeast-1.on.aws', 'ap-northeast-1'],
    ['x1.lambda-url.us-east-1.on.aws', 'us-east-1'],
    ['127.0.0.1', undefined],
    ['operate.example.com', undefined],
  ])('signing region of %s is %s', (host, region) => {
    expect(functionUrlRegion(host)).toBe(region);
  });
});
