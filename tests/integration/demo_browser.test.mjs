// examples/demo in a real browser: headless Chromium (Debian `chromium`) driven by npm
// playwright-core opens the page in two tabs, chats between them over WebSocket, watches the SSE
// dashboard update, uploads a file with progress, runs the load test, and saves a screenshot to
// $GANNET_BUILD_DIR/demo.png.
// Run: GANNET_BUILD_DIR=build/release node --test tests/integration/demo_browser.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDir, chromiumPath, launchChromium, startServer, stopServer } from './server.mjs';

const skip = !existsSync(chromiumPath) && `no Chromium at ${chromiumPath} (apt-get install chromium)`;

let server;
let base;
let context;
let profileDir;
let uploadsDir;

before(async () => {
  if (skip) return;
  uploadsDir = mkdtempSync(join(tmpdir(), 'gannet-demo-uploads-'));
  ({ server, base } = await startServer('demo', ['--threads', '2', '--uploads', uploadsDir]));
  // A fresh profile every run; playwright takes it as the persistent context's directory.
  ({ context, profileDir } = await launchChromium('gannet-chromium-',
    { viewport: { width: 1280, height: 900 } }));
});

after(async () => {
  if (context) await context.close();
  await stopServer(server);
  for (const d of [profileDir, uploadsDir]) if (d) rmSync(d, { recursive: true, force: true });
});

async function openTab(name) {
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(m.text()); });
  await page.goto(base + '/');
  await page.fill('#chat-name', name);
  await page.dispatchEvent('#chat-name', 'change');
  await page.waitForSelector('#chat-status.ok', { timeout: 10_000 });
  return page;
}

async function say(page, text) {
  await page.fill('#chat-text', text);
  await page.click('#chat-form button');
}

test('demo page: chat, dashboard, upload, load test, screenshot', { skip, timeout: 120_000 }, async () => {
  const alice = await openTab('alice');
  const bob = await openTab('bob');

  // Both tabs are in the room: the presence count reaches 2 in each.
  for (const p of [alice, bob]) {
    await p.waitForFunction(() => Number(document.getElementById('chat-online').textContent) >= 2);
  }

  // Chat both ways, through pub/sub (the tabs may sit on different workers).
  await say(alice, 'hello from alice <b>not bold</b>');
  await bob.waitForSelector('#chat-log li:has-text("hello from alice")', { timeout: 10_000 });
  const shown = await bob.textContent('#chat-log li:has-text("hello from alice")');
  assert.match(shown, /alice/);
  assert.match(shown, /<b>not bold<\/b>/, 'HTML in a message is shown as text');
  await say(bob, 'hi alice, bob here');
  await alice.waitForSelector('#chat-log li.me:has-text("hello from alice")');
  await alice.waitForSelector('#chat-log li:has-text("bob here")', { timeout: 10_000 });

  // The dashboard updates from the SSE stream once a second.
  await alice.waitForFunction(() => Number(document.body.dataset.samples || 0) >= 2, null, { timeout: 10_000 });
  const before = Number(await alice.evaluate(() => document.body.dataset.samples));
  await alice.waitForFunction((n) => Number(document.body.dataset.samples) > n, before, { timeout: 5_000 });
  assert.notEqual(await alice.textContent('#stat-rss'), '–');
  assert.match(await alice.textContent('#stat-rss'), /MiB/);
  const websockets = await alice.$$eval('#workers tbody tr', (rows) =>
    rows.reduce((n, r) => n + Number(r.cells[3].textContent), 0));
  assert.ok(websockets >= 2, `two chat sockets counted on the workers, saw ${websockets}`);

  // Upload 3 MiB with progress; the file lands on disk whole.
  const size = 3 * 1024 * 1024 + 17;
  const data = Buffer.alloc(size, 0x61);
  await alice.setInputFiles('#upload-file', { name: 'three.bin', mimeType: 'application/octet-stream', buffer: data });
  await alice.click('#upload-go');
  await alice.waitForFunction((n) => document.getElementById('upload-result').dataset.bytes === String(n), size, { timeout: 30_000 });
  assert.equal(await alice.evaluate(() => document.getElementById('upload-progress').value), size);
  const stored = readdirSync(uploadsDir).map((f) => statSync(join(uploadsDir, f)).size);
  assert.ok(stored.includes(size), `a ${size}-byte file in ${uploadsDir}: ${stored}`);

  // The load test: 1 s, 32 in flight; then one more dashboard sample to show it.
  await alice.selectOption('#load-secs', '1');
  await alice.click('#load-go');
  await alice.waitForFunction(() => Number(document.getElementById('load-result').dataset.total || 0) > 0, null, { timeout: 20_000 });
  const total = Number(await alice.evaluate(() => document.getElementById('load-result').dataset.total));
  assert.ok(total > 10, `the load test made ${total} requests`);
  assert.match(await alice.textContent('#load-result'), /req\/s/);
  const samples = Number(await alice.evaluate(() => document.body.dataset.samples));
  await alice.waitForFunction((n) => Number(document.body.dataset.samples) > n, samples, { timeout: 5_000 });
  await say(bob, 'that was quick');
  await alice.waitForSelector('#chat-log li:has-text("that was quick")');

  const shot = join(buildDir, 'demo.png');
  await alice.screenshot({ path: shot, fullPage: true });
  assert.ok(statSync(shot).size > 10_000, 'a screenshot was written');

  for (const p of [alice, bob]) assert.deepEqual(p.errors, [], 'no errors in the page');

  // Closing a tab leaves the room.
  await bob.close();
  await alice.waitForFunction(() => Number(document.getElementById('chat-online').textContent) === 1, null, { timeout: 10_000 });
});
