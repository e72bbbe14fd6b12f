// Headless Chromium's own EventSource against the reference app: it receives the ticks of
// /events, reconnects by itself every time the server ends the stream (?drop_after=5), sends
// Last-Event-ID, and ends up with every id exactly once, in order: no gap, no duplicate.
// Run: GANNET_BUILD_DIR=build/release node --test tests/integration/sse_browser.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { launchChromium, startServer, stopServer } from './server.mjs';

let server;
let base;
let browser;
let profileDir;

before(async () => {
  ({ server, base } = await startServer('hello', ['--threads', '2']));
  ({ context: browser, profileDir } = await launchChromium('gannet-chromium-sse-'));
});

after(async () => {
  if (browser) await browser.close();
  await stopServer(server);
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
});

test('EventSource resumes with Last-Event-ID after the server drops it, no gap, no duplicate',
  { timeout: 30_000 }, async () => {
    const page = await browser.newPage();
    await page.goto(base + '/');  // same origin as the stream
    const result = await page.evaluate(() => new Promise((resolve, reject) => {
      const ids = [];
      let errors = 0;
      const es = new EventSource('/events?drop_after=5');
      const timer = setTimeout(() => { es.close(); reject(new Error(`only ${ids}`)); }, 20000);
      es.addEventListener('tick', (e) => {
        ids.push(Number(e.lastEventId));
        if (Number(e.data) !== Number(e.lastEventId)) reject(new Error('data and id differ'));
        if (ids.length === 17) { clearTimeout(timer); es.close(); resolve({ ids, errors }); }
      });
      // Fired each time the stream ends and the browser is about to reconnect.
      es.addEventListener('error', () => { errors += 1; });
    }));
    assert.deepEqual(result.ids, Array.from({ length: 17 }, (_, i) => i + 1));
    // 17 events in streams of 5: the browser reconnected at least 3 times on its own.
    assert.ok(result.errors >= 3, `reconnections seen: ${result.errors}`);
    await page.close();
  });
