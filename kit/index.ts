/**
 * Tocsin participant receiver kit: receive `tocsin.notice/v1` notices from the Tocsin notices
 * topic, through an SQS queue or an HTTPS endpoint, each notice once and in order per incident.
 * See kit/README.md.
 */
export { NoticeReceiver } from './receiver';
export type { DeliverNotice, GapEvent, MissingEvent, NoticeReceiverOptions, ReceiveResult, ReceiverSnapshot } from './receiver';
export { consumeQueue } from './sqs-consumer';
export type { ConsumeQueueOptions, ConsumeSummary } from './sqs-consumer';
export { createSnsHttpHandler, visitSubscribeUrl } from './http-handler';
export type { ConfirmSubscription, SnsHttpHandler, SnsHttpHandlerOptions } from './http-handler';
export { createSnsSignatureVerifier, fetchCertificateOverHttps, isTrustedSnsUrl, stringToSign } from './sns-signature';
export type { CertificateFetcher, SnsMessageVerifier, SnsSignatureVerifierOptions } from './sns-signature';
export { readNoticeMessage, SNS_MESSAGE_TYPES } from './envelope';
export type { ReadResult, SnsEnvelope } from './envelope';
export { NoticeDeliveryError, SignatureVerificationError, TocsinError, ValidationError } from './errors';
export type { FieldProblem, SignatureFailure } from './errors';
export { noticeSchema, parseNotice } from '../lambda/core/notice';
export type { Notice, NoticeType } from '../lambda/core/model';
