import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import type { FunctionUrlHandler } from './function-url';

/**
 * Locally, what CloudFront does in AWS: serves the public status site's files from its bucket
 * (on the S3 emulator), `/` as `index.html`, with the content type and cache headers they were
 * written with. GET and HEAD only; a missing file is a 404.
 */
export function publicSiteHandler(s3: S3Client, bucket: string): FunctionUrlHandler {
  return async (event) => {
    const http = (event.requestContext as { http?: { method?: string; path?: string } } | undefined)?.http;
    const method = http?.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') return { statusCode: 405, headers: { allow: 'GET, HEAD', 'content-type': 'text/plain' }, body: 'method not allowed' };
    const path = decodeURIComponent(http?.path ?? '/').replace(/^\/+/, '');
    const key = path === '' || path.endsWith('/') ? `${path}index.html` : path;
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const body = await object.Body!.transformToString('utf8');
      return {
        statusCode: 200,
        headers: { 'content-type': object.ContentType ?? 'application/octet-stream', 'cache-control': object.CacheControl ?? 'no-cache', 'x-content-type-options': 'nosniff' },
        body: method === 'HEAD' ? '' : body,
      };
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') {
        return { statusCode: 404, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `no such page: /${key}` };
      }
      throw error;
    }
  };
}
