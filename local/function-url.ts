import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TextDecoder } from 'node:util';

/**
 * A local stand-in for a Lambda Function URL: an HTTP server on 127.0.0.1 that turns each
 * request into the payload format 2.0 event a Function URL sends, invokes the handler in
 * process, and turns its result back into an HTTP response the way Lambda does (a result
 * without `statusCode` becomes a 200 with the result as JSON). No auth: locally every caller is
 * anonymous, so operators name themselves with `as`.
 */

/** What a Function URL invokes: an API Gateway v2 event in, a response (or any JSON) out. */
export type FunctionUrlHandler = (event: Record<string, unknown>) => Promise<unknown>;

/** Function URLs accept request payloads up to 6 MB. */
const MAX_REQUEST_BYTES = 6 * 1024 * 1024;
const TEXT_TYPES = /^(text\/|application\/(json|xml|x-www-form-urlencoded|javascript)|[^;]*\+json)/i;

export interface FunctionUrlServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startFunctionUrl(handler: FunctionUrlHandler, options: { port?: number; log?: (line: string) => void } = {}): Promise<FunctionUrlServer> {
  const log = options.log ?? (() => {});
  const server: Server = createServer((request, response) => {
    serve(handler, request, response).catch((error: unknown) => {
      log(`function URL handler failed: ${error instanceof Error ? error.stack : String(error)}`);
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ Message: 'Internal Server Error' }));
    });
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    // A deep accept queue, as a Function URL front end has: an alarm storm opens a thousand connections at once.
    server.listen(options.port ?? 0, '127.0.0.1', 4096, () => done());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

async function serve(handler: FunctionUrlHandler, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) {
      response.writeHead(413, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ Message: 'Request must be smaller than 6291456 bytes for the InvokeFunction operation' }));
      return;
    }
    chunks.push(chunk as Buffer);
  }
  const result = await handler(toEvent(request, Buffer.concat(chunks)));
  const { statusCode, headers, body } = toResponse(result);
  response.writeHead(statusCode, headers);
  response.end(body);
}

/** The payload format 2.0 event for a request, as a Function URL builds it. */
export function toEvent(request: IncomingMessage, body: Buffer): Record<string, unknown> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
  // A body of a text type is passed as text only when it IS text: bytes that are not UTF-8 are
  // passed base64-encoded, as Lambda passes binary, so the handler can refuse them (415) instead
  // of reading U+FFFD where they were.
  const isText = body.length === 0 || (TEXT_TYPES.test(headers['content-type'] ?? 'text/plain') && isUtf8(body));
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: !isText,
  };
}

function toResponse(result: unknown): { statusCode: number; headers: Record<string, string>; body: string } {
  if (result && typeof result === 'object' && 'statusCode' in result) {
    const r = result as { statusCode: number; headers?: Record<string, string>; body?: string; isBase64Encoded?: boolean };
    const body = r.body === undefined ? '' : r.isBase64Encoded ? Buffer.from(r.body, 'base64').toString('latin1') : r.body;
    return { statusCode: r.statusCode, headers: r.headers ?? {}, body };
  }
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result ?? null) };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function isUtf8(bytes: Buffer): boolean {
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}
