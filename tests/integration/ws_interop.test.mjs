// The npm `ws` client against examples/hello: /ws/echo with and without permessage-deflate
// (text, binary, large, fragmented, ping/pong, close codes) and /ws/topic pub/sub.
// Run: GANNET_BUILD_DIR=build/release node --test <this file>
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { requireDep, startServer, stopServer } from './server.mjs';

const WebSocket = requireDep('ws');

let server;
let port;

before(async () => {
  ({ server, port } = await startServer('hello', ['--threads', '2', '--shutdown-timeout', '2000']));
});

after(() => stopServer(server));

function open(path, options = {}) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, options);
  const messages = [];
  const waiters = [];
  ws.on('message', (data, isBinary) => {
    const m = { data, isBinary };
    const w = waiters.shift();
    if (w) w(m); else messages.push(m);
  });
  ws.next = () => new Promise((resolve, reject) => {
    const m = messages.shift();
    if (m) return resolve(m);
    const t = setTimeout(() => reject(new Error('no message within 10 s')), 10000);
    waiters.push((x) => { clearTimeout(t); resolve(x); });
  });
  ws.opened = new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.closedWith = new Promise((resolve) => ws.once('close', (code, reason) =>
    resolve({ code, reason: reason.toString() })));
  return ws;
}

for (const perMessageDeflate of [true, false]) {
  test(`echo with perMessageDeflate=${perMessageDeflate}`, async () => {
    const ws = open('/ws/echo', { perMessageDeflate });
    await ws.opened;
    assert.equal(ws.extensions.includes('permessage-deflate'), perMessageDeflate);
    for (const text of ['hello', '', 'κόσμε 🐦', 'y'.repeat(200000)]) {
      ws.send(text);
      const m = await ws.next();
      assert.equal(m.isBinary, false);
      assert.equal(m.data.toString(), text);
    }
    const bin = Buffer.from(Array.from({ length: 70000 }, (_, i) => i & 0xff));
    ws.send(bin);
    const m = await ws.next();
    assert.equal(m.isBinary, true);
    assert.ok(Buffer.compare(m.data, bin) === 0);
    // A fragmented message.
    ws.send('frag', { fin: false });
    ws.send('mented', { fin: true });
    assert.equal((await ws.next()).data.toString(), 'fragmented');
    // Ping with payload.
    const pong = new Promise((resolve) => ws.once('pong', resolve));
    ws.ping('are you there');
    assert.equal((await pong).toString(), 'are you there');
    // Many messages in flight, in order.
    for (let i = 0; i < 300; i++) ws.send(`n${i}`);
    for (let i = 0; i < 300; i++) assert.equal((await ws.next()).data.toString(), `n${i}`);
    ws.close(4001, 'bye');
    const closed = await ws.closedWith;
    assert.equal(closed.code, 4001);
  });
}

test('pub/sub: every subscriber gets every message in order', async () => {
  const n = 40;
  const subs = Array.from({ length: n }, () => open('/ws/topic/node', { perMessageDeflate: true }));
  await Promise.all(subs.map((s) => s.opened));
  const publish = async (body) => {
    const r = await fetch(`http://127.0.0.1:${port}/publish/node`, { method: 'POST', body });
    assert.equal(r.status, 204);
  };
  // Probe until every subscription is registered (it happens just after the 101); the
  // probes are skipped when the numbered messages are checked.
  const probed = subs.map(() => false);
  subs.forEach((s, k) => s.on('message', (d) => { if (d.toString() === 'probe') probed[k] = true; }));
  for (let i = 0; i < 100 && !probed.every(Boolean); i++) {
    await publish('probe');
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(probed.every(Boolean), 'every subscriber saw a probe');
  const got = subs.map(() => []);
  const done = Promise.all(subs.map(async (s, k) => {
    while (got[k].length < 20) {
      const m = (await s.next()).data.toString();
      if (m !== 'probe') got[k].push(m);
    }
  }));
  for (let i = 0; i < 20; i++) await publish(String(i));
  await done;
  const expected = Array.from({ length: 20 }, (_, i) => String(i));
  for (const g of got) assert.deepEqual(g, expected);
  for (const s of subs) s.close();
  await Promise.all(subs.map((s) => s.closedWith));
});
