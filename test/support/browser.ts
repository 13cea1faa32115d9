import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium: the browser tests drive it; a browser is never downloaded. */
export const CHROMIUM = process.env.GANTRY_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Makes sure Debian's `chromium` package is installed: on a fresh machine of this kind (root, apt)
 * `pnpm test` installs it, as `.ci/run` does; elsewhere it fails saying what to install.
 */
export function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  const root = process.getuid?.() === 0;
  if (!root || !existsSync('/usr/bin/apt-get')) {
    throw new Error(`the browser tests drive Debian's Chromium at ${CHROMIUM}, which is not installed: run \`apt-get install -y chromium\` as root (or set GANTRY_CHROMIUM to a Chromium binary)`);
  }
  const apt = (...args: string[]) => execFileSync('apt-get', args, { stdio: 'ignore', timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  try {
    apt('install', '-y', '-qq', '--no-install-recommends', 'chromium');
  } catch {
    apt('update', '-qq');
    apt('install', '-y', '-qq', '--no-install-recommends', 'chromium');
  }
}

/**
 * Headless Chromium with everything that reaches out switched off: this machine has no network
 * but loopback, and a browser that phones home is not one a test should drive.
 */
export async function launchChromium(): Promise<Browser> {
  ensureChromium();
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-default-apps',
      '--disable-extensions',
      '--metrics-recording-only',
    ],
  });
}
