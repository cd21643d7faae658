import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from './processes';

/** A JSON fixture of test/fixtures/<source>/ (Alertmanager webhooks, PagerDuty events), a fresh copy each call. */
export function loadFixture(relativePath: string): Record<string, any> {
  return JSON.parse(readFileSync(join(PROJECT_ROOT, 'test', 'fixtures', relativePath), 'utf8')) as Record<string, any>;
}
