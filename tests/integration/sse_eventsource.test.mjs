// The npm `eventsource` client (v4, a WHATWG EventSource for Node) against examples/hello:
// /events ticks with increasing ids, reconnection with Last-Event-ID, and a channel followed
// through /events/channel. Run: GANNET_BUILD_DIR=build/release node --test <this file>
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { requireDep, startServer, stopServer } from './server.mjs';

const { EventSource } = requireDep('eventsource');

let server;
let base;

before(async () => {
  ({ server, base } = await startServer('hello', ['--threads', '2', '--shutdown-timeout', '2000']));
});

after(() => stopServer(server));

function collect(es, type, n) {
  return new Promise((resolve, reject) => {
    const got = [];
    es.addEventListener(type, (e) => {
      got.push(e);
      if (got.length === n) resolve(got);
    });
    setTimeout(() => reject(new Error(`only ${got.length} of ${n} '${type}' events`)), 10000);
  });
}

test('ticks arrive with increasing ids', async () => {
  const es = new EventSource(`${base}/events`);
  try {
    const opened = new Promise((resolve) => { es.onopen = resolve; });
    const events = await collect(es, 'tick', 5);
    await opened;
    assert.deepEqual(events.map((e) => e.lastEventId), ['1', '2', '3', '4', '5']);
    assert.deepEqual(events.map((e) => e.data), ['1', '2', '3', '4', '5']);
  } finally {
    es.close();
  }
});

test('resumes after Last-Event-ID when the stream ends', async () => {
  // A fetch that ends each response after its first event, so the client must reconnect,
  // and records the Last-Event-ID header it sends.
  const sent = [];
  const fetchOnce = async (url, init) => {
    const headers = new Headers(init.headers);
    sent.push(headers.get('last-event-id'));
    const res = await fetch(url, init);
    const reader = res.body.getReader();
    let first = true;
    const body = new ReadableStream({
      async pull(controller) {
        try {
          if (!first) {
            await reader.cancel().catch(() => {});
            controller.close();
            return;
          }
          const { value, done } = await reader.read();
          if (done) { controller.close(); return; }
          first = false;
          controller.enqueue(value);
        } catch {
          controller.close();  // es.close() aborted the request
        }
      },
    });
    return new Response(body, { status: res.status, headers: res.headers });
  };
  const es = new EventSource(`${base}/events`, { fetch: fetchOnce });
  try {
    const events = await collect(es, 'tick', 3);
    assert.deepEqual(events.map((e) => e.lastEventId), ['1', '2', '3']);
    assert.equal(sent[0], null);
    assert.equal(sent[1], '1');
    assert.equal(sent[2], '2');
  } finally {
    es.close();
  }
});

test('a channel reaches every follower, across workers', async () => {
  const clients = Array.from({ length: 6 }, () => new EventSource(`${base}/events/channel`));
  try {
    await Promise.all(clients.map((es) => new Promise((resolve) => { es.onopen = resolve; })));
    await new Promise((r) => setTimeout(r, 100));
    const waits = clients.map((es) => collect(es, 'message', 2));
    for (const body of ['hello', 'multi\nline']) {
      const res = await fetch(`${base}/events/publish`, { method: 'POST', body });
      assert.equal(res.status, 200);
    }
    for (const events of await Promise.all(waits)) {
      assert.deepEqual(events.map((e) => e.data), ['hello', 'multi\nline']);
      assert.equal(Number(events[1].lastEventId), Number(events[0].lastEventId) + 1);
    }
  } finally {
    clients.forEach((es) => es.close());
  }
});
