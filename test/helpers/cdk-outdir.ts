import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Every test file's CDK apps synthesize into one folder of the file's own (an `App` without an
 * `outdir` reads CDK_OUTDIR, else makes a new `cdk.out*` temp folder per synthesis), removed when
 * the file is done: the suite leaves no temporary folders behind.
 */
const outdir = mkdtempSync(join(tmpdir(), 'tocsin-cdk-out-'));
process.env.CDK_OUTDIR = outdir;
afterAll(() => rmSync(outdir, { recursive: true, force: true }));
