import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { CliError, EXIT_CODES, explainAwsError, TargetError, type ExitCode } from './errors';
import type { AwsCredentials, CommandContext } from './io';
import { describeMarket, isMarketView } from './market-time';
import type { Target } from './target';

/**
 * Tocsin's own HTTP endpoints (`operateUrl`, `statusUrl`): Lambda Function URLs with AWS_IAM auth
 * in AWS, where each request is SigV4-signed (service `lambda`) with credentials from the default
 * chain; plain unsigned requests to local serve mode.
 */

/** A request to one of the target's URL outputs. */
export interface TocsinRequest {
  /** The output naming the base URL, by its serve-mode name: `operateUrl`, `statusUrl`. */
  readonly output: string;
  readonly method: 'GET' | 'POST';
  /** Appended to the base URL: `/`, `/incidents/INC-1`. */
  readonly path?: string;
  /** Sent as JSON. */
  readonly body?: unknown;
  /**
   * The request may be sent again as it is (an operator command carrying a `requestId`, which
   * Tocsin applies at most once): a 503, a 429 or a network failure is retried, up to
   * {@link ATTEMPTS} attempts with backoff, with the same body. A timeout is not (30 s each).
   * @default false: sent once
   */
  readonly retry?: boolean;
}

/** A reply Tocsin gave with a 2xx status. */
export interface TocsinReply<T = unknown> {
  readonly status: number;
  readonly url: string;
  readonly body: T;
}

/** Tocsin answered with an error status; the message is the server's `error` text, the exit code follows the status ({@link exitCodeOfStatus}). */
export class TocsinHttpError extends CliError {
  public constructor(
    public readonly status: number,
    public readonly body: unknown,
    message: string,
  ) {
    super(message, { exitCode: exitCodeOfStatus(status) });
    this.name = 'TocsinHttpError';
  }
}

/** 400 → usage (2), 404 → not found (3), 409 → conflict (4), 401/403 → not authorised (5), anything else 1. */
export function exitCodeOfStatus(status: number): ExitCode {
  switch (status) {
    case 400:
      return EXIT_CODES.usage;
    case 404:
      return EXIT_CODES.notFound;
    case 409:
      return EXIT_CODES.conflict;
    case 401:
    case 403:
      return EXIT_CODES.unreachable;
    default:
      return EXIT_CODES.failure;
  }
}

/** No answer came in time: the request may or may not have been applied. Exit code 5 (unreachable). */
export class TocsinTimeoutError extends CliError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, { ...options, exitCode: EXIT_CODES.unreachable });
    this.name = 'TocsinTimeoutError';
  }
}

/** How long to wait for an answer: a cold Lambda start plus a DynamoDB transaction is well inside it. */
const TIMEOUT_MS = 30_000;

/** `<url-id>.lambda-url.<region>.on.aws` */
const FUNCTION_URL_HOST = /^[a-z0-9]+\.lambda-url\.([a-z0-9-]+)\.on\.aws$/;

/** Attempts of a request that may be retried (`retry`). */
export const ATTEMPTS = 3;
/** Answers after which a retried request is sent again: throttled, or Tocsin busy (contention, a cold start refused). */
const RETRY_STATUSES = new Set([429, 503]);
/** Failures of the network (nothing, or nothing complete, came back), marked as they are thrown. */
const networkFailures = new WeakSet<object>();
/** 200 ms, then 400 ms, each with jitter: writers that collided spread out. */
const backoff = (attempt: number) => new Promise<void>((done) => setTimeout(done, 200 * 2 ** (attempt - 1) * (0.5 + Math.random() / 2)));

/**
 * Sends `request` to the target (signed unless local) and returns the JSON reply; errors are
 * {@link CliError}s. With `retry`, a 503, 429 or network failure is tried again (signed afresh).
 */
export async function callTocsin<T = unknown>(target: Target, request: TocsinRequest, ctx: CommandContext): Promise<TocsinReply<T>> {
  const attempts = request.retry ? ATTEMPTS : 1;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await callOnce<T>(target, request, ctx);
    } catch (error) {
      const retryable = networkFailures.has(error as object) || (error instanceof TocsinHttpError && RETRY_STATUSES.has(error.status));
      if (!retryable || attempt >= attempts) throw error;
      await backoff(attempt);
    }
  }
}

