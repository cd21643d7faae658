import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { noticeJsonSchema } from '../lambda/core/notice';
import { pageJsonSchema } from '../lambda/core/page';

/** `npm run schema`: writes the published JSON Schemas (notices for participants, pages for operators) from their zod definitions. */
for (const [name, schema] of [
  ['tocsin.notice.v1.json', noticeJsonSchema()],
  ['tocsin.page.v1.json', pageJsonSchema()],
] as const) {
  const file = join(__dirname, '..', 'schema', name);
  writeFileSync(file, `${JSON.stringify(schema, null, 2)}\n`);
  process.stdout.write(`wrote ${file}\n`);
}
