import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { scratch, tocsin } from './helpers';
import { stubServer, type StubServer } from './stub-server';

/**
 * The operator commands' requestId (shared/DESIGN.md, "Operator commands (contract additions)"):
 * a fresh one per run, `--request-id` sent as given, and the same one on every retry of a run
 * (503, 429, a dropped connection), so Tocsin applies the command once.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const REPLY = { ok: true, command: 'resume', action: 'resumed', incidentId: 'INC-7', notices: [{ noticeId: 'INC-7-n4', type: 'resume', sequence: 4 }] };

describe('tocsin operator commands: requestId and retries', () => {
  let server: StubServer;
  const files = scratch('cli-operate-requests');
  let serveJson: string;

  beforeAll(async () => {
    server = await stubServer();
    serveJson = files.file('serve.json', JSON.stringify({ operateUrl: server.url, region: 'us-east-1' }));
  });
  afterAll(async () => {
    await server.close();
    files.cleanup();
  });
  beforeEach(() => {
    server.requests.length = 0;
    server.answer(() => ({ body: REPLY }));
  });

  const sentBodies = () => server.requests.map((r) => JSON.parse(r.body) as Record<string, unknown>);

  it('sends a fresh requestId with each run', async () => {
    // Act
    await tocsin(['resume', '--local', serveJson, '--yes']);
    await tocsin(['resume', '--local', serveJson, '--yes']);

    // Assess
    const [first, second] = sentBodies().map((b) => b.requestId);
    expect(first).toMatch(UUID);
    expect(second).toMatch(UUID);
    expect(second).not.toBe(first);
  });

  it('sends --request-id as given', async () => {
    // Act
    const outcome = await tocsin(['annotate', 'INC-7', '--note', 'vendor on site', '--request-id', 'ops-1/2020-10-01/annotate-3', '--local', serveJson]);

    // Assess
    expect(outcome.code).toBe(0);
    expect(sentBodies()).toEqual([{ command: 'annotate', incidentId: 'INC-7', note: 'vendor on site', requestId: 'ops-1/2020-10-01/annotate-3' }]);
  });

  it.each([[503, { error: 'gave up on command resume after 12 attempts lost to concurrent writers; nothing was written' }], [429, { Message: 'Rate Exceeded.' }]])(
    'retries after HTTP %i with the same requestId and body, then prints the reply',
    async (status, body) => {
      // Prepare
      let calls = 0;
      server.answer(() => (++calls === 1 ? { status, body } : { body: REPLY }));

      // Act
      const outcome = await tocsin(['resume', '--market', 'equities', '--local', serveJson, '--json', '--yes']);

      // Assess
      expect(outcome).toEqual({ code: 0, stdout: `${JSON.stringify(REPLY)}\n`, stderr: '' });
      expect(server.requests).toHaveLength(2);
      expect(server.requests[1]!.body).toBe(server.requests[0]!.body);
      expect(sentBodies()[0]).toEqual({ command: 'resume', market: 'equities', requestId: expect.stringMatching(UUID) });
    },
  );

  it('gives up after 3 attempts, with the server’s error', async () => {
    // Prepare
    server.answer(() => ({ status: 503, body: { error: 'too much contention on INC-1' } }));

    // Act
    const outcome = await tocsin(['resume', '--local', serveJson, '--request-id', 'r-1', '--yes']);

    // Assess
    expect(outcome).toMatchObject({ code: 1, stderr: 'error: too much contention on INC-1; try again\n' });
    expect(sentBodies().map((b) => b.requestId)).toEqual(['r-1', 'r-1', 'r-1']);
  });

  it.each([
    [400, { error: 'invalid command: requestId: must be at most 64 characters' }, 2],
    [409, { error: 'requestId "r-1" was already used for a different resume command; send a new requestId for a new command', state: { requestId: 'r-1', command: 'resume' } }, 4],
    [500, { error: 'internal error' }, 1],
  ])('does not retry HTTP %i', async (status, body, code) => {
    // Prepare
    server.answer(() => ({ status, body }));

    // Act
    const outcome = await tocsin(['resume', '--local', serveJson, '--request-id', 'r-1', '--yes']);

    // Assess
    expect(outcome.code).toBe(code);
    expect(outcome.stderr).toContain(body.error);
    expect(server.requests).toHaveLength(1);
  });

  describe('a connection dropped before the answer', () => {
    let dropping: Server;
    const bodies: string[] = [];
    let droppingJson: string;

    beforeAll(async () => {
      // The first request is read, then its connection is closed with no answer; the next are answered.
      dropping = createServer((request, response) => {
        let body = '';
        request.on('data', (chunk: Buffer) => (body += chunk.toString()));
        request.on('end', () => {
          bodies.push(body);
          if (bodies.length === 1) {
            request.socket.destroy();
            return;
          }
          response.setHeader('content-type', 'application/json');
          response.end(JSON.stringify(REPLY));
        });
      });
      await new Promise<void>((done) => dropping.listen(0, '127.0.0.1', done));
      droppingJson = files.file('dropping.json', JSON.stringify({ operateUrl: `http://127.0.0.1:${(dropping.address() as AddressInfo).port}/`, region: 'us-east-1' }));
    });
    afterAll(() => new Promise<void>((done) => dropping.close(() => done())));

    it('is sent again with the same requestId', async () => {
      // Act
      const outcome = await tocsin(['resume', '--local', droppingJson, '--yes']);

      // Assess
      expect(outcome).toMatchObject({ code: 0, stderr: '' });
      expect(bodies).toHaveLength(2);
      expect(bodies[1]).toBe(bodies[0]);
      expect((JSON.parse(bodies[0]!) as { requestId: string }).requestId).toMatch(UUID);
    });
  });
});
