#!/usr/bin/env python3
"""Fails when a file includes a layer above its own, or when http, ws or sse make a system call
(docs/architecture.md, "Layers").

Layers, bottom to top: io, net (connect, name resolution), http, ws and sse (side by side;
neither includes the other), clients (HTTP client, reverse proxy, later databases), app.
A file under src/<layer>/ may include src/<lower or same layer>/ headers and public headers
(<gannet/...>) of a lower or the same layer; a public header may include public headers of a
lower or the same layer. Every public header is mapped below: a new one must be added here.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]

RANK = {"io": 0, "net": 1, "http": 2, "ws": 3, "sse": 3, "clients": 4, "app": 5}

# The layer each public header belongs to.
PUBLIC = {
    "task.hpp": "io",
    "cancel.hpp": "io",
    "runtime.hpp": "io",
    "detail/timer_node.hpp": "io",
    "detail/assert.hpp": "io",
    "log.hpp": "io",
    "net.hpp": "net",
    "http_types.hpp": "http",
    "fields.hpp": "http",
    "url.hpp": "http",
    "cookie.hpp": "http",
    "detail/route_param.hpp": "http",
    "response.hpp": "http",
    "request.hpp": "http",
    "response_stream.hpp": "http",
    "body.hpp": "http",
    "multipart.hpp": "http",
    "static_files.hpp": "http",
    "websocket.hpp": "ws",
    "sse.hpp": "sse",
    "client.hpp": "clients",
    "app.hpp": "app",
    "middleware.hpp": "app",
    "json.hpp": "app",
    "gannet.hpp": "app",
}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def layer_of_include(kind, target):
    if kind == "<" and target.startswith("gannet/"):
        name = target[len("gannet/"):]
        return PUBLIC.get(name, "?" + name)
    if kind == '"':
        top = target.split("/", 1)[0]
        if top in RANK:
            return top
    return None  # system, third-party or test headers


def check(path, own):
    errors = []
    text = path.read_text(encoding="utf-8", errors="replace")
    for m in INCLUDE.finditer(text):
        layer = layer_of_include(m.group(1), m.group(2))
        if layer is None:
            continue
        line = text.count("\n", 0, m.start()) + 1
        where = f"{path.relative_to(ROOT)}:{line}"
        if layer.startswith("?"):
            errors.append(f"{where}: public header {m.group(2)} has no layer in tests/lint/layers.py")
        elif RANK[layer] > RANK[own] or (RANK[layer] == RANK[own] and layer != own):
            errors.append(f"{where}: {own} includes {m.group(2)} ({layer})")
    return errors


# System calls on sockets and files belong to io (docs/architecture.md, "Layers"): the layers
# that sit on a stream or an exchange make none.
NO_SYSCALLS = ("http", "ws", "sse")
SYSCALL = re.compile(r"(?<![\w.>])::(recv|recvfrom|recvmsg|send|sendto|sendmsg|sendfile|read|"
                     r"write|readv|writev|pread|pwrite|shutdown|setsockopt|getsockopt|accept|"
                     r"accept4|connect|socket|close|epoll_\w+|poll|select)\s*\(")


def check_syscalls(path):
    text = path.read_text(encoding="utf-8", errors="replace")
    return [f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 1}: "
            f"system call ::{m.group(1)} above io" for m in SYSCALL.finditer(text)]


def main():
    errors = []
    for layer in NO_SYSCALLS:
        for path in sorted((ROOT / "src" / layer).glob("*.[ch]pp")):
            errors += check_syscalls(path)
    for layer in RANK:
        for path in sorted((ROOT / "src" / layer).glob("*.[ch]pp")):
            errors += check(path, layer)
    for path in sorted((ROOT / "include" / "gannet").rglob("*.hpp")):
        name = path.relative_to(ROOT / "include" / "gannet").as_posix()
        own = PUBLIC.get(name)
        if own is None:
            errors.append(f"{path.relative_to(ROOT)}: no layer in tests/lint/layers.py")
            continue
        errors += check(path, own)
    unknown = [p for p in (ROOT / "src").iterdir() if p.is_dir() and p.name not in RANK]
    errors += [f"src/{p.name}/: a folder with no layer in tests/lint/layers.py" for p in unknown]
    for e in errors:
        print(e)
    print(f"layers: {len(errors)} upward include(s)" if errors else "layers: ok")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
