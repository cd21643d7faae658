import { join } from 'node:path';

/**
 * The repository's root: this module is `bin/cli/root.ts` when run from source and is bundled
 * into `dist/cli/tocsin.cjs` by `npm run build:cli` — two levels below the root either way.
 */
export const ROOT = join(__dirname, '..', '..');
