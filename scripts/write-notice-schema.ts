import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { noticeJsonSchema } from '../lambda/core/notice';

/** `npm run schema`: writes schema/tocsin.notice.v1.json from the zod definition. */
const file = join(__dirname, '..', 'schema', 'tocsin.notice.v1.json');
writeFileSync(file, `${JSON.stringify(noticeJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${file}\n`);