async function callOnce<T>(target: Target, request: TocsinRequest, ctx: CommandContext): Promise<TocsinReply<T>> {
  const url = endpointUrl(target, request);
  const body = request.body === undefined ? undefined : JSON.stringify(request.body);
  let headers: Record<string, string> = { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) };
  if (!target.local) headers = await sign(target, url, request.method, headers, body, ctx);

  let response: Response;
  try {
    response = await fetch(url, { method: request.method, headers, body, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    const name = (error as Error | undefined)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      throw new TocsinTimeoutError(`no answer from Tocsin at ${url.href} within ${TIMEOUT_MS / 1000} s`, { cause: error });
    }
    const explained = explainAwsError(error, { service: 'Tocsin', where: url.href, local: target.local });
    networkFailures.add(explained);
    throw explained;
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (response.ok) {
    if (parsed === undefined || typeof parsed !== 'object' || parsed === null) {
      throw new CliError(`Tocsin at ${url.href} answered HTTP ${response.status} without a JSON object: ${snippet(text)}`);
    }
    return { status: response.status, url: url.href, body: parsed as T };
  }
  throw httpError(response.status, parsed, text, url, target);
}

/** The base URL output joined with the request path. */
function endpointUrl(target: Target, request: TocsinRequest): URL {
  const base = target.output(request.output);
  let url: URL;
  try {
    url = new URL(base);
  } catch (cause) {
    throw new TargetError(`${request.output} of ${target.description} is not a URL: ${JSON.stringify(base)}`, { cause });
  }
  const path = (request.path ?? '/').replace(/^\/+/, '');
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return new URL(path, url);
}

/** The request headers with SigV4 `authorization`, `x-amz-date` (and `x-amz-security-token`) added. */
async function sign(
  target: Target,
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  ctx: CommandContext,
): Promise<Record<string, string>> {
  const region = functionUrlRegion(url.hostname) ?? target.where('sns');
  if (!region) throw new CliError(`cannot tell the AWS region of ${url.href} to sign the request: pass --region`);
  let credentials: AwsCredentials;
  try {
    credentials = await ctx.clients.credentials()();
  } catch (error) {
    throw explainAwsError(error, { service: 'Tocsin', where: url.href, local: false });
  }
  const signer = new SignatureV4({ service: 'lambda', region, credentials, sha256: NodeSha256, uriEscapePath: true });
  const query: Record<string, string> = {};
  url.searchParams.forEach((value, key) => (query[key] = value));
  const signed = await signer.sign({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: url.pathname,
    query,
    headers: { ...headers, host: url.host },
    body,
  });
  // fetch sets `host` itself, to the same value.
  const { host: _host, ...rest } = signed.headers;
  return rest;
}

/** The region in a Function URL host (`<url-id>.lambda-url.<region>.on.aws`), else undefined. */
export function functionUrlRegion(hostname: string): string | undefined {
  return FUNCTION_URL_HOST.exec(hostname)?.[1];
}

/** SHA-256 and HMAC-SHA-256 for the signer, from node:crypto (the SDK's own hash package is not installed on its own). */
class NodeSha256 {
  private readonly hash;
  public constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  public update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBuffer(data));
  }
  public digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  public reset(): void {
    throw new Error('NodeSha256 cannot be reset; make a new one');
  }
}

function toBuffer(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** The error for a non-2xx reply: the server's `error` text, with the state for a 409. */
function httpError(status: number, parsed: unknown, text: string, url: URL, target: Target): CliError {
  const body = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  const error = typeof body.error === 'string' ? body.error : undefined;
  // Function URL auth failures come from Lambda itself: {"Message":"Forbidden"}.
  const awsMessage = typeof body.Message === 'string' ? body.Message : typeof body.message === 'string' ? body.message : undefined;
  if (status === 409) {
    const state = typeof body.state === 'object' && body.state !== null ? describeState(body.state as Record<string, unknown>) : '';
    return new TocsinHttpError(status, parsed, `${error ?? 'conflict'}${state ? ` (state: ${state})` : ''}`);
  }
  // 403 with Tocsin's own `error` (an answer signed by another participant's account), not Lambda's auth refusal.
  if ([400, 403, 404, 503].includes(status) && error) {
    return new TocsinHttpError(status, parsed, status === 503 ? `${error}; try again` : error);
  }
  if ((status === 403 || status === 401) && !target.local) {
    return new TocsinHttpError(
      status,
      parsed,
      `Tocsin at ${url.href} refused the credentials (HTTP ${status}${awsMessage ? ` ${awsMessage}` : ''}): ` +
        'the caller needs lambda:InvokeFunctionUrl and lambda:InvokeFunction on the function, and the request must be signed for its region',
    );
  }
  return new TocsinHttpError(status, parsed, `Tocsin at ${url.href} answered HTTP ${status}: ${error ?? awsMessage ?? snippet(text)}`);
}

/** A 409's `state`: a market's as `market equities halted since …` (market time), any other as `group=shared-disk holder=unit-1`. */
function describeState(state: Record<string, unknown>): string {
  if (isMarketView(state)) return describeMarket(state);
  return Object.entries(state)
    .filter(([, value]) => value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0))
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join(',') : typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
    .join(' ');
}

function snippet(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one ? (one.length > 200 ? `${one.slice(0, 200)}…` : one) : '(empty body)';
}
