import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calibrate, type ScoredPair } from '@gantry/cache/calibration';
import { calibrationBody } from '../../apps/gateway/src/cli/cache-commands.ts';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestJson } from '../agents/run-tree.ts';
import { launchChromium } from '../support/browser.ts';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

const SCREENSHOTS = process.env.GANTRY_CONSOLE_SCREENSHOTS ?? join(tmpdir(), 'gantry-console-screenshots');

/**
 * Ten entries whose boundaries differ: entry k's paraphrases (same answer) lie at 0.72+0.02k to
 * 0.81+0.02k, its slot swaps (another answer) at 0.60+0.02k to 0.66+0.02k, above the paraphrases of
 * the first entries. No one threshold separates them; each entry's own boundary does.
 */
function syntheticPairs(): ScoredPair[] {
  const pairs: ScoredPair[] = [];
  for (let entry = 0; entry < 10; entry++) {
    const a = `entry ${entry}`;
    for (let index = 0; index < 10; index++) pairs.push({ a, b: `${a} paraphrase ${index}`, same: true, kind: 'paraphrase', similarity: 0.72 + 0.02 * entry + index * 0.01 });
    for (let index = 0; index < 4; index++) pairs.push({ a, b: `${a} swap ${index}`, same: false, kind: 'slot-swap', similarity: 0.6 + 0.02 * entry + index * 0.02 });
    for (let index = 0; index < 4; index++) pairs.push({ a, b: `${a} unrelated ${index}`, same: false, kind: 'unrelated', similarity: 0.2 + index * 0.05 });
  }
  return pairs;
}

describe('console cache calibration in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let id: string;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchChromium()]);
    mkdirSync(SCREENSHOTS, { recursive: true });
    const result = calibrate(syntheticPairs(), { targetPrecision: 0.98, passes: 20, seed: 1 });
    const stored = await requestJson<{ id: string }>(`${stack.url}/v1/cache/calibrations`, MASTER_KEY, { method: 'POST', body: calibrationBody('pairs:synthetic.jsonl', 'local/embedder', result) });
    expect(stored.status).toBe(201);
    id = stored.body.id;
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('plots threshold against hit rate and precision, marks the static threshold, and sets the per-entry policy beside it', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => void (message.type() === 'error' && problems.push(message.text())));
    await page.goto(`${stack.url}/console/cache`);
    await page.fill('input[name=key]', MASTER_KEY, { timeout: 10_000 }).catch(async () => {
      throw new Error(`no sign-in: ${problems.join(' | ')} :: ${(await page.content()).slice(0, 800)}`);
    });
    await page.click('button[type=submit]');
    await page.waitForSelector('.cache-page, main p.bad', { timeout: 10_000 }).catch(async () => {
      throw new Error(`no cache page: ${problems.join(' | ')} :: ${(await page.locator('body').textContent())?.slice(0, 500)}`);
    });
    expect(await page.locator('main p.bad').count(), await page.locator('main').textContent() ?? '').toBe(0);
    await page.waitForSelector(`[data-calibration="${id}"] svg path[data-curve="hit rate"]`);
    const section = page.locator(`[data-calibration="${id}"]`);
    for (const curve of ['hit rate', 'precision', 'precision, 95% lower bound']) {
      const d = await section.locator(`path[data-curve="${curve}"]`).getAttribute('d');
      // One point per threshold from 0.50 to 0.99 (precision has none where nothing is served).
      expect(d!.split(/[ML]/).filter(Boolean).length, curve).toBeGreaterThan(30);
    }
    // No static threshold is proven to 98% precision on this data; the per-entry policy serves with none wrong.
    expect(await section.locator('.mark').count()).toBe(0);
    expect(await section.locator('.policy-compare').textContent()).toContain('none reaches 98.0% precision');
    const policy = await section.locator('tr[data-policy] td').allTextContents();
    expect(policy[0]).toMatch(/^\d+\.\d%$/);
    expect(Number.parseFloat(policy[0]!)).toBeGreaterThan(5);
    expect(policy.slice(1, 3)).toEqual(['100.0%', '0']);
    await page.screenshot({ path: join(SCREENSHOTS, 'cache.png'), fullPage: true });
    await page.context().close();
  });
});
