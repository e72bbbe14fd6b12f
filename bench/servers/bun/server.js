// Bun baseline: Bun.serve with its route table, the way a Bun team writes it.
//
//   bun server.js --port N      (one process; Bun runs JavaScript on one thread)
const i = process.argv.indexOf("--port");
const port = i >= 0 ? Number(process.argv[i + 1]) : 8080;

const server = Bun.serve({
  hostname: "127.0.0.1",
  port,
  routes: {
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
