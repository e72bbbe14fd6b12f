// Bun baseline: Bun.serve with its route table, the way a Bun team writes it.
//
//   bun server.js --port N      (one process; Bun runs JavaScript on one thread)
//
// Realtime routes (the same as Gannet's examples/hello):
//   GET  /ws/echo           WebSocket: every message echoed back with the same opcode
//   GET  /ws/topic/:name    WebSocket subscribed to topic `name` (ws.subscribe)
//   POST /publish/:name     publishes the body to topic `name` (server.publish) -> 204
//   GET  /events/channel    SSE: receives every event published to the channel
//   POST /events/publish    sends the body as one event (`data: <body>`) to every follower
const i = process.argv.indexOf("--port");
const port = i >= 0 ? Number(process.argv[i + 1]) : 8080;

// SSE followers: one ReadableStream controller each; an event is encoded once and enqueued to all.
const followers = new Set();
const encoder = new TextEncoder();
let eventSeq = 0;

const server = Bun.serve({
  hostname: "127.0.0.1",
  port,
  websocket: {
    open(ws) {
      if (ws.data.topic) ws.subscribe(ws.data.topic);
    },
    message(ws, message) {
      if (!ws.data.topic) ws.send(message);
    },
  },
  routes: {
    "/ws/echo": (req, server) =>
      server.upgrade(req, { data: { topic: null } }) ? undefined : new Response("Upgrade required", { status: 426 }),
    "/ws/topic/:name": (req, server) =>
      server.upgrade(req, { data: { topic: req.params.name } })
        ? undefined
        : new Response("Upgrade required", { status: 426 }),
    "/publish/:name": {
      POST: async (req, server) => {
        server.publish(req.params.name, await req.text());
        return new Response(null, { status: 204 });
      },
    },
    "/events/channel": {
      GET: (req, server) => {
        server.timeout(req, 0);  // an event stream is not idle between events
        let self;
        const stream = new ReadableStream({
          start(controller) {
            self = controller;
            followers.add(controller);
            controller.enqueue(encoder.encode(": ok\n\n"));
          },
          cancel() {
            followers.delete(self);
          },
        });
        return new Response(stream, {
          headers: { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" },
        });
      },
    },
    "/events/publish": {
      POST: async (req) => {
        const body = await req.text();
        const id = ++eventSeq;
        const chunk = encoder.encode(`event: message\ndata: ${body}\nid: ${id}\n\n`);
        for (const c of followers) {
          try {
            c.enqueue(chunk);
          } catch {
            followers.delete(c);
          }
        }
        return new Response(`${id}\n`, { headers: { "Content-Type": "text/plain" } });
      },
    },
    "/": {
      GET: () => new Response("Hello, World!", { headers: { "Content-Type": "text/plain" } }),
    },
    "/json": {
      GET: () => Response.json({ message: "Hello, World!" }),
    },
    "/users/:id": {
      GET: (req) => {
        const id = req.params.id;
        if (!/^\d+$/.test(id)) return new Response("Not Found", { status: 404 });
        return Response.json({ id: Number(id) });
      },
    },
    "/echo": {
      POST: async (req) => {
        const body = await req.arrayBuffer();
        return new Response(body, {
          headers: { "Content-Type": req.headers.get("content-type") ?? "application/octet-stream" },
        });
      },
    },
  },
  fetch() {
    return new Response("Not Found", { status: 404 });
  },
});
console.log(`bun: listening on http://127.0.0.1:${server.port}`);
