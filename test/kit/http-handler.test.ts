import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  NoticeReceiver,
  SignatureVerificationError,
  createSnsHttpHandler,
  createSnsSignatureVerifier,
  isTrustedSnsUrl,
  stringToSign,
  type SnsEnvelope,
  type SnsHttpHandler,
  type SnsHttpHandlerOptions,
  type SnsSignatureVerifierOptions,
} from '../../kit';
import type { Notice } from '../../lambda/core/model';
import { notice } from './notices';
import { CERT_URL, TOPIC_ARN, confirmationFields, createSnsSigner, notificationFields, signEnvelope, type SnsSigner } from './sns-signing';

/**
 * The HTTPS subscription path, against a real node http server on 127.0.0.1: envelopes built
 * to AWS's documented format, signed with a locally generated key and self-signed certificate
 * that the verifier gets from an injected fetcher. Nothing reaches the internet.
 */
describe('SNS HTTPS endpoint (createSnsHttpHandler)', () => {
  let signer: SnsSigner;
  let stranger: SnsSigner;

  beforeAll(() => {
    signer = createSnsSigner();
    stranger = createSnsSigner({ commonName: 'not-sns.example' });
  });

  interface Endpoint {
    post(body: unknown, type?: string | null, init?: RequestInit): Promise<{ status: number; body: { ok?: boolean; result?: string; error?: string } }>;
    notices: Notice[];
    fetchCertificate: jest.Mock<Promise<string>, [URL]>;
    confirmSubscription: jest.Mock<Promise<void>, [URL, SnsEnvelope]>;
    rejected: unknown[];
    errors: unknown[];
  }

  const servers: { server: Server; handler: SnsHttpHandler }[] = [];
  afterEach(async () => {
    for (const { server, handler } of servers.splice(0)) {
      handler.close();
      await new Promise((r) => server.close(r));
    }
  });

  async function endpoint(options: Partial<SnsHttpHandlerOptions> = {}, verifierOptions: SnsSignatureVerifierOptions = {}): Promise<Endpoint> {
    const notices: Notice[] = [];
    const rejected: unknown[] = [];
    const errors: unknown[] = [];
    const fetchCertificate = jest.fn(async (url: URL) => {
      if (url.href !== CERT_URL) throw new Error(`no certificate at ${url.href}`);
      return signer.certificatePem;
    });
    const confirmSubscription = jest.fn(async (_url: URL, _message: SnsEnvelope) => undefined);
    const handler = createSnsHttpHandler({
      receiver: new NoticeReceiver(),
      verify: createSnsSignatureVerifier({ fetchCertificate, ...verifierOptions }),
      onNotice: (n) => void notices.push(n),
      confirmSubscription,
      onRejected: (e) => void rejected.push(e),
      onError: (e) => void errors.push(e),
      ...options,
    });
    const server = createServer(handler);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push({ server, handler });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tocsin`;
    return {
      notices,
      fetchCertificate,
      confirmSubscription,
      rejected,
      errors,
      async post(body, type, init = {}) {
        const headers: Record<string, string> = { 'content-type': 'text/plain; charset=UTF-8' };
        const messageType = type === undefined ? (body as { Type?: string }).Type : type;
        if (messageType) headers['x-amz-sns-message-type'] = messageType;
        const response = await fetch(url, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body), ...init });
        return { status: response.status, body: (await response.json()) as { ok?: boolean; error?: string } };
      },
    };
  }

  const halt = notice(2, { type: 'halt' });

  describe('accepts', () => {
    it.each(['1', '2'] as const)('a Notification signed with SignatureVersion %s and delivers its notice', async (version) => {
      // Prepare
      const ep = await endpoint();
      const message = signEnvelope(signer, notificationFields(JSON.stringify(notice(1))), version);
      // Act
      const response = await ep.post(message);
      // Assess
      expect(response).toEqual({ status: 200, body: { ok: true, result: 'delivered' } });
      expect(ep.notices).toEqual([notice(1)]);
      expect(ep.fetchCertificate).toHaveBeenCalledWith(new URL(CERT_URL));
    });

    it('a Notification with a Subject (signed too)', async () => {
      const ep = await endpoint();
      const message = signEnvelope(signer, notificationFields(JSON.stringify(notice(1)), { Subject: 'Tocsin: incident opened' }), '2');
      expect((await ep.post(message)).status).toBe(200);
      expect(ep.notices).toHaveLength(1);
    });

    it('an SNS retry of the same notice with 200 but delivers it once; fetches the certificate once', async () => {
      const ep = await endpoint();
      const message = signEnvelope(signer, notificationFields(JSON.stringify(notice(1))));
      const first = await ep.post(message);
      const retry = await ep.post(message);
      expect([first.body.result, retry.body.result]).toEqual(['delivered', 'duplicate']);
      expect(ep.notices).toEqual([notice(1)]);
      expect(ep.fetchCertificate).toHaveBeenCalledTimes(1);
    });

    it('notices out of order with 200 and delivers them in sequence order', async () => {
      const ep = await endpoint();
      for (const n of [notice(2), notice(3), notice(1)]) {
        expect((await ep.post(signEnvelope(signer, notificationFields(JSON.stringify(n), { MessageId: `m-${n.sequence}` })))).status).toBe(200);
      }
      expect(ep.notices.map((n) => n.sequence)).toEqual([1, 2, 3]);
    });

    it('a SubscriptionConfirmation by visiting its SubscribeURL through the injected confirmSubscription', async () => {
      // Prepare
      const ep = await endpoint();
      const fields = confirmationFields('SubscriptionConfirmation');
      // Act
      const response = await ep.post(signEnvelope(signer, fields));
      // Assess
      expect(response.status).toBe(200);
      expect(ep.confirmSubscription).toHaveBeenCalledTimes(1);
      expect(ep.confirmSubscription.mock.calls[0]![0].href).toBe(new URL(fields['SubscribeURL']!).href);
      expect(ep.notices).toEqual([]);
    });

    it('an UnsubscribeConfirmation without re-subscribing', async () => {
      const ep = await endpoint();
      const response = await ep.post(signEnvelope(signer, confirmationFields('UnsubscribeConfirmation'), '2'));
      expect(response.status).toBe(200);
      expect(ep.confirmSubscription).not.toHaveBeenCalled();
    });
  });

  describe('refuses with 403', () => {
    it.each([
      ['Message', { Message: JSON.stringify({ ...halt, type: 'resume' }) }],
      ['MessageId', { MessageId: 'forged' }],
      ['Timestamp', { Timestamp: '2020-10-01T00:00:00.000Z' }],
      ['TopicArn', { TopicArn: 'arn:aws:sns:ap-northeast-1:444455556666:evil' }],
      ['Subject (added)', { Subject: 'added' }],
    ])('a Notification whose %s was changed after signing', async (_, tampered) => {
      // Prepare
      const ep = await endpoint();
      const message = { ...signEnvelope(signer, notificationFields(JSON.stringify(halt))), ...tampered };
      // Act
      const response = await ep.post(message);
      // Assess
      expect(response.status).toBe(403);
      expect(response.body.error).toContain('bad-signature');
      expect(ep.notices).toEqual([]);
    });

    it.each([
      ['http, not https', 'http://sns.ap-northeast-1.amazonaws.com/SimpleNotificationService-1.pem'],
      ['another host', 'https://evil.example/SimpleNotificationService-1.pem'],
      ['a look-alike host', 'https://sns.ap-northeast-1.amazonaws.com.evil.example/SimpleNotificationService-1.pem'],
      ['a host under amazonaws.com that is not SNS', 'https://s3.ap-northeast-1.amazonaws.com/bucket/cert.pem'],
      ['an explicit port', 'https://sns.ap-northeast-1.amazonaws.com:8443/SimpleNotificationService-1.pem'],
      ['credentials in the URL', 'https://evil@sns.ap-northeast-1.amazonaws.com/SimpleNotificationService-1.pem'],
      ['a path that is not a .pem', 'https://sns.ap-northeast-1.amazonaws.com/?Action=Unsubscribe'],
      ['not a URL', 'sns.ap-northeast-1.amazonaws.com'],
    ])('a SigningCertURL with %s, without fetching it', async (_, certUrl) => {
      const ep = await endpoint();
      const response = await ep.post(signEnvelope(signer, notificationFields(JSON.stringify(halt), { SigningCertURL: certUrl })));
      expect(response.status).toBe(403);
      expect(response.body.error).toContain('untrusted-certificate-url');
      expect(ep.fetchCertificate).not.toHaveBeenCalled();
      expect(ep.notices).toEqual([]);
    });

    it('an unsigned message (raw message delivery posts one)', async () => {
      const ep = await endpoint();
      const response = await ep.post(notificationFields(JSON.stringify(halt)), 'Notification');
      expect(response.status).toBe(403);
      expect(response.body.error).toContain('unsigned');
      expect(ep.rejected[0]).toBeInstanceOf(SignatureVerificationError);
    });

    it('a message signed by a key other than the certificate’s', async () => {
      const ep = await endpoint();
      const response = await ep.post(signEnvelope(stranger, notificationFields(JSON.stringify(halt))));
      expect(response.status).toBe(403);
      expect(response.body.error).toContain('bad-signature');
      expect(ep.notices).toEqual([]);
    });

    it('a SignatureVersion other than 1 or 2', async () => {
      const ep = await endpoint();
      const response = await ep.post({ ...signEnvelope(signer, notificationFields(JSON.stringify(halt))), SignatureVersion: '3' });
      expect(response.status).toBe(403);
      expect(response.body.error).toContain('unsupported-signature-version');
    });

    it('a v1 signature presented as version 2', async () => {
      const ep = await endpoint();
      const response = await ep.post({ ...signEnvelope(signer, notificationFields(JSON.stringify(halt)), '1'), SignatureVersion: '2' });
      expect(response.status).toBe(403);
    });

    it('a topic the endpoint was not told to accept', async () => {
      const ep = await endpoint({}, { topicArns: ['arn:aws:sns:ap-northeast-1:111122223333:other'] });
      const response = await ep.post(signEnvelope(signer, notificationFields(JSON.stringify(halt))));
      expect(response.status).toBe(403);
      expect(response.body.error).toContain('unexpected-topic');
    });

    it('a certificate outside its validity period', async () => {
      const ep = await endpoint({}, { now: () => Date.parse(signer.certificate.validTo) + 1 });
      const response = await ep.post(signEnvelope(signer, notificationFields(JSON.stringify(halt))));
      expect(response.status).toBe(403);
      expect(response.body.error).toContain('certificate-rejected');
    });

    it('a SubscriptionConfirmation whose SubscribeURL was swapped after signing, without visiting it', async () => {
      const ep = await endpoint();
      const message = { ...signEnvelope(signer, confirmationFields('SubscriptionConfirmation')), SubscribeURL: 'https://sns.ap-northeast-1.amazonaws.com/?Action=ConfirmSubscription&Token=other' };
      const response = await ep.post(message);
      expect(response.status).toBe(403);
      expect(ep.confirmSubscription).not.toHaveBeenCalled();
    });
  });

  describe('refuses with 400', () => {
    it.each([
      ['no x-amz-sns-message-type header', null],
      ['an unknown x-amz-sns-message-type', 'Notice'],
      ['a header that does not match the body Type', 'SubscriptionConfirmation'],
    ])('a message with %s', async (_, type) => {
      const ep = await endpoint();
      const response = await ep.post(signEnvelope(signer, notificationFields(JSON.stringify(halt))), type);
      expect(response.status).toBe(400);
      expect(ep.fetchCertificate).not.toHaveBeenCalled();
    });

    it('a body that is not JSON', async () => {
      const ep = await endpoint();
      expect((await ep.post('{"Type": "Notification",', 'Notification')).status).toBe(400);
    });

    it('a signed Notification whose Message is not a tocsin.notice/v1 notice, naming the field', async () => {
      const ep = await endpoint();
      const response = await ep.post(signEnvelope(signer, notificationFields(JSON.stringify({ ...halt, sequence: 0 }))));
      expect(response.status).toBe(400);
      expect(response.body.error).toContain('sequence');
      expect(ep.notices).toEqual([]);
    });

    it('a signed SubscriptionConfirmation whose SubscribeURL is not on an SNS host, without visiting it', async () => {
      const ep = await endpoint();
      const response = await ep.post(signEnvelope(signer, confirmationFields('SubscriptionConfirmation', { SubscribeURL: 'https://evil.example/confirm' })));
      expect(response.status).toBe(400);
      expect(ep.confirmSubscription).not.toHaveBeenCalled();
    });
  });

  describe('other answers', () => {
    it('refuses a GET with 405', async () => {
      const ep = await endpoint();
      const response = await ep.post(undefined, 'Notification', { method: 'GET', body: null });
      expect(response.status).toBe(405);
    });

    it('refuses a body over maxBodyBytes with 413', async () => {
      const ep = await endpoint({ maxBodyBytes: 1024 });
      const response = await ep.post(signEnvelope(signer, notificationFields(JSON.stringify({ ...halt, summary: 'x'.repeat(2000) }))));
      expect(response.status).toBe(413);
    });

    it('answers 500 when onNotice throws, so SNS retries, and delivers the retry in order', async () => {
      // Prepare: the participant's system fails once
      let failures = 1;
      const delivered: number[] = [];
      const ep = await endpoint({
        onNotice: (n) => {
          if (failures-- > 0) throw new Error('order gateway down');
          delivered.push(n.sequence);
        },
      });
      const message = signEnvelope(signer, notificationFields(JSON.stringify(notice(1))));
      // Act
      const failed = await ep.post(message);
      const retried = await ep.post(message);
      // Assess
      expect(failed.status).toBe(500);
      expect(retried.status).toBe(200);
      expect(delivered).toEqual([1]);
      expect(ep.errors).toHaveLength(1);
    });

    it('answers 502 when the SubscribeURL cannot be visited', async () => {
      const ep = await endpoint({ confirmSubscription: async () => Promise.reject(new Error('offline')) });
      const response = await ep.post(signEnvelope(signer, confirmationFields('SubscriptionConfirmation')));
      expect(response.status).toBe(502);
    });

    it('answers 503 when the signing certificate cannot be fetched, so SNS retries', async () => {
      const ep = await endpoint({}, { fetchCertificate: async () => Promise.reject(new Error('ETIMEDOUT')) });
      const response = await ep.post(signEnvelope(signer, notificationFields(JSON.stringify(halt))));
      expect(response.status).toBe(503);
      expect(response.body.error).toContain('certificate-unavailable');
    });
  });

  describe('signature building blocks', () => {
    it.each([
      ['https://sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem', true],
      ['https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-a.pem', true],
      ['https://sns.us-gov-west-1.amazonaws.com/x.pem', true],
      ['https://sns.amazonaws.com/x.pem', false],
      ['https://SNS.us-east-1.amazonaws.com.evil/x.pem', false],
      [42, false],
    ])('isTrustedSnsUrl(%j) is %s', (url, trusted) => {
      expect(isTrustedSnsUrl(url)).toBe(trusted);
    });

    it('builds the string to sign for a Notification in AWS’s field order, skipping a null Subject', () => {
      const text = stringToSign({ Type: 'Notification', MessageId: 'm', TopicArn: 't', Message: 'hello\nworld', Timestamp: 'ts', Subject: null });
      expect(text).toBe('Message\nhello\nworld\nMessageId\nm\nTimestamp\nts\nTopicArn\nt\nType\nNotification\n');
    });

    it('builds the string to sign for a SubscriptionConfirmation with SubscribeURL and Token', () => {
      const text = stringToSign({ Type: 'SubscriptionConfirmation', MessageId: 'm', TopicArn: 't', Message: 'x', Timestamp: 'ts', SubscribeURL: 'u', Token: 'k' });
      expect(text).toBe('Message\nx\nMessageId\nm\nSubscribeURL\nu\nTimestamp\nts\nToken\nk\nTopicArn\nt\nType\nSubscriptionConfirmation\n');
    });

    it('refuses an UnsubscribeConfirmation without Token as malformed', async () => {
      const verify = createSnsSignatureVerifier({ fetchCertificate: async () => signer.certificatePem });
      const message = signEnvelope(signer, confirmationFields('UnsubscribeConfirmation', { Token: undefined }));
      await expect(verify(message as unknown as SnsEnvelope)).rejects.toMatchObject({ reason: 'malformed' });
    });

    it('verifies with a certificate fetched once per URL, even for concurrent messages', async () => {
      const fetchCertificate = jest.fn(async () => signer.certificatePem);
      const verify = createSnsSignatureVerifier({ fetchCertificate });
      const messages = [1, 2, 3].map((n) => signEnvelope(signer, notificationFields(JSON.stringify(notice(n)), { MessageId: `m-${n}` })) as unknown as SnsEnvelope);
      await Promise.all(messages.map((m) => verify(m)));
      expect(fetchCertificate).toHaveBeenCalledTimes(1);
    });

    it('accepts the topic it was told to accept', async () => {
      const verify = createSnsSignatureVerifier({ fetchCertificate: async () => signer.certificatePem, topicArns: [TOPIC_ARN] });
      await expect(verify(signEnvelope(signer, notificationFields('{}')) as unknown as SnsEnvelope)).resolves.toBeUndefined();
    });
  });
});
