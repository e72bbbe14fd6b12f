// Node.js `http` as a reference peer for the HTTP conformance tests: default options (llhttp,
// insecureHTTPParser false, requireHostHeader true, maxHeaderSize 16 KiB). Every request is
// read to its end, then answered 200, so body framing errors surface before any response.
"use strict";
const http = require("http");

const server = http.createServer((req, res) => {
  req.on("data", () => {});
  req.on("error", () => {});
  req.on("end", () => {
    res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": "3" });
    res.end("ok\n");
  });
});
server.listen(0, "127.0.0.1", () => {
  console.log(`node: listening on http://127.0.0.1:${server.address().port}`);
});
process.on("SIGTERM", () => process.exit(0));
