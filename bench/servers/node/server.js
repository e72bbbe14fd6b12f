// Node.js baseline: the `http` module, the way a Node team writes it.
//
//   node server.js --port N              one process
//   node server.js --port N --cluster    `cluster`: one worker per core (os.cpus().length,
//                                        or --workers N), the primary only forwards connections
'use strict';
const cluster = require('node:cluster');
const http = require('node:http');
const os = require('node:os');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const port = Number(arg('--port', '8080'));
const useCluster = process.argv.includes('--cluster');
const workers = Number(arg('--workers', String(os.cpus().length)));
const usersRe = /^\/users\/(\d+)$/;

function handler(req, res) {
  const url = req.url;
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
  http.createServer(handler).listen(port, '127.0.0.1', () => {
    if (!useCluster) console.log(`node: listening on http://127.0.0.1:${port}`);
  });
}
