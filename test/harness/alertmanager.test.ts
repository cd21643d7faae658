import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDbIncidentStore } from '../../lambda/adapters/dynamodb-store';
import { tokenSha256 } from '../../lambda/adapters/monitor-auth';
import type { Incident } from '../../lambda/core/model';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime';
import { suiteEmulators, uniquePrefix } from '../helpers/aws';

/**
 * A real client, not a fixture: Prometheus Alertmanager (the Debian package
 * `prometheus-alertmanager`, which `.ci/run` installs when missing) with a webhook receiver
 * pointing at serve mode's monitor URL with a bearer token. Alerts posted to Alertmanager's API
 * become one Tocsin incident; resolving them in Alertmanager auto-resolves it; a receiver with a
 * wrong token is refused and records nothing.
 *
 * Between Alertmanager and Tocsin sits a pass-through HTTP proxy that notes when each
 * notification arrived, so the test measures Alertmanager's notification → Tocsin's incident.
 */

const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';
const available = existsSync(ALERTMANAGER);
if (!available) {
  // Loud, so a skipped run is never mistaken for a passing one.
  process.stderr.write(`\n*** SKIPPED test/harness/alertmanager.test.ts: ${ALERTMANAGER} is missing and could not be installed (apt-get install -y prometheus-alertmanager; .ci/run does it) ***\n\n`);
}
const describeWithAlertmanager = available ? describe : describe.skip;

const TOKEN = `tcs_${uniquePrefix('am').replace(/-/g, '')}_7c1e5a`;
const WRONG_TOKEN = 'tcs_not_a_configured_token';

interface Notification {
  readonly path: string;
  readonly arrivedAt: number;
  readonly statusCode: number;
  readonly respondedAt: number;
  readonly body: string;
}

