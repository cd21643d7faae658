import * as z from 'zod';
import { ConflictError, ContentionError, ForbiddenError, NotFoundError, ValidationError } from '../core/errors';
import { issueMessage, oneLine, toFieldProblems, truncate } from '../core/validation';
import { parseJsonSafely } from './safe-json';

/** Lambda Function URL responses (API Gateway HTTP API payload format 2.0). */
export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** The answer to a request {@link parseJsonRequest} refused; a 405 says which method is allowed (RFC 9110). */
export function rejection(result: { readonly statusCode: number; readonly error: string }): HttpResponse {
  return json(result.statusCode, { error: result.error }, result.statusCode === 405 ? { allow: 'POST' } : {});
}

/**
 * Maps Tocsin's named errors to HTTP: 400 invalid input, 403 a caller speaking for someone else, 404 unknown target, 409 transition not
 * allowed (with the current state), 503 lost races past the retry budget. Anything else is a
 * bug or an AWS failure: 500, with no internals in the body (they are in the log).
 */
export function errorResponse(error: unknown): HttpResponse {
  if (error instanceof ValidationError) return json(400, { error: error.message });
  if (error instanceof ForbiddenError) return json(403, { error: error.message });
  if (error instanceof NotFoundError) return json(404, { error: error.message });
  if (error instanceof ConflictError) return json(409, { error: error.message, state: error.state });
  if (error instanceof ContentionError) return json(503, { error: error.message });
  return json(500, { error: 'internal error; see the function log' });
}

/** A Function URL request (payload format 2.0), the parts Tocsin reads. */
export interface FunctionUrlRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  /** The IAM caller's ARN when the URL uses AWS_IAM auth. */
  readonly callerArn?: string;
  /** The IAM caller's AWS account (`requestContext.authorizer.iam.accountId`) when the URL uses AWS_IAM auth. */
  readonly callerAccountId?: string;
}

/** Reads the request line of a Function URL event, or undefined when it is not one. */
export function functionUrlRequest(event: unknown): FunctionUrlRequest | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const e = event as {
    version?: unknown;
    rawPath?: unknown;
    headers?: Record<string, string>;
    queryStringParameters?: Record<string, string>;
    requestContext?: { http?: { method?: unknown }; authorizer?: { iam?: { userArn?: unknown; accountId?: unknown } } };
  };
  const method = e.requestContext?.http?.method;
  if (e.version !== '2.0' || typeof method !== 'string') return undefined;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(e.headers ?? {})) headers[name.toLowerCase()] = String(value);
  const callerArn = e.requestContext?.authorizer?.iam?.userArn;
  const callerAccountId = e.requestContext?.authorizer?.iam?.accountId;
  return {
    method: method.toUpperCase(),
    path: typeof e.rawPath === 'string' ? e.rawPath : '/',
    headers,
    query: e.queryStringParameters ?? {},
    ...(typeof callerArn === 'string' && callerArn ? { callerArn } : {}),
    ...(typeof callerAccountId === 'string' && callerAccountId ? { callerAccountId } : {}),
  };
}

/** A Lambda Function URL request (API Gateway HTTP API payload format 2.0); header names arrive lower-cased. */
export const functionUrlRequestSchema = z.looseObject({
  version: z.literal('2.0'),
  rawPath: z.string(),
  headers: z.record(z.string(), z.string()).default({}),
  requestContext: z.looseObject({ http: z.looseObject({ method: z.string().min(1) }) }),
  body: z.string().nullish(),
  isBase64Encoded: z.boolean().default(false),
});

export type JsonRequestResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly statusCode: 400 | 405 | 413 | 415; readonly error: string };

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Reads the JSON body of a Function URL POST, or says which 4xx the caller gets: 405 for a
 * method other than POST, 415 for a body that is not `application/json` (UTF-8), 413 for a body
 * over `maxBytes`, 415 for bytes that are not UTF-8, 400 for an empty body, one that is not JSON, or JSON that Tocsin
 * cannot store faithfully (too deep, numbers DynamoDB cannot hold, `__proto__` keys: see
 * `safe-json.ts`). `what` names the body in messages.
 */
export function parseJsonRequest(event: unknown, maxBytes: number, what: string): JsonRequestResult {
  const request = functionUrlRequestSchema.safeParse(event, { error: issueMessage });
  if (!request.success) {
    return { ok: false, statusCode: 400, error: new ValidationError('Function URL request', toFieldProblems(request.error)).message };
  }
  const { headers, requestContext, body, isBase64Encoded } = request.data;

  const method = requestContext.http.method.toUpperCase();
  if (method !== 'POST') return { ok: false, statusCode: 405, error: `method ${oneLine(method).slice(0, 16)} is not allowed; use POST` };

  const contentTypeProblem = checkContentType(header(headers, 'content-type'));
  if (contentTypeProblem !== undefined) return { ok: false, statusCode: 415, error: contentTypeProblem };

  if (body === undefined || body === null || body === '') return { ok: false, statusCode: 400, error: `body is empty; expected a JSON ${what}` };

  let bytes: Uint8Array | undefined;
  if (isBase64Encoded) {
    if (!BASE64.test(body)) return { ok: false, statusCode: 400, error: 'body is marked base64-encoded but is not valid base64' };
    bytes = Buffer.from(body, 'base64');
  }
  const size = bytes?.byteLength ?? Buffer.byteLength(body, 'utf8');
  if (size > maxBytes) {
    const kib = maxBytes % 1024 === 0 ? ` (${maxBytes / 1024} KiB)` : '';
    return { ok: false, statusCode: 413, error: `body is ${size} bytes; the limit is ${maxBytes} bytes${kib}` };
  }

  let textBody = body;
  if (bytes !== undefined) {
    try {
      textBody = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      // RFC 8259: JSON between systems is UTF-8; bytes that are not are an unsupported media type.
      return { ok: false, statusCode: 415, error: 'body is not valid UTF-8; JSON must be UTF-8 (application/json; charset=utf-8)' };
    }
  }

  const parsed = parseJsonSafely(textBody);
  if (parsed.ok) return { ok: true, value: parsed.value };
  if (parsed.kind === 'syntax') return { ok: false, statusCode: 400, error: `body is not valid JSON: ${parsed.problem}` };
  return { ok: false, statusCode: 400, error: new ValidationError(what, [{ field: parsed.field, problem: parsed.problem }]).message };
}

/** Function URLs lower-case header names; a hand-built event may not, so look case-insensitively. */
function header(headers: Record<string, string>, name: string): string | undefined {
  if (headers[name] !== undefined) return headers[name];
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

function checkContentType(value: string | undefined): string | undefined {
  if (value === undefined || value.trim() === '') return 'content-type is missing; expected application/json';
  const [mediaType = '', ...parameters] = value.split(';').map((part) => part.trim());
  const shown = JSON.stringify(truncate(oneLine(value), 100));
  if (mediaType.toLowerCase() !== 'application/json') return `content-type ${shown} is not supported; expected application/json`;
  for (const parameter of parameters) {
    const [name = '', raw = ''] = parameter.split('=', 2).map((part) => part.trim());
    if (name.toLowerCase() !== 'charset') continue;
    const charset = raw.replace(/^"(.*)"$/, '$1').toLowerCase();
    // RFC 8259: JSON exchanged between systems is UTF-8.
    if (charset !== 'utf-8' && charset !== 'utf8') return `content-type ${shown} is not supported; JSON must be UTF-8 (charset=utf-8)`;
  }
  return undefined;
}
