import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';

/** Debian's Chromium, which the browser tests drive (never a downloaded one). */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Installs Debian's `chromium` (and a Japanese font, so Japanese text renders) when it is
 * missing — the same packages `.ci/run` installs — so the browser tests run on a fresh machine.
 */
export function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  const install = ['install', '-y', '--no-install-recommends', 'chromium', 'fonts-ipafont-gothic'];
  try {
    execFileSync('apt-get', install, { stdio: 'ignore', timeout: 600_000 });
  } catch {
    execFileSync('apt-get', ['update'], { stdio: 'ignore', timeout: 600_000 });
    execFileSync('apt-get', install, { stdio: 'ignore', timeout: 600_000 });
  }
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing and apt-get could not install it: run "apt-get install chromium fonts-ipafont-gothic" as root`);
}

/** Headless Chromium with a profile folder of its own, removed on close. */
export async function launchChromium(): Promise<{ newPage: (viewport: { width: number; height: number }) => Promise<Page>; close: () => Promise<void> }> {
  ensureChromium();
  const profile = mkdtempSync(join(tmpdir(), 'tocsin-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    return {
      newPage: async (viewport) => {
        const page = await context.newPage();
        await page.setViewportSize(viewport);
        return page;
      },
      close: async () => {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
}
