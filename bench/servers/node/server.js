// Node.js baseline: the `http` module, the way a Node team writes it.
//
//   node server.js --port N              one process
//   node server.js --port N --cluster    `cluster`: one worker per core (os.cpus().length,
//                                        or --workers N), the primary only forwards connections
//
// Realtime routes (the same as Gannet's examples/hello), with the `ws` npm package (installed by
// bench/setup.sh into bench/.work/node_modules) for WebSocket and plain `http` for SSE:
//   GET  /ws/echo           WebSocket: every message echoed back with the same opcode
//   GET  /ws/topic/NAME     WebSocket subscribed to topic NAME (a Set of sockets per topic)
//   POST /publish/NAME      sends the body to every socket of topic NAME -> 204
//   GET  /events/channel    SSE: receives every event published to the channel
//   POST /events/publish    writes the body as one event (`data: <body>`) to every follower
// These are per process: with --cluster a worker only reaches its own subscribers.
'use strict';
const cluster = require('node:cluster');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

let WebSocketServer = null;
for (const where of ['ws', path.join(__dirname, '..', '..', '.work', 'node_modules', 'ws')]) {
  try {
    ({ WebSocketServer } = require(where));
    break;
  } catch {
    // next
  }
}
if (!WebSocketServer) console.error('node: npm package ws not found (bench/setup.sh installs it): no WebSocket routes');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const port = Number(arg('--port', '8080'));
const useCluster = process.argv.includes('--cluster');
const workers = Number(arg('--workers', String(os.cpus().length)));
const usersRe = /^\/users\/(\d+)$/;

const topics = new Map();  // topic -> Set of WebSocket
const followers = new Set();  // SSE responses
let eventSeq = 0;
const topicRe = /^\/publish\/([^/]+)$/;

function readBody(req, done) {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => done(Buffer.concat(chunks)));
}

function handler(req, res) {
  const url = req.url;
  if (req.method === 'GET' && url === '/events/channel') {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    res.write(': ok\n\n');
    followers.add(res);
    res.on('close', () => followers.delete(res));
    return;
  }
  if (req.method === 'POST' && url === '/events/publish') {
    readBody(req, (body) => {
      const id = ++eventSeq;
      const event = `event: message\ndata: ${body.toString()}\nid: ${id}\n\n`;
      for (const f of followers) f.write(event);
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(`${id}\n`);
    });
    return;
  }
  if (req.method === 'POST') {
    const m = topicRe.exec(url);
    if (m) {
      readBody(req, (body) => {
        const subs = topics.get(m[1]);
        if (subs) for (const ws of subs) ws.send(body, { binary: false });
        res.writeHead(204);
        res.end();
      });
      return;
    }
  }
  if (req.method === 'GET' && url === '/') {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('Hello, World!');
    return;
  }
  if (req.method === 'GET' && url === '/json') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ message: 'Hello, World!' }));
    return;
  }
  if (req.method === 'GET') {
    const m = usersRe.exec(url);
    if (m) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ id: Number(m[1]) }));
      return;
    }
  }
  if (req.method === 'POST' && url === '/echo') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      res.writeHead(200, {
        'Content-Type': req.headers['content-type'] || 'application/octet-stream',
        'Content-Length': body.length,
      });
      res.end(body);
    });
    return;
  }
  res.writeHead(404, { 'Content-Type': 'text/plain' });
  res.end('Not Found');
}

if (useCluster && cluster.isPrimary) {
  let ready = 0;
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('listening', () => {
    if (++ready === workers) console.log(`node-cluster: listening on http://127.0.0.1:${port}`);
  });
  const stop = () => {
    for (const id in cluster.workers) cluster.workers[id].kill();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  const server = http.createServer(handler);
  if (WebSocketServer) {
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    server.on('upgrade', (req, socket, head) => {
      const url = req.url;
      if (url !== '/ws/echo' && !url.startsWith('/ws/topic/')) {
        socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        if (url === '/ws/echo') {
          ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
          return;
        }
        const name = url.slice('/ws/topic/'.length);
        let subs = topics.get(name);
        if (!subs) topics.set(name, (subs = new Set()));
        subs.add(ws);
        ws.on('close', () => subs.delete(ws));
      });
    });
  }
  server.listen(port, '127.0.0.1', () => {
    if (!useCluster) console.log(`node: listening on http://127.0.0.1:${port}`);
  });
}
