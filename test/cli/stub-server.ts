import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';

/**
 * Stand-ins for the CLI's HTTP tests: a Tocsin endpoint (operate and status URLs) that records
 * every request and answers what the test says, and a CloudFormation DescribeStacks endpoint in
 * the service's own protocol (awsQuery XML), as in target.test.ts.
 */

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface StubReply {
  readonly status?: number;
  readonly body: unknown;
}

export interface StubServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** How the next requests are answered; default `200 {}`. */
  answer(handler: (request: RecordedRequest) => StubReply): void;
  close(): Promise<void>;
}

export async function stubServer(): Promise<StubServer> {
  const requests: RecordedRequest[] = [];
  let handler: (request: RecordedRequest) => StubReply = () => ({ body: {} });
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const recorded = { method: request.method ?? '', url: request.url ?? '', headers: request.headers, body };
      requests.push(recorded);
      const reply = handler(recorded);
      response.statusCode = reply.status ?? 200;
      response.setHeader('content-type', 'application/json');
      response.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    requests,
    answer: (next) => (handler = next),
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/** A DescribeStacks stand-in for the stacks given (name → outputs), and CliClients that use it. */
export async function cloudFormationStub(stacks: ReadonlyMap<string, Record<string, string>>): Promise<{
  clients: { cloudFormation: (config: object) => CloudFormationClient };
  close(): Promise<void>;
}> {
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const name = new URLSearchParams(body).get('StackName') ?? '';
      const reply = describeStacksReply(name, stacks.get(name));
      response.setHeader('content-type', 'text/xml');
      response.statusCode = reply.statusCode;
      response.end(reply.body);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    clients: {
      cloudFormation: (config: object) =>
        new CloudFormationClient({ ...config, endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
    },
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/** CloudFormation's DescribeStacks answer (its XML) for a stack with these outputs, or its error for none. */
export function describeStacksReply(name: string, outputs: Record<string, string> | undefined): { statusCode: number; body: string } {
  if (!outputs) {
    return {
      statusCode: 400,
      body:
        `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type>` +
        `<Code>ValidationError</Code><Message>Stack with id ${name} does not exist</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`,
    };
  }
  const members = Object.entries(outputs)
    .map(([key, value]) => `<member><OutputKey>${key}</OutputKey><OutputValue>${value}</OutputValue></member>`)
    .join('');
  return {
    statusCode: 200,
    body:
      `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>` +
      `<StackName>${name}</StackName><StackId>arn:aws:cloudformation:us-east-1:000000000000:stack/${name}/1</StackId>` +
      `<CreationTime>2026-01-01T00:00:00Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus><Outputs>${members}</Outputs>` +
      `</member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></DescribeStacksResponse>`,
  };
}
