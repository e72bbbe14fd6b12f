"""WebSocket interop with the Python `websockets` client (Debian python3-websockets), with and
without permessage-deflate, and pub/sub across two workers with 1 000 subscribers."""

from __future__ import annotations

import asyncio
import resource
import urllib.request

import pytest
import websockets

from conftest import SLOW


def _raise_fd_limit(n: int = 8192) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(n, hard), hard))


@pytest.mark.parametrize("compression", ["deflate", None])
def test_websockets_echo(hello, compression):
    async def run():
        url = f"ws://127.0.0.1:{hello.port}/ws/echo"
        async with websockets.connect(url, compression=compression, max_size=None) as ws:
            ext = ws.response_headers.get("Sec-WebSocket-Extensions", "")
            assert ("permessage-deflate" in ext) == (compression == "deflate")
            for msg in ["hello", "", "κόσμε", "x" * 100_000, b"\x00\x01\xff", b"b" * 70_000]:
                await ws.send(msg)
                assert await ws.recv() == msg
            await ws.send(["frag", "mented"])  # a fragmented message
            assert await ws.recv() == "fragmented"
            pong = await ws.ping(b"ping!")
            await asyncio.wait_for(pong, 5 * SLOW)
            # Many in flight at once, answered in order.
            for i in range(500):
                await ws.send(f"m{i}")
            for i in range(500):
                assert await ws.recv() == f"m{i}"
            await ws.close(4000, "done")
            assert ws.close_code == 4000
    asyncio.run(run())


def test_websockets_message_over_limit_is_1009(hello):
    # The client sees the server's 1009 when it sends a message over the server's limit.
    async def run():
        url = f"ws://127.0.0.1:{hello.port}/ws/echo"
        async with websockets.connect(url, compression=None, max_size=None) as ws:
            with pytest.raises(websockets.ConnectionClosed) as info:
                await ws.send(b"\0" * (17 << 20))
                await asyncio.wait_for(ws.recv(), 10 * SLOW)
            assert info.value.rcvd.code == 1009
    asyncio.run(run())


def _publish(port: int, topic: str, body: bytes) -> None:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/publish/{topic}", data=body,
                                 method="POST")
    with urllib.request.urlopen(req, timeout=10 * SLOW) as r:
        assert r.status == 204


def test_pubsub_1000_subscribers_two_workers(start_server):
    _raise_fd_limit()
    server = start_server("hello", threads=2)
    subscribers, messages = 1000, 50

    async def run():
        url = f"ws://127.0.0.1:{server.port}/ws/topic/news"
        conns = []
        for i in range(0, subscribers, 100):
            conns += await asyncio.gather(*[websockets.connect(url, compression=None)
                                            for _ in range(100)])
        loop = asyncio.get_running_loop()
        # Subscriptions happen just after the 101: publish probes until every connection has
        # seen one, so that every subscriber is known to be registered.
        got_probe = [False] * subscribers
        received: list[list[str]] = [[] for _ in range(subscribers)]

        async def reader(i, ws):
            async for m in ws:
                if m == "probe":
                    got_probe[i] = True
                else:
                    received[i].append(m)

        tasks = [asyncio.create_task(reader(i, ws)) for i, ws in enumerate(conns)]
        for _ in range(200):
            await loop.run_in_executor(None, _publish, server.port, "news", b"probe")
            await asyncio.sleep(0.05)
            if all(got_probe):
                break
        assert all(got_probe), f"{got_probe.count(False)} subscribers never registered"
        for n in range(messages):
            await loop.run_in_executor(None, _publish, server.port, "news", b"%d" % n)
        expected = [str(n) for n in range(messages)]
        for _ in range(int(200 * SLOW)):
            if all(len(r) >= messages for r in received):
                break
            await asyncio.sleep(0.05)
        for i, r in enumerate(received):
            assert r == expected, f"subscriber {i}: {r[:5]}... ({len(r)} messages)"
        # Another topic reaches nobody here; closing unsubscribes.
        await loop.run_in_executor(None, _publish, server.port, "other", b"nobody")
        await asyncio.gather(*[ws.close() for ws in conns])
        for t in tasks:
            await t
        for r in received:
            assert r == expected
        await loop.run_in_executor(None, _publish, server.port, "news", b"after close")

    asyncio.run(run())


