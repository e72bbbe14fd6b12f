// Headless Chromium's own EventSource against the reference app: it receives the ticks of
// /events, reconnects by itself every time the server ends the stream (?drop_after=5), sends
// Last-Event-ID, and ends up with every id exactly once, in order: no gap, no duplicate.
// Run: GANNET_BUILD_DIR=build/release node --test tests/integration/sse_browser.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
if (!existsSync(join(here, 'node_modules', 'playwright-core'))) {
  execSync('npm install --no-audit --no-fund', { cwd: here, stdio: 'inherit' });
}
const { chromium } = createRequire(join(here, 'package.json'))('playwright-core');

const buildDir = process.env.GANNET_BUILD_DIR || join(here, '..', '..', 'build', 'release');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

let server;
let base;
let browser;
let profileDir;

before(async () => {
  const env = { ...process.env };
  delete env.GANNET_PORT;
  delete env.GANNET_THREADS;
  server = spawn(join(buildDir, 'hello'), ['--port', '0', '--threads', '2'],
    { stdio: ['ignore', 'pipe', 'inherit'], env });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on http:\/\/127\.0\.0\.1:(\d+) /);
      if (m) resolve(Number(m[1]));
    });
    server.on('exit', (code) => reject(new Error(`hello exited with ${code}: ${out}`)));
  });
  base = `http://127.0.0.1:${port}`;
  profileDir = mkdtempSync(join(tmpdir(), 'gannet-chromium-sse-'));
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (server && server.exitCode === null) {
    const done = new Promise((resolve) => server.on('exit', resolve));
    server.kill('SIGTERM');
    await done;
  }
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
