import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { closedPort, scratch, tocsin } from './helpers';
import { cloudFormationStub, stubServer, type StubServer } from './stub-server';

/** The requestId the CLI makes for each run (crypto.randomUUID). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * The operator commands against a stand-in operate URL: the exact JSON each one POSTs, what it
 * prints, how it reports Tocsin's refusals, and (for --stack) the SigV4 signature.
 */
describe('tocsin operator commands', () => {
  let server: StubServer;
  const files = scratch('cli-operate');
  let serveJson: string;

  beforeAll(async () => {
    server = await stubServer();
    serveJson = files.file('serve.json', JSON.stringify({ operateUrl: server.url, statusUrl: server.url, region: 'us-east-1' }));
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
    ['ack', ['ack', 'INC-1'], { command: 'ack', incidentId: 'INC-1' }],
    ['ack with note and operator', ['ack', 'INC-1', '--note', 'on it', '--as', 'ops-1'], { command: 'ack', incidentId: 'INC-1', note: 'on it', as: 'ops-1' }],
    ['resolve', ['resolve', 'INC-2', '--note', 'fixed'], { command: 'resolve', incidentId: 'INC-2', note: 'fixed' }],
    ['annotate', ['annotate', 'INC-3', '--note', 'vendor on site'], { command: 'annotate', incidentId: 'INC-3', note: 'vendor on site' }],
    ['declare-halt, bare', ['declare-halt'], { command: 'declare-halt' }],
    [
      'declare-halt, everything',
      ['declare-halt', '--market', 'equities', '--segments', 'prime, growth', '--incident', 'INC-4', '--note', 'disk', '--as', 'ops-2'],
      { command: 'declare-halt', market: 'equities', segments: ['prime', 'growth'], incidentId: 'INC-4', note: 'disk', as: 'ops-2' },
    ],
    [
      'schedule-resume',
      ['schedule-resume', '--at', '2020-10-02T09:00:00+09:00', '--market', 'equities', '--note', 'orders from 08:45'],
      { command: 'schedule-resume', effectiveAt: '2020-10-02T09:00:00+09:00', market: 'equities', note: 'orders from 08:45' },
    ],
    ['resume', ['resume', '--market', 'equities'], { command: 'resume', market: 'equities' }],
    ['resume, bare', ['resume'], { command: 'resume' }],
    ['failover', ['failover', '--group', 'shared-disk', '--to', 'unit-2', '--note', 'manual'], { command: 'failover', group: 'shared-disk', to: 'unit-2', note: 'manual' }],
    ['failover, any standby', ['failover', '--group', 'shared-disk'], { command: 'failover', group: 'shared-disk' }],
    ['drill', ['drill', '--group', 'shared-disk', '--as', 'ops-3'], { command: 'drill', group: 'shared-disk', as: 'ops-3' }],
    [
      'silence with a window',
      ['silence', '--component', 'batch', '--market', 'equities', '--prefix', 'arn:aws:cloudwatch:', '--from', '2020-10-03T22:00:00+09:00', '--until', '2020-10-04T02:00:00+09:00', '--note', 'weekend'],
      { command: 'silence', matchers: { component: 'batch', market: 'equities', dedupKeyPrefix: 'arn:aws:cloudwatch:' }, from: '2020-10-03T22:00:00+09:00', until: '2020-10-04T02:00:00+09:00', note: 'weekend' },
    ],
    [
      'silence for a duration from a start',
      ['silence', '--component', 'batch', '--from', '2020-10-03T22:00:00+09:00', '--for', '1h30m', '--note', 'patching'],
      { command: 'silence', matchers: { component: 'batch' }, from: '2020-10-03T22:00:00+09:00', until: '2020-10-03T14:30:00.000Z', note: 'patching' },
    ],
    ['unsilence', ['unsilence', 'sil-1', '--note', 'done'], { command: 'unsilence', silenceId: 'sil-1', note: 'done' }],
    [
      'announce with its Japanese text',
      ['announce', 'INC-5', '--note', 'Cause found.', '--notes-ja', '原因を特定しました。'],
      { command: 'announce', incidentId: 'INC-5', note: 'Cause found.', notes: { ja: '原因を特定しました。' } },
    ],
    ['declare-halt with its Japanese text', ['declare-halt', '--notes-ja', '売買停止'], { command: 'declare-halt', notes: { ja: '売買停止' } }],
  ])('%s POSTs exactly the command JSON', async (_, args, expected) => {
    // The commands that change trading need --yes off a terminal (as in this test).
    const yes = ['declare-halt', 'resume', 'failover', 'drill'].includes(args[0]!) ? ['--yes'] : [];

    const outcome = await tocsin([...args, ...yes, '--local', serveJson]);

    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request).toMatchObject({ method: 'POST', url: '/' });
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers.accept).toBe('application/json');
    expect(request!.headers.authorization).toBeUndefined();
    expect(JSON.parse(request!.body)).toStrictEqual({ ...expected, requestId: expect.stringMatching(UUID) });
  });

  it.each([
    ['annotate without --note', ['annotate', 'INC-1'], /required option '--note <text>'/],
    ['schedule-resume without --at', ['schedule-resume'], /required option '--at <iso>'/],
    ['failover without --group', ['failover'], /required option '--group <group>'/],
    ['ack without an incident', ['ack'], /missing required argument 'incidentId'/],
    ['silence without --note', ['silence', '--component', 'batch', '--for', '2h'], /required option '--note <text>'/],
    ['silence with neither --until nor --for', ['silence', '--component', 'batch', '--note', 'x'], /option --until: give either --until <iso> or --for <duration>/],
    ['silence with both --until and --for', ['silence', '--component', 'batch', '--for', '2h', '--until', '2020-10-04T02:00:00Z', '--note', 'x'], /give either --until/],
    ['silence for a duration it cannot read', ['silence', '--component', 'batch', '--for', '2 hours', '--note', 'x'], /option --for: expected a duration like 90m, 2h or 1h30m, got "2 hours"/],
    ['unsilence without a silence', ['unsilence'], /missing required argument 'silenceId'/],
  ])('%s is refused before any request, exit 2 (usage)', async (_, args, message) => {
    const outcome = await tocsin([...args, '--local', serveJson]);

    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toMatch(message);
    expect(server.requests).toHaveLength(0);
  });

  const haltReply = {
    ok: true,
    command: 'declare-halt',
    action: 'halted',
    incidentId: 'INC-7',
    market: { market: 'equities', status: 'halted', segments: [], incidentId: 'INC-7', haltedAt: '2020-10-01T00:00:05.000Z', timeZone: 'Asia/Tokyo' },
    notices: [
      { noticeId: 'INC-7-1', type: 'incident-opened', sequence: 1 },
      { noticeId: 'INC-7-2', type: 'halt', sequence: 2 },
    ],
  };

  it("prints a one-line summary of the reply, in the market's time", async () => {
    server.answer(() => ({ body: haltReply }));

    const outcome = await tocsin(['declare-halt', '--local', serveJson, '--market', 'equities', '--yes']);

    expect(outcome).toEqual({
      code: 0,
      stderr: '',
      stdout:
        'declare-halt: halted; incident INC-7; market equities halted since 2020-10-01 09:00:05 Japan Standard Time; ' +
        'notices INC-7-1 (incident-opened #1), INC-7-2 (halt #2)\n',
    });
  });

  it('summarises schedule-resume, failover and drill replies', async () => {
    server.answer(() => ({
      body: {
        ok: true,
        command: 'schedule-resume',
        action: 'resume-scheduled',
        incidentId: 'INC-7',
        market: { market: 'equities', status: 'resume-scheduled', segments: ['prime'], resumeAt: '2020-10-02T00:00:00.000Z', ordersAcceptedFrom: '2020-10-01T23:45:00.000Z', timeZone: 'Asia/Tokyo' },
        notices: [{ noticeId: 'INC-7-3', type: 'resume-scheduled', sequence: 3 }],
      },
    }));
    const scheduled = await tocsin(['schedule-resume', '--local', serveJson, '--at', '2020-10-02T00:00:00Z']);
    expect(scheduled.stdout).toBe(
      'schedule-resume: resume-scheduled; incident INC-7; market equities resume-scheduled (prime), resumes at 2020-10-02 09:00:00 Japan Standard Time, ' +
        'orders from 2020-10-02 08:45:00 Japan Standard Time; notices INC-7-3 (resume-scheduled #3)\n',
    );

    server.answer(() => ({ body: { ok: true, command: 'failover', action: 'promoted', lease: { group: 'shared-disk', holder: 'unit-2', epoch: 4, timeZone: 'Asia/Tokyo' }, notices: [] } }));
    const failover = await tocsin(['failover', '--local', serveJson, '--group', 'shared-disk', '--yes']);
    expect(failover.stdout).toBe('failover: promoted; group shared-disk: holder unit-2, epoch 4; no notices\n');

    server.answer(() => ({
      body: { ok: true, command: 'drill', action: 'drill-started', lease: { group: 'shared-disk', holder: 'unit-2', epoch: 4, drillUntil: '2020-10-01T00:00:19.000Z', timeZone: 'Asia/Tokyo' }, notices: [] },
    }));
    const drill = await tocsin(['drill', '--local', serveJson, '--group', 'shared-disk', '--yes']);
    expect(drill.stdout).toBe('drill: drill-started; group shared-disk: holder unit-2, epoch 4, drill until 2020-10-01 09:00:19 Japan Standard Time; no notices\n');
  });

  it('prints the reply itself with --json', async () => {
    server.answer(() => ({ body: haltReply }));

    const outcome = await tocsin(['declare-halt', '--local', serveJson, '--json', '--yes']);

    expect(outcome.code).toBe(0);
    expect(outcome.stdout.endsWith('\n')).toBe(true);
    expect(outcome.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(outcome.stdout)).toStrictEqual(haltReply);
  });

  it.each<[number, Record<string, unknown>, string, number]>([
    [400, { error: 'invalid command: effectiveAt: must be an ISO-8601 date-time' }, 'error: invalid command: effectiveAt: must be an ISO-8601 date-time\n', 2],
    [404, { error: 'incident INC-404 not found' }, 'error: incident INC-404 not found\n', 3],
    [
      409,
      { error: 'cannot resume: market equities is trading', state: { market: 'equities', status: 'trading', segments: [] } },
      'error: cannot resume: market equities is trading (state: market=equities status=trading)\n',
      4,
    ],
    [
      409,
      {
        error: 'cannot resume yet: market equities is halted',
        state: { market: 'equities', status: 'resume-scheduled', segments: [], incidentId: 'INC-7', haltedAt: '2020-10-01T00:00:05.000Z', resumeAt: '2020-10-02T00:00:00.000Z', timeZone: 'Asia/Tokyo' },
      },
      'error: cannot resume yet: market equities is halted (state: market equities resume-scheduled since 2020-10-01 09:00:05 Japan Standard Time, resumes at 2020-10-02 09:00:00 Japan Standard Time)\n',
      4,
    ],
    [409, { error: 'cannot fail over shared-disk', state: { group: 'shared-disk', holder: 'unit-1', epoch: 3 } }, 'error: cannot fail over shared-disk (state: group=shared-disk holder=unit-1 epoch=3)\n', 4],
    [503, { error: 'too much contention on INC-1' }, 'error: too much contention on INC-1; try again\n', 1],
    [500, { error: 'internal error; see the function log' }, 'error: Tocsin at URL answered HTTP 500: internal error; see the function log\n', 1],
    [401, { Message: 'Unauthorized' }, 'error: Tocsin at URL answered HTTP 401: Unauthorized\n', 5],
  ])('HTTP %i: the server error, and its exit code', async (status, body, stderr, code) => {
    server.answer(() => ({ status, body }));

    const outcome = await tocsin(['resume', '--local', serveJson, '--json', '--yes']);

    expect(outcome).toEqual({ code, stdout: '', stderr: stderr.replace('URL', server.url) });
  });

  it('says to start serve mode when nothing listens at the operate URL', async () => {
    const port = await closedPort();
    const closed = files.file('closed.json', JSON.stringify({ operateUrl: `http://127.0.0.1:${port}/`, region: 'us-east-1' }));

    const outcome = await tocsin(['ack', 'INC-1', '--local', closed]);

    expect(outcome.code).toBe(5);
    expect(outcome.stderr).toBe(`error: cannot reach Tocsin at http://127.0.0.1:${port}/ (ECONNREFUSED); is \`npm start -- --serve\` running?\n`);
  });

  it('says when the serve-mode JSON has no operateUrl', async () => {
    const partial = files.file('partial.json', JSON.stringify({ noticeTopicArn: 'arn:aws:sns:us-east-1:000000000000:n' }));

    const outcome = await tocsin(['resume', '--local', partial, '--yes']);

    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/has no "operateUrl"/);
  });

  it('says --topic-arn is not enough for an operator command', async () => {
    const outcome = await tocsin(['resume', '--topic-arn', 'arn:aws:sns:us-east-1:000000000000:notices', '--yes']);

    expect(outcome).toMatchObject({ code: 1, stderr: 'error: --topic-arn names only the notices topic; this command needs operateUrl: use --stack or --local\n' });
  });

  describe('confirmation of the commands that change trading', () => {
    const overview = (markets: string[], groups: Array<{ group: string; holder: string; epoch: number }> = []) => ({
      markets: markets.map((market) => ({ market, status: 'halted', segments: ['prime'], timeZone: 'UTC' })),
      incidents: [],
      groups: groups.map((g) => ({ ...g, timeZone: 'UTC' })),
      silences: [],
      generatedAt: '2020-10-01T00:00:00.000Z',
    });
    /** A terminal whose operator answers `answer`; the questions asked are kept. */
    const terminal = (answer: string) => {
      const asked: string[] = [];
      return { asked, io: { interactive: true, prompt: (question: string) => (asked.push(question), Promise.resolve(answer)) } };
    };
    const posts = () => server.requests.filter((r) => r.method === 'POST');
    const answerBoth = (status: unknown) => server.answer((r) => ({ body: r.method === 'GET' ? status : haltReply }));

    it.each<[string, string[], object, string]>([
      ['declare-halt, the only configured market named from GET /', ['declare-halt'], overview(['equities']), 'Halt trading on ALL of market equities (segments: all)? [y/N] '],
      ['declare-halt of segments for an incident', ['declare-halt', '--market', 'equities', '--segments', 'prime,growth', '--incident', 'INC-4'], overview(['equities']), 'Halt trading on segments prime, growth of market equities for incident INC-4? [y/N] '],
      ['resume, with the market as it stands', ['resume', '--market', 'equities'], overview(['equities']), 'Resume trading now on market equities (now halted, segments prime)? [y/N] '],
      [
        'failover to a node, the holder named',
        ['failover', '--group', 'shared-disk', '--to', 'unit-2'],
        overview(['equities'], [{ group: 'shared-disk', holder: 'unit-1', epoch: 3 }]),
        'Fail over group shared-disk from unit-1 (epoch 3, which is fenced) to node unit-2 now? [y/N] ',
      ],
      ['failover to any standby', ['failover', '--group', 'shared-disk'], overview(['equities']), 'Fail over group shared-disk to the freshest ready standby now? [y/N] '],
      [
        'drill',
        ['drill', '--group', 'shared-disk'],
        overview(['equities'], [{ group: 'shared-disk', holder: 'unit-1', epoch: 3 }]),
        "Run a failover drill on group shared-disk now: the holder unit-1's heartbeats stop counting and the promoter moves the lease to a ready standby? [y/N] ",
      ],
    ])('%s: asks at a terminal exactly what would happen, and sends it on "y"', async (_, args, status, question) => {
      // Prepare
      answerBoth(status);
      const { asked, io } = terminal('y');

      // Act
      const outcome = await tocsin([...args, '--local', serveJson], io);

      // Assess
      expect(outcome).toMatchObject({ code: 0, stderr: '' });
      expect(asked).toEqual([question]);
      expect(posts()).toHaveLength(1);
    });

    it.each(['n', '', 'no', 'maybe'])('sends nothing when the answer is %j, exit 1', async (answer) => {
      // Prepare
      answerBoth(overview(['equities']));
      const { io } = terminal(answer);

      // Act
      const outcome = await tocsin(['declare-halt', '--market', 'equities', '--local', serveJson], io);

      // Assess
      expect(outcome).toEqual({ code: 1, stdout: '', stderr: 'error: declare-halt not confirmed; nothing was sent\n' });
      expect(posts()).toHaveLength(0);
    });

    it.each([
      ['declare-halt', ['declare-halt', '--market', 'equities'], 'declare-halt would halt trading on ALL of market equities (segments: all)'],
      ['resume', ['resume', '--market', 'equities'], 'resume would resume trading now on market equities (now halted, segments prime)'],
      ['failover', ['failover', '--group', 'shared-disk', '--to', 'unit-2'], 'failover would fail over group shared-disk to node unit-2 now'],
      ['drill', ['drill', '--group', 'shared-disk'], "drill would run a failover drill on group shared-disk now: the holder's heartbeats"],
    ])('rejects %s off a terminal without --yes, saying what would have happened: exit 2, nothing sent', async (_, args, would) => {
      // Prepare
      answerBoth(overview(['equities']));

      // Act
      const outcome = await tocsin([...args, '--local', serveJson]);

      // Assess
      expect(outcome.code).toBe(2);
      expect(outcome.stdout).toBe('');
      expect(outcome.stderr).toContain(`error: ${would}`);
      expect(outcome.stderr).toMatch(/stdin or stdout is not a terminal, so confirm with --yes \(nothing was sent\)\n$/);
      expect(posts()).toHaveLength(0);
    });

    it('rejects declare-halt without --market when several markets are configured, before asking: exit 2', async () => {
      // Prepare
      answerBoth(overview(['equities', 'derivatives']));
      const { asked, io } = terminal('y');

      // Act
      const outcome = await tocsin(['declare-halt', '--local', serveJson], io);

      // Assess
      expect(outcome).toEqual({ code: 2, stdout: '', stderr: 'error: option --market: required when more than one market is configured (equities, derivatives)\n' });
      expect(asked).toEqual([]);
      expect(posts()).toHaveLength(0);
    });

    it('names the market even when the status URL cannot be read, and still asks', async () => {
      // Prepare: the serve-mode JSON has no statusUrl.
      const operateOnly = files.file('operate-only.json', JSON.stringify({ operateUrl: server.url, region: 'us-east-1' }));
      server.answer(() => ({ body: haltReply }));
      const { asked, io } = terminal('y');

      // Act
      const outcome = await tocsin(['declare-halt', '--local', operateOnly], io);

      // Assess
      expect(outcome.code).toBe(0);
      expect(asked).toEqual(["Halt trading on ALL of the only configured market (Tocsin's status could not be read to name it) (segments: all)? [y/N] "]);
    });

    it('does not ask with --yes, at a terminal or not, and reads nothing first', async () => {
      // Prepare
      answerBoth(overview(['equities']));
      const { asked, io } = terminal('n');

      // Act
      const atTerminal = await tocsin(['declare-halt', '--yes', '--local', serveJson], io);
      const scripted = await tocsin(['resume', '--yes', '--local', serveJson]);

      // Assess
      expect([atTerminal.code, scripted.code]).toEqual([0, 0]);
      expect(asked).toEqual([]);
      expect(server.requests.map((r) => r.method)).toEqual(['POST', 'POST']);
    });

    it('keeps stdout to the JSON reply with --json at a terminal (the question is not on stdout)', async () => {
      // Prepare
      answerBoth(overview(['equities']));
      const { asked, io } = terminal('yes');

      // Act
      const outcome = await tocsin(['declare-halt', '--json', '--local', serveJson], io);

      // Assess
      expect(outcome.code).toBe(0);
      expect(asked).toHaveLength(1);
      expect(JSON.parse(outcome.stdout)).toStrictEqual(haltReply);
    });

    it.each([
      ['ack', ['ack', 'INC-1']],
      ['schedule-resume', ['schedule-resume', '--at', '2020-10-02T09:00:00+09:00']],
      ['resolve', ['resolve', 'INC-1']],
      ['silence', ['silence', '--component', 'batch', '--for', '2h', '--note', 'x']],
    ])('never asks for %s, at a terminal or not', async (_, args) => {
      // Prepare
      const { asked, io } = terminal('n');

      // Act
      const atTerminal = await tocsin([...args, '--local', serveJson], io);
      const scripted = await tocsin([...args, '--local', serveJson]);

      // Assess
      expect([atTerminal.code, scripted.code]).toEqual([0, 0]);
      expect(asked).toEqual([]);
    });

    it('rejects --yes on a command that does not ask: exit 2', async () => {
      const outcome = await tocsin(['ack', 'INC-1', '--yes', '--local', serveJson]);

      expect(outcome.code).toBe(2);
      expect(outcome.stderr).toMatch(/unknown option '--yes'/);
    });
  });

  describe('--stack: SigV4-signed for the IAM-auth Function URL', () => {
    let cloudFormation: Awaited<ReturnType<typeof cloudFormationStub>>;
    const credentials = { accessKeyId: 'AKID', secretAccessKey: 'SECRET', sessionToken: 'TOKEN' };

    beforeAll(async () => {
      cloudFormation = await cloudFormationStub(
        new Map<string, Record<string, string>>([
          ['Tocsin', { OperateUrl: server.url, StatusUrl: server.url, TableName: 't' }],
          ['Old', { OperateUrl: server.url }],
        ]),
      );
    });
    afterAll(() => cloudFormation.close());

    const clients = () => ({ ...cloudFormation.clients, credentials: () => () => Promise.resolve(credentials) });

    it('signs the request with service lambda and the caller credentials', async () => {
      server.answer(() => ({ body: haltReply }));

      const outcome = await tocsin(['declare-halt', '--stack', 'Tocsin', '--region', 'us-east-1', '--market', 'equities', '--as', 'ops-1', '--yes'], {
        clients: clients(),
      });

      expect(outcome).toMatchObject({ code: 0, stderr: '' });
      const [request] = server.requests;
      expect(JSON.parse(request!.body)).toStrictEqual({ command: 'declare-halt', market: 'equities', as: 'ops-1', requestId: expect.stringMatching(UUID) });
      const { authorization, 'x-amz-date': amzDate, 'x-amz-security-token': token } = request!.headers as Record<string, string>;
      expect(authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKID\/\d{8}\/us-east-1\/lambda\/aws4_request, SignedHeaders=[a-z0-9;-]*\bhost\b[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
      );
      expect(authorization).toMatch(/SignedHeaders=[^,]*x-amz-date/);
      expect(amzDate).toMatch(/^\d{8}T\d{6}Z$/);
      expect(token).toBe('TOKEN');

      // What arrived is what was signed: recompute the signature over the received request.
      const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)![1]!.split(';');
      const headers = Object.fromEntries(signedHeaders.map((name) => [name, String(request!.headers[name])]));
      const url = new URL(request!.url, server.url);
      const signer = new SignatureV4({ service: 'lambda', region: 'us-east-1', credentials, sha256: TestSha256, uriEscapePath: true });
      const expected = await signer.sign(
        { method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query: {}, headers, body: request!.body },
        { signingDate: new Date(amzDate!.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z')) },
      );
      expect(authorization).toBe(expected.headers.authorization);
    });

    it('signs the status reads too', async () => {
      server.answer(() => ({ body: { markets: [], incidents: [], groups: [], generatedAt: '2020-10-01T00:00:00.000Z' } }));

      const outcome = await tocsin(['status', '--stack', 'Tocsin', '--region', 'us-east-1'], { clients: clients() });

      expect(outcome.code).toBe(0);
      expect(server.requests[0]!.method).toBe('GET');
      expect(server.requests[0]!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKID\/\d{8}\/us-east-1\/lambda\/aws4_request, /);
    });

    it('says when there are no AWS credentials', async () => {
      const missing = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
      const outcome = await tocsin(['resume', '--stack', 'Tocsin', '--region', 'us-east-1', '--yes'], {
        clients: { ...cloudFormation.clients, credentials: () => () => Promise.reject(missing) },
      });

      expect(outcome.code).toBe(5);
      expect(outcome.stderr).toMatch(/^error: no AWS credentials found: set AWS_PROFILE/);
      expect(server.requests).toHaveLength(0);
    });

    it('says when the stack has no such output', async () => {
      const outcome = await tocsin(['status', '--stack', 'Old', '--region', 'us-east-1'], { clients: clients() });

      expect(outcome).toMatchObject({ code: 1, stderr: 'error: stack Old has no StatusUrl output (it has OperateUrl); deployed from an older version? redeploy it (`npx cdk deploy`), or use --local\n' });
    });

    it('explains a 403 from the Function URL', async () => {
      server.answer(() => ({ status: 403, body: { Message: 'Forbidden' } }));

      const outcome = await tocsin(['resume', '--stack', 'Tocsin', '--region', 'us-east-1', '--yes'], { clients: clients() });

      expect(outcome.code).toBe(5);
      expect(outcome.stderr).toMatch(/refused the credentials \(HTTP 403 Forbidden\): the caller needs lambda:InvokeFunctionUrl/);
    });
  });
});

/** SHA-256 for the reference signer, from node:crypto. */
class TestSha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset(): void {}
}

function bytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data;
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}