def test_pubsub_deliveries_in_slices_with_churn(start_server):
    # One worker, more subscribers than one delivery slice (1 024), messages published while
    # earlier ones are still being delivered (they join the pass under way and go out together)
    # and subscribers leaving mid-stream (holes in the list during a pass). Every subscriber
    # that stays gets every message once, in order; one that leaves gets a prefix of them.
    _raise_fd_limit()
    server = start_server("hello", threads=1)
    subscribers, messages, leave_after = 2100, 60, 20

    async def run():
        url = f"ws://127.0.0.1:{server.port}/ws/topic/sliced"
        conns = []
        for i in range(0, subscribers, 300):
            conns += await asyncio.gather(*[websockets.connect(url, compression=None)
                                            for _ in range(min(300, subscribers - i))])
        loop = asyncio.get_running_loop()
        got_probe = [False] * subscribers
        received: list[list[str]] = [[] for _ in range(subscribers)]

        async def reader(i, ws):
            try:
                async for m in ws:
                    if m == "probe":
                        got_probe[i] = True
                    else:
                        received[i].append(m)
            except websockets.ConnectionClosed:
                pass

        tasks = [asyncio.create_task(reader(i, ws)) for i, ws in enumerate(conns)]
        for _ in range(200):
            await loop.run_in_executor(None, _publish, server.port, "sliced", b"probe")
            await asyncio.sleep(0.05)
            if all(got_probe):
                break
        assert all(got_probe), f"{got_probe.count(False)} subscribers never registered"
        leaving = set(range(0, subscribers, 7))
        for n in range(messages):
            await loop.run_in_executor(None, _publish, server.port, "sliced", b"%d" % n)
            if n == leave_after:
                for i in leaving:
                    asyncio.create_task(conns[i].close())
        expected = [str(n) for n in range(messages)]
        stay = [i for i in range(subscribers) if i not in leaving]
        for _ in range(int(400 * SLOW)):
            if all(len(received[i]) >= messages for i in stay):
                break
            await asyncio.sleep(0.05)
        for i in stay:
            assert received[i] == expected, f"subscriber {i}: {received[i][:5]}... ({len(received[i])})"
        for i in leaving:
            assert received[i] == expected[:len(received[i])], f"subscriber {i} (left)"
            assert len(received[i]) >= leave_after, f"subscriber {i} (left) missed early messages"
        await asyncio.gather(*[ws.close() for ws in conns])
        for t in tasks:
            await t

    asyncio.run(run())


def _stalled_subscriber_outcome(port: int, topic: str) -> tuple[str, int | None]:
    """Subscribes to `topic` without reading, publishes ~24 MiB to it, then reads: returns
    ("closed", code) when the server closed the subscriber, ("open", None) when it kept it."""
    import socket
    import base64
    import os
    import struct

    s = socket.create_connection(("127.0.0.1", port), timeout=10 * SLOW)
    # A small receive buffer so the server's queue fills quickly.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /ws/topic/{topic} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    body = b"x" * (64 * 1024)
    for _ in range(384):
        req = urllib.request.Request(f"http://127.0.0.1:{port}/publish/{topic}", data=body,
                                     method="POST")
        with urllib.request.urlopen(req, timeout=10 * SLOW) as r:
            assert r.status == 204
    # Now read everything queued: either frames then a close frame, or frames only.
    s.settimeout(2 * SLOW)
    buf = b""
    try:
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            buf += chunk
    except socket.timeout:
        pass
    s.close()
    # Walk the frames (server frames are unmasked).
    i = 0
    while i + 2 <= len(buf):
        op, ln = buf[i] & 0x0F, buf[i + 1] & 0x7F
        j = i + 2
        if ln == 126:
            ln, j = struct.unpack("!H", buf[j:j + 2])[0], j + 2
        elif ln == 127:
            ln, j = struct.unpack("!Q", buf[j:j + 8])[0], j + 8
        if j + ln > len(buf):
            break
        if op == 0x8:
            return "closed", struct.unpack("!H", buf[j:j + 2])[0]
        i = j + ln
    return "open", None


def test_topic_policy_close_vs_drop(hello):
    # "strict" closes a subscriber that falls behind with 1013; other topics drop messages for
    # it and keep the connection (examples/hello/reference_routes.hpp).
    assert _stalled_subscriber_outcome(hello.port, "strict") == ("closed", 1013)
    assert _stalled_subscriber_outcome(hello.port, "lax") == ("open", None)
