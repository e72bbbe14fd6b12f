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
