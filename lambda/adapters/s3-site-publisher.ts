import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { PublicSitePublisher } from '../core/ports';
import type { PublicStatus } from '../core/public-status';
import { renderSite } from '../views/public-site';

/**
 * Writes the public status site to its (private) S3 bucket, which CloudFront serves through
 * origin access control. The index, JSON and feed are rewritten on every publish, and the pages
 * of the incidents that changed; the incident pages go first, so the index never links to a page
 * that is not there yet.
 */
export class S3SitePublisher implements PublicSitePublisher {
  public constructor(
    private readonly bucket: string,
    private readonly client: S3Client = s3Client(),
  ) {
    if (!bucket) throw new Error('S3SitePublisher needs a bucket name');
  }

  public async publish(status: PublicStatus, changedIncidents: readonly string[]): Promise<void> {
    const files = renderSite(status, changedIncidents);
    const pages = files.filter((f) => f.path.startsWith('incidents/'));
    const top = files.filter((f) => !f.path.startsWith('incidents/'));
    for (const group of [pages, top]) {
      await Promise.all(
        group.map((file) =>
          this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: file.path, Body: file.body, ContentType: file.contentType, CacheControl: file.cacheControl })),
        ),
      );
    }
  }
}

/**
 * The S3 client: path-style addressing when an endpoint is configured (`AWS_ENDPOINT_URL_S3`,
 * the local emulator), AWS's default virtual-hosted style otherwise.
 */
export function s3Client(env: NodeJS.ProcessEnv = process.env): S3Client {
  return new S3Client({ forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3) });
}
