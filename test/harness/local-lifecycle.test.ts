import { execFile, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:net';
import { promisify } from 'node:util';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetTopicAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import { exitOf, firstLine, isListening, javaProcessesOnPort, PROJECT_ROOT, startLocal as spawnLocal } from '../helpers/processes';

/**
 * `npm start` at the foundation stage: emulators up, resources created, the endpoint line of
 * the local serve contract on stdout, and a clean shutdown with no java process left behind.
 */
describe('npm start (local runtime lifecycle)', () => {
  // Every `npm start` a test spawns is stopped after it, even when an expectation failed before the
  // test's own kill: a runtime left running (with its DynamoDB Local) keeps jest from ever exiting.
  const running = new Set<ChildProcessWithoutNullStreams>();
  function startLocal(args?: string[]): ChildProcessWithoutNullStreams {
    const child = spawnLocal(args);
    running.add(child);
    child.once('exit', () => running.delete(child));
    return child;
  }
  afterEach(async () => {
    await Promise.all(
      [...running].map(
        (child) =>
          new Promise<void>((done) => {
            const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
            child.once('exit', () => {
              clearTimeout(kill);
              done();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('prints the endpoint line, serves, and on %s stops with no java process left', async (signal) => {
    // Prepare
    const child = startLocal();
    const exited = exitOf(child);

    // Act
    const line = await firstLine(child);
    const endpoints = JSON.parse(line);
    const dynamodbPort = Number(new URL(endpoints.dynamodbEndpoint).port);

    // Assess: the line, then the resources it names really exist on the endpoints it names.
    expect(Object.keys(endpoints).sort()).toEqual([
      'alarmEventsUrl',
      'dynamodbEndpoint',
      'heartbeatUrl',
      'ingestUrl',
      'monitorUrl',
      'noticeTopicArn',
      'operateUrl',
      'pageTopicArn',
      'publicStatusUrl',
      'region',
      'respondUrl',
      'snsEndpoint',
      'sqsEndpoint',
      'statusUrl',
      'tableName',
    ]);
    expect(endpoints.dynamodbEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
    const dynamodb = new DynamoDBClient({ endpoint: endpoints.dynamodbEndpoint, region: endpoints.region, credentials });
    const sns = new SNSClient({ endpoint: endpoints.snsEndpoint, region: endpoints.region, credentials });
    try {
      const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: endpoints.tableName }));
      expect(Table?.TableStatus).toBe('ACTIVE');
      for (const topicArn of [endpoints.noticeTopicArn, endpoints.pageTopicArn]) {
        const topic = await sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }));
        expect(topic.Attributes?.TopicArn).toBe(topicArn);
      }
      expect(endpoints.pageTopicArn).not.toBe(endpoints.noticeTopicArn);
    } finally {
      dynamodb.destroy();
      sns.destroy();
    }
    expect(javaProcessesOnPort(dynamodbPort)).toHaveLength(1);
    // Every Function URL answers, on 127.0.0.1.
    for (const key of ['ingestUrl', 'monitorUrl', 'operateUrl', 'heartbeatUrl', 'statusUrl', 'respondUrl']) expect(endpoints[key]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const post = (url: string, body: object) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post(endpoints.ingestUrl, { dedupKey: 'k' })).status).toBe(400);
    expect((await post(endpoints.operateUrl, { command: 'resume' })).status).toBe(409);
    expect((await post(endpoints.heartbeatUrl, { group: 'none', nodeId: 'n', ready: true })).status).toBe(404);
    expect((await fetch(endpoints.statusUrl, { headers: { accept: 'application/json' } })).status).toBe(200);
    // The public status site has its first page before any notice.
    expect((await fetch(endpoints.publicStatusUrl)).status).toBe(200);
    expect((await post(endpoints.respondUrl, { pollId: 'poll-none', participantId: 'nobody', ready: true })).status).toBe(404);

    child.kill(signal);
    const { code } = await exited;
    expect(code).toBe(0);
    expect(javaProcessesOnPort(dynamodbPort)).toEqual([]);
    expect(await isListening(dynamodbPort)).toBe(false);
  });

  it('fails before starting anything when the configuration names a bad field', async () => {
    // Prepare
    const child = startLocal(['--config', 'test/fixtures/bad-config.json']);

    // Act
    const { code, stderr } = await exitOf(child);

    // Assess
    expect(code).toBe(1);
    expect(stderr).toContain('invalid configuration: groups[0].leaseDurationSeconds: must be more than 3 × heartbeatSeconds (6), got 4');
  });

  it('kills DynamoDB Local when the SNS emulator cannot start half-way through setup', async () => {
    // Prepare: occupy the port the SNS emulator is told to use; DynamoDB Local gets one that was free
    // a moment ago (not snsPort + 1, which a busy suite's client sockets may hold).
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '0.0.0.0', r));
    const snsPort = (blocker.address() as { port: number }).port;
    const probe: Server = createServer();
    await new Promise<void>((r) => probe.listen(0, '0.0.0.0', r));
    const dynamodbPort = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const script = `
      import { startEmulators } from './local/emulators.mjs';
      try { await startEmulators({ dynamodbPort: ${dynamodbPort}, snsPort: ${snsPort} }); console.log('started'); }
      catch (error) { console.log('failed: ' + error.message); }`;

    try {
      // Act
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: PROJECT_ROOT });

      // Assess
      expect(stdout).toMatch(/^failed: could not start the SNS\/SQS emulator/);
      expect(javaProcessesOnPort(dynamodbPort)).toEqual([]);
    } finally {
      blocker.close();
    }
  });

  // Test folders go with the test, passed or failed.
  const folders: string[] = [];
  afterAll(() => {
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });

  it('keeps state across restarts with --data DIR', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'tocsin-data-'));
    folders.push(dir);
    const first = startLocal(['--data', dir]);
    const firstExit = exitOf(first);
    const endpoints = JSON.parse(await firstLine(first));
    const opened = await fetch(endpoints.ingestUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dedupKey: 'persist/1', status: 'firing', severity: 'major', component: 'shared-disk', summary: 'kept', occurredAt: '2020-10-01T07:04:00+09:00' }),
    }).then((r) => r.json() as Promise<{ incidentId: string }>);
    first.kill('SIGTERM');
    expect((await firstExit).code).toBe(0);

    // Act
    const second = startLocal(['--data', dir]);
    const secondExit = exitOf(second);
    const again = JSON.parse(await firstLine(second));
    const status = await fetch(again.statusUrl, { headers: { accept: 'application/json' } }).then((r) => r.json() as Promise<{ incidents: { incidentId: string }[] }>);
    second.kill('SIGTERM');

    // Assess
    expect(status.incidents.map((i) => i.incidentId)).toContain(opened.incidentId);
    expect((await secondExit).code).toBe(0);
    // Two cold starts of npm start (emulators, resources, the first public site) on a loaded CI machine.
  }, 180_000);
});