/** A pass-through proxy to `target` that records each request's arrival, answer and timing. */
async function startRecordingProxy(target: string): Promise<{ url: string; notifications: Notification[]; close(): Promise<void>; server: Server }> {
  const notifications: Notification[] = [];
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const arrivedAt = Date.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const forward = httpRequest({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        const body: Buffer[] = [];
        answer.on('data', (c: Buffer) => body.push(c));
        answer.on('end', () => {
          notifications.push({ path: req.url ?? '/', arrivedAt, statusCode: answer.statusCode ?? 0, respondedAt: Date.now(), body: Buffer.concat(body).toString('utf8') });
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.end(Buffer.concat(body));
        });
      });
      forward.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      forward.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    notifications,
    server,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describeWithAlertmanager('a real Prometheus Alertmanager 0.25 notifying the monitor URL', () => {
  let dir: string;
  let runtime: LocalRuntime | undefined;
  let proxy: Awaited<ReturnType<typeof startRecordingProxy>> | undefined;
  let alertmanager: ChildProcess | undefined;
  let alertmanagerUrl: string;
  let store: DynamoDbIncidentStore;
  let stderr = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tocsin-alertmanager-'));
    const configFile = join(dir, 'tocsin.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        markets: [{ id: 'equities', segments: [] }],
        components: [{ id: 'shared-disk', market: 'equities', critical: true, participantFacing: true }],
        monitors: [{ id: 'prometheus', tokenSha256: tokenSha256(TOKEN) }],
        // One incident per component, and no quiet time, so the resolve is seen within the test.
        policy: { groupBy: 'component', autoResolveQuietSeconds: 0 },
      }),
    );
    runtime = await startLocalRuntime({ prefix: uniquePrefix('am'), emulators: suiteEmulators(), configFile, sweepIntervalMs: 250 });
    store = new DynamoDbIncidentStore({ tableName: runtime.resources.tableName });
    proxy = await startRecordingProxy(runtime.endpoints.monitorUrl);

    const port = await freePort();
    alertmanagerUrl = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(dir, 'alertmanager.yml'),
      [
        'route:',
        '  receiver: tocsin',
        "  group_by: ['alertname']",
        '  group_wait: 0s',
        '  group_interval: 1s',
        '  repeat_interval: 1h',
        '  routes:',
        '    - receiver: intruder',
        "      matchers: ['tocsin_test=\"wrong-token\"']",
        'receivers:',
        '  - name: tocsin',
        '    webhook_configs:',
        `      - url: ${proxy.url}/alertmanager`,
        '        send_resolved: true',
        '        max_alerts: 100',
        '        http_config:',
        '          authorization:',
        '            type: Bearer',
        `            credentials: ${TOKEN}`,
        '  - name: intruder',
        '    webhook_configs:',
        `      - url: ${proxy.url}/alertmanager`,
        '        send_resolved: true',
        '        http_config:',
        '          authorization:',
        '            type: Bearer',
        `            credentials: ${WRONG_TOKEN}`,
        '',
      ].join('\n'),
    );
    alertmanager = spawn(
      ALERTMANAGER,
      [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    alertmanager.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await until('Alertmanager to be ready', async () => {
      if (alertmanager!.exitCode !== null) throw new Error(`Alertmanager exited with ${alertmanager!.exitCode}: ${stderr}`);
      const ready = await fetch(`${alertmanagerUrl}/-/ready`).then((r) => r.ok, () => false);
      return ready ? true : undefined;
    });
  }, 60_000);

  afterAll(async () => {
    if (alertmanager && alertmanager.exitCode === null) {
      const exited = new Promise((done) => alertmanager!.once('exit', done));
      alertmanager.kill('SIGTERM');
      const timer = setTimeout(() => alertmanager!.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await proxy?.close();
    await runtime?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  async function postAlerts(alerts: Array<Record<string, unknown>>): Promise<void> {
    const response = await fetch(`${alertmanagerUrl}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) });
    expect(response.status).toBe(200);
  }

  async function openIncidentsOf(component: string): Promise<Incident[]> {
    return (await store.openIncidents()).filter((i) => i.component === component);
  }

  it('opens one incident with the right component, severity and summary, and auto-resolves it when Alertmanager resolves the alerts', async () => {
    // Prepare: unit 1's memory fault, seen by two rules of the same component
    const startsAt = new Date().toISOString();
    const alerts = [
      { labels: { alertname: 'SharedDiskMemoryFault', component: 'shared-disk', market: 'equities', severity: 'critical', instance: 'arrowhead-unit-1' }, annotations: { summary: 'Memory fault on unit 1 of the shared disk' }, startsAt, generatorURL: 'http://prometheus.example.jp/graph' },
      { labels: { alertname: 'SharedDiskMemoryFault', component: 'shared-disk', market: 'equities', severity: 'warning', instance: 'arrowhead-unit-2' }, annotations: { description: 'Correctable ECC errors on unit 2' }, startsAt },
    ];

    // Act: unit 1's alert, then (its own notification) unit 2's
    const postedAt = Date.now();
    await postAlerts([alerts[0]!]);
    const [incident] = await until('the incident', async () => {
      const open = await openIncidentsOf('shared-disk');
      return open.length ? open : undefined;
    });
    const notification = await until('the notification answered', async () => proxy!.notifications.find((n) => n.statusCode === 202));
    await postAlerts(alerts);
    await until('the second alert attached', async () => ((await store.readCounts(incident!.id)).alarms === 2 ? true : undefined));

    // Assess: one incident, as Alertmanager's alerts described it
    expect(await openIncidentsOf('shared-disk')).toHaveLength(1);
    expect(await store.readIncident(incident!.id)).toMatchObject({ component: 'shared-disk', severity: 'critical', market: 'equities', summary: 'Memory fault on unit 1 of the shared disk', status: 'open' });
    const record = await store.incidentRecord(incident!.id);
    expect(record!.timeline.find((e) => e.kind === 'incident-opened')).toMatchObject({ actor: expect.stringMatching(/^alarm:monitor:prometheus:[0-9a-f]{16}$/), data: { monitor: 'prometheus', via: 'alertmanager', severity: 'critical' } });
    expect(record!.timeline.find((e) => e.kind === 'alarm-attached')).toMatchObject({ text: 'Correctable ECC errors on unit 2', data: { monitor: 'prometheus' } });
    expect(record!.notices.map((n) => n.notice.type)).toContain('incident-opened');
    expect(notification.path).toBe('/alertmanager');
    const latency = { postToAlertmanagerToIncidentMs: incident!.openedAt - postedAt, notificationToIncidentMs: incident!.openedAt - notification.arrivedAt, notificationRoundTripMs: notification.respondedAt - notification.arrivedAt };
    process.stderr.write(`alertmanager → tocsin latency: ${JSON.stringify(latency)}\n`);
    expect(latency.notificationToIncidentMs).toBeGreaterThanOrEqual(0);

    // Act: Alertmanager resolves both alerts (an endsAt in the past), and notifies the resolve
    const endsAt = new Date().toISOString();
    await postAlerts(alerts.map((a) => ({ ...a, endsAt })));
    const resolved = await until('the auto-resolve', async () => {
      const now = await store.readIncident(incident!.id);
      return now?.status === 'resolved' ? now : undefined;
    });

    // Assess
    expect(resolved).toMatchObject({ status: 'resolved' });
    const kinds = (await store.incidentRecord(incident!.id))!.timeline.map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['incident-opened', 'alarm-attached', 'alarm-resolved', 'resolve-pending', 'incident-resolved']));
  }, 60_000);

  it("refuses Alertmanager's notifications with a wrong token (401), and records nothing", async () => {
    // Act
    const before = proxy!.notifications.length;
    await postAlerts([{ labels: { alertname: 'IntruderAlert', component: 'intruder', tocsin_test: 'wrong-token', severity: 'critical' }, annotations: { summary: 'should never be recorded' }, startsAt: new Date().toISOString() }]);
    const refused = await until('the refused notification', async () => proxy!.notifications.slice(before).find((n) => n.statusCode !== 202));

    // Assess
    expect(refused.statusCode).toBe(401);
    expect(JSON.parse(refused.body)).toEqual({ error: 'missing or invalid bearer token' });
    expect(await openIncidentsOf('intruder')).toEqual([]);
    expect(await store.readAlarm('monitor:prometheus:intruder')).toBeUndefined();
  }, 60_000);
});
