/**
 * A participant's HTTPS endpoint for an SNS subscription to the Tocsin notices topic: verifies
 * every message's signature, confirms the subscription, prints every notice once, in order per
 * incident, as one JSON line on stdout. Ctrl-C stops it.
 *
 *   node -r ts-node/register/transpile-only examples/https-endpoint.ts --port 8443 \
 *     --tls-key key.pem --tls-cert cert.pem [--host 0.0.0.0] [--topic-arn ARN …] [--gap-wait-ms 30000]
 *
 * Without --tls-key/--tls-cert it serves plain HTTP (for a TLS-terminating proxy in front, or
 * local trials); SNS itself only delivers to an https:// URL with a certificate from a trusted
 * CA. Subscribe with raw message delivery OFF: raw POSTs carry no signature and are refused.
 * Signing certificates are fetched from sns.<region>.amazonaws.com over https.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { NoticeReceiver, createSnsHttpHandler, createSnsSignatureVerifier } from '../kit';

function main(): void {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'tls-key': { type: 'string' },
      'tls-cert': { type: 'string' },
      'topic-arn': { type: 'string', multiple: true },
      'gap-wait-ms': { type: 'string' },
    },
  });
  if (values.port === undefined) throw new Error('--port is required (0 picks a free one)');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0–65535, got ${values.port}`);
  if (Boolean(values['tls-key']) !== Boolean(values['tls-cert'])) throw new Error('give both --tls-key and --tls-cert, or neither');

  const receiver = new NoticeReceiver({
    ...(values['gap-wait-ms'] ? { gapWaitMs: Number(values['gap-wait-ms']) } : {}),
    onGap: (gap) => process.stderr.write(`gap: incident ${gap.incidentId} expected ${gap.expected}, got ${gap.got}; holding\n`),
    onMissing: (event) => process.stderr.write(`missing: incident ${event.incidentId} notices ${event.missing.join(', ')}\n`),
  });
  const handler = createSnsHttpHandler({
    receiver,
    verify: createSnsSignatureVerifier(values['topic-arn'] ? { topicArns: values['topic-arn'] } : {}),
    onNotice: (notice) => void process.stdout.write(`${JSON.stringify(notice)}\n`),
    onRejected: (error, status) => process.stderr.write(`refused (${status}): ${error.message}\n`),
    onError: (error) => process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`),
  });
  const tls = values['tls-key'] && values['tls-cert'] ? { key: readFileSync(values['tls-key']), cert: readFileSync(values['tls-cert']) } : undefined;
  const server: Server = tls ? createHttpsServer(tls, handler) : createHttpServer(handler);
  server.listen(port, values.host ?? '127.0.0.1', () => {
    const { address, port: bound } = server.address() as AddressInfo;
    process.stderr.write(`listening on ${tls ? 'https' : 'http'}://${address}:${bound}/\n`);
  });
  const stop = () => {
    handler.close();
    server.close();
    server.closeAllConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

try {
  main();
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
