import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestJson } from '../agents/run-tree.ts';
import { launchChromium } from '../support/browser.ts';
import { startReplayFixture, type ReplayFixture } from '../support/replay-fixture.ts';

const SCREENSHOTS = process.env.GANTRY_CONSOLE_SCREENSHOTS ?? join(tmpdir(), 'gantry-console-screenshots');

interface ReplayView {
  id: string;
  status: string;
  items: { position: number; candidate: number }[];
  failed_steps: { position: number; candidate: number; step: number }[];
}

/** A replay in the console: scores per candidate, and an item's recorded and replayed steps side by side. */
describe('console replays in Chromium', () => {
  let fixture: ReplayFixture;
  let browser: Browser;
  let replay: ReplayView;

  beforeAll(async () => {
    [fixture, browser] = await Promise.all([startReplayFixture(randomBytes(4).toString('hex'), 1), launchChromium()]);
    const { stack, apiKey, candidates } = fixture;
    expect((await requestJson(`${stack.url}/v1/datasets`, apiKey, { method: 'POST', body: { name: 'research', runs: { name: 'researcher' } } })).status).toBe(201);
    const started = await requestJson<ReplayView>(`${stack.url}/v1/replays`, apiKey, { method: 'POST', body: { dataset: 'research', candidates: [candidates.agree, candidates.otherTool], mode: 'step' } });
    expect(started.status).toBe(201);
    for (let waited = 0; ; waited += 100) {
      replay = (await requestJson<ReplayView>(`${stack.url}/v1/replays/${started.body.id}`, apiKey)).body;
      if (replay.status !== 'running') break;
      if (waited > 60_000) throw new Error('the replay did not finish in 60 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(replay.status).toBe('succeeded');
    mkdirSync(SCREENSHOTS, { recursive: true });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await fixture?.stack.close();
  });

  async function signedIn(): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 1440, height: 1000 } })).newPage();
    await page.goto(`${fixture.stack.url}/console/replays`);
    await page.fill('input[name=key]', fixture.apiKey);
    await page.click('button[type=submit]');
    await page.waitForSelector('nav.top [data-who]');
    return page;
  }

  it('lists the replay and shows, step by step, where a candidate picked another tool than the recording', async () => {
    const page = await signedIn();
    await page.click(`a[href="/console/replays/${replay.id}"]`);
    await page.waitForSelector('.replay-items tr[data-item]');
    const failed = replay.failed_steps.find((step) => step.candidate === 1)!;
    expect(failed).toBeDefined();
    await page.goto(`${fixture.stack.url}/console/replays/${replay.id}?item=${failed.position}&candidate=1`);
    const disagreeing = page.locator('.diff-step.disagrees');
    await disagreeing.first().waitFor();
    expect(await disagreeing.count()).toBe(1);
    const step = disagreeing.first();
    expect(Number(await step.getAttribute('data-step'))).toBe(failed.step);
    const [recorded, candidate] = await step.locator('.side-by-side > *').allTextContents();
    expect(recorded).toContain('read_notes');
    expect(candidate).toContain('web_search');
    expect(await step.locator('.differences').textContent()).toMatch(/read_notes/);
    expect(await page.locator('.diff-step:not(.disagrees)').count()).toBeGreaterThanOrEqual(4);
    await page.screenshot({ path: join(SCREENSHOTS, 'replay.png'), fullPage: true });

    // The candidate that agrees: no step disagrees.
    await page.goto(`${fixture.stack.url}/console/replays/${replay.id}?item=${failed.position}&candidate=0`);
    await page.locator('.diff-step').first().waitFor();
    expect(await page.locator('.diff-step.disagrees').count()).toBe(0);
    await page.context().close();
  });
});
