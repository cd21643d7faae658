import { closedPort, scratch, tocsin } from './helpers';
import { cloudFormationStub, stubServer, type StubServer } from './stub-server';

/**
 * The readiness poll's commands against a stand-in Tocsin: `poll-readiness` and
 * `schedule-resume --override` (operators), `poll` (the tallies), and `respond` (participants),
 * unsigned to serve mode and SigV4-signed with the participant's own credentials to a URL.
 */
describe('tocsin readiness commands', () => {
  let server: StubServer;
  const files = scratch('cli-readiness');
  let serveJson: string;

  const tally = { valueShare: 0.45, retailValueShare: 0.2, retailParticipants: 1, met: false, missing: ['broker-c', 'broker-d'], notReady: [] };
  const pollView = {
    pollId: 'poll-1',
    market: 'equities',
    incidentId: 'INC-7',
    status: 'open',
    openedAt: '2020-10-01T03:00:00.000Z',
    openedBy: 'ops-tanaka',
    respondBy: '2020-10-01T03:20:00.000Z',
    tally,
    quorum: { valueShare: 0.5, retailValueShare: 0.3, retailParticipants: 2 },
  };

  beforeAll(async () => {
    server = await stubServer();
    serveJson = files.file('serve.json', JSON.stringify({ operateUrl: server.url, statusUrl: server.url, respondUrl: server.url, region: 'us-east-1' }));
  });
  afterAll(async () => {
    await server.close();
    files.cleanup();
  });
  beforeEach(() => {
    server.requests.length = 0;
    server.answer(() => ({ body: { ok: true, command: 'x', action: 'done', notices: [] } }));
  });

  it.each<[string, string[], Record<string, unknown>]>([
    ['poll-readiness, bare', ['poll-readiness'], { command: 'poll-readiness' }],
    [
      'poll-readiness, everything',
      ['poll-readiness', '--market', 'equities', '--respond-by', '2020-10-01T12:20:00+09:00', '--note', 'afternoon session at 12:30', '--as', 'ops-1'],
      { command: 'poll-readiness', market: 'equities', respondBy: '2020-10-01T12:20:00+09:00', note: 'afternoon session at 12:30', as: 'ops-1' },
    ],
    [
      'schedule-resume with an override',
      ['schedule-resume', '--at', '2020-10-02T09:00:00+09:00', '--override', 'next trading day, normal opening'],
      { command: 'schedule-resume', effectiveAt: '2020-10-02T09:00:00+09:00', override: 'next trading day, normal opening' },
    ],
  ])('%s POSTs exactly the command JSON', async (_, args, expected) => {
    // Act
    const outcome = await tocsin([...args, '--local', serveJson]);

    // Assess
    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    expect(server.requests).toHaveLength(1);
    expect(JSON.parse(server.requests[0]!.body)).toStrictEqual({ ...expected, requestId: expect.any(String) });
  });

  it('summarises the poll it opened and the quorum a resumption rested on', async () => {
    // Prepare
    server.answer(() => ({ body: { ok: true, command: 'poll-readiness', action: 'poll-opened', incidentId: 'INC-7', pollId: 'poll-1', notices: [{ noticeId: 'INC-7-n3', type: 'readiness-poll', sequence: 3 }] } }));
    const opened = await tocsin(['poll-readiness', '--local', serveJson]);
    server.answer(() => ({
      body: { ok: true, command: 'schedule-resume', action: 'resume-scheduled', incidentId: 'INC-7', quorum: { ...tally, met: true, valueShare: 0.55, missing: ['broker-d'], pollId: 'poll-1' }, notices: [] },
    }));

    // Act
    const scheduled = await tocsin(['schedule-resume', '--at', '2020-10-01T12:30:00+09:00', '--local', serveJson]);

    // Assess
    expect(opened.stdout).toBe('poll-readiness: poll-opened; incident INC-7; poll poll-1; notices INC-7-n3 (readiness-poll #3)\n');
    expect(scheduled.stdout).toBe(
      'schedule-resume: resume-scheduled; incident INC-7; quorum met: 55 % of value, 20 % of retail value, 1 retail broker ready; not answered: broker-d; no notices\n',
    );
  });

  it('prints the 409 of a resumption without quorum with its tally', async () => {
    // Prepare
    server.answer(() => ({ status: 409, body: { error: 'cannot schedule the resumption of market equities: the latest readiness poll (poll-1) does not meet the quorum', state: { market: 'equities', tally } } }));

    // Act
    const outcome = await tocsin(['schedule-resume', '--at', '2020-10-01T12:30:00+09:00', '--local', serveJson]);

    // Assess
    expect(outcome.code).toBe(4);
    expect(outcome.stderr).toMatch(/^error: cannot schedule the resumption of market equities: .* \(state: market=equities tally=\{"valueShare":0.45/);
  });

  describe('poll', () => {
    it("lists each market's latest poll with its tally", async () => {
      // Prepare
      server.answer(() => ({ body: { markets: [{ market: 'equities', status: 'halted', poll: pollView }, { market: 'derivatives', status: 'trading' }], incidents: [], groups: [] } }));

      // Act
      const outcome = await tocsin(['poll', '--local', serveJson]);

      // Assess
      expect(server.requests[0]).toMatchObject({ method: 'GET', url: '/' });
      expect(outcome.stdout.split('\n')).toEqual([
        'POLL    MARKET    STATUS  RESPOND BY                                      TALLY',
        'poll-1  equities  open    2020-10-01 03:20:00 Coordinated Universal Time  quorum not met: 45 % of value, 20 % of retail value, 1 retail broker ready; not answered: broker-c, broker-d',
        '',
      ]);
    });

    it('says so when no market has a poll', async () => {
      server.answer(() => ({ body: { markets: [{ market: 'equities', status: 'trading' }] } }));

      const outcome = await tocsin(['poll', '--local', serveJson]);

      expect(outcome.stdout).toBe('no readiness poll: no market is being resumed with one\n');
    });

    it("shows one poll's answers", async () => {
      // Prepare
      server.answer(() => ({
        body: {
          poll: pollView,
          answers: [
            { participantId: 'broker-a', name: 'Broker A', tradingValueShare: 0.35, retail: false, retailValueShare: 0, answer: 'ready', answeredAt: '2020-10-01T03:05:00.000Z' },
            { participantId: 'broker-c', name: 'Broker C', tradingValueShare: 0.1, retail: true, retailValueShare: 0.15, answer: 'none' },
          ],
        },
      }));

      // Act
      const outcome = await tocsin(['poll', 'poll-1', '--local', serveJson]);

      // Assess
      expect(server.requests[0]).toMatchObject({ method: 'GET', url: '/polls/poll-1' });
      expect(outcome.stdout).toContain('broker-a     Broker A  35 %   no      0 %           ready   2020-10-01 03:05:00              -');
      expect(outcome.stdout).toContain('broker-c     Broker C  10 %   yes     15 %          none    -                                -');
    });
  });

  describe('respond', () => {
    const reply = { ok: true, pollId: 'poll-1', participantId: 'broker-b', action: 'answered', tally };

    it.each<[string, string[], Record<string, unknown>]>([
      ['ready', ['--ready'], { pollId: 'poll-1', participantId: 'broker-b', ready: true }],
      ['not ready, with a note', ['--not-ready', '--note', 'gateway checks running'], { pollId: 'poll-1', participantId: 'broker-b', ready: false, note: 'gateway checks running' }],
    ])('POSTs the answer, %s, unsigned to serve mode, and prints the tally', async (_, args, expected) => {
      // Prepare
      server.answer(() => ({ body: reply }));

      // Act
      const outcome = await tocsin(['respond', '--poll', 'poll-1', '--participant', 'broker-b', ...args, '--local', serveJson]);

      // Assess
      expect(outcome).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(server.requests[0]!.body)).toStrictEqual(expected);
      expect(server.requests[0]!.headers.authorization).toBeUndefined();
      expect(outcome.stdout).toMatch(/^respond: answered; poll poll-1; broker-b (not )?ready; quorum not met: 45 % of value/);
    });

    it('signs the answer with the participant’s own credentials when given the URL from the notice', async () => {
      // Prepare
      server.answer(() => ({ body: reply }));
      const credentials = { accessKeyId: 'BROKERB', secretAccessKey: 'SECRET' };

      // Act
      const outcome = await tocsin(['respond', '--url', server.url, '--region', 'ap-northeast-1', '--poll', 'poll-1', '--participant', 'broker-b', '--ready', '--json'], {
        clients: { credentials: () => () => Promise.resolve(credentials) },
      });

      // Assess
      expect(outcome).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(outcome.stdout)).toStrictEqual(reply);
      expect(server.requests[0]!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=BROKERB\/\d{8}\/ap-northeast-1\/lambda\/aws4_request, /);
    });

    it('signs for --stack through the RespondUrl output', async () => {
      // Prepare
      const cloudFormation = await cloudFormationStub(new Map([['Tocsin', { RespondUrl: server.url, NoticeTopicArn: 'arn:aws:sns:us-east-1:123456789012:n' }]]));
      server.answer(() => ({ body: reply }));
      try {
        // Act
        const outcome = await tocsin(['respond', '--stack', 'Tocsin', '--region', 'us-east-1', '--poll', 'poll-1', '--participant', 'broker-b', '--ready'], {
          clients: { ...cloudFormation.clients, credentials: () => () => Promise.resolve({ accessKeyId: 'AKID', secretAccessKey: 'SECRET' }) },
        });

        // Assess
        expect(outcome.code).toBe(0);
        expect(server.requests[0]!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKID\//);
      } finally {
        await cloudFormation.close();
      }
    });

    it.each<[number, Record<string, unknown>, RegExp, number]>([
      [403, { error: 'account 210987654321 may not answer for participant "broker-b": sign with the participant\'s own account' }, /^error: account 210987654321 may not answer for participant "broker-b"/, 5],
      [404, { error: 'unknown poll "poll-9"' }, /^error: unknown poll "poll-9"\n$/, 3],
      [409, { error: 'poll poll-1 is closed: answers were due by 2020-10-01T03:20:00.000Z', state: { pollId: 'poll-1', status: 'closed' } }, /^error: poll poll-1 is closed: .* \(state: pollId=poll-1 status=closed\)/, 4],
    ])("HTTP %i: Tocsin's own error, and the status's exit code", async (status, body, stderr, code) => {
      // Prepare
      server.answer(() => ({ status, body }));

      // Act
      const outcome = await tocsin(['respond', '--url', server.url, '--region', 'ap-northeast-1', '--poll', 'poll-1', '--participant', 'broker-b', '--ready'], {
        clients: { credentials: () => () => Promise.resolve({ accessKeyId: 'A', secretAccessKey: 'S' }) },
      });

      // Assess
      expect(outcome.code).toBe(code);
      expect(outcome.stderr).toMatch(stderr);
    });

    it.each<[string, string[], RegExp]>([
      ['neither --ready nor --not-ready', ['--poll', 'p', '--participant', 'b'], /option --ready: give exactly one of --ready or --not-ready/],
      ['both --ready and --not-ready', ['--poll', 'p', '--participant', 'b', '--ready', '--not-ready'], /give exactly one of --ready or --not-ready/],
      ['no --poll', ['--participant', 'b', '--ready'], /required option '--poll <pollId>'/],
      ['a plain-http URL to another host', ['--poll', 'p', '--participant', 'b', '--ready', '--url', 'http://example.com/'], /option --url: must be an https:\/\/ URL/],
    ])('refuses %s before any request, exit 2 (usage)', async (_, args, message) => {
      // Act
      const outcome = await tocsin(['respond', ...args]);

      // Assess
      expect(outcome.code).toBe(2);
      expect(outcome.stderr).toMatch(message);
      expect(server.requests).toHaveLength(0);
    });

    it('says to start serve mode when nothing listens at the respond URL', async () => {
      // Prepare
      const port = await closedPort();
      const closed = files.file('closed.json', JSON.stringify({ respondUrl: `http://127.0.0.1:${port}/`, region: 'us-east-1' }));

      // Act
      const outcome = await tocsin(['respond', '--poll', 'p', '--participant', 'b', '--ready', '--local', closed]);

      // Assess
      expect(outcome.stderr).toBe(`error: cannot reach Tocsin at http://127.0.0.1:${port}/ (ECONNREFUSED); is \`npm start -- --serve\` running?\n`);
    });
  });
});
