"""Request bodies streamed through POST /echo with bounded memory: a 1 GiB upload (64 MiB
under sanitizers), chunked and slow uploads with curl, aiohttp streaming both ways, and
clients that go away mid-upload."""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import subprocess
import threading
import time

import pytest

import rawhttp
from conftest import BUILD_DIR, SANITIZED

BIG = (64 << 20) if (SANITIZED or str(BUILD_DIR).endswith("asan")) else (1 << 30)


@pytest.fixture(scope="module")
def server(_module_factory):
    # ASan's quarantine keeps freed blocks (up to 256 MiB) out of reuse, which would look like
    # growth in the RSS check: keep it small.
    return _module_factory("hello", threads=1, env={
        "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:halt_on_error=1:quarantine_size_mb=4"})


def vm(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise AssertionError(key)


def block(i: int) -> bytes:
    """1 MiB of data generated on the fly (different per block, cheap)."""
    return hashlib.sha256(i.to_bytes(8, "little")).digest() * (1 << 15)


def test_big_upload_streams_back(server):
    rawhttp.get(server.port, "/")
    before = vm(server.pid, "VmRSS")
    s = socket.create_connection(("127.0.0.1", server.port), timeout=20)
    s.sendall(f"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: {BIG}\r\n"
              f"Content-Type: application/octet-stream\r\n\r\n".encode())
    sent_hash = hashlib.sha256()
    errors = []

    def writer():
        try:
            for i in range(BIG >> 20):
                b = block(i)
                sent_hash.update(b)
                s.sendall(b)
        except OSError as e:
            errors.append(e)

    t0 = time.monotonic()
    th = threading.Thread(target=writer)
    th.start()
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += s.recv(65536)
    head, _, rest = buf.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    assert f"Content-Length: {BIG}".encode() in head
    got_hash = hashlib.sha256(rest)
    n = len(rest)
    mem = bytearray(1 << 20)
    view = memoryview(mem)
    peak = 0
    while n < BIG:
        k = s.recv_into(view)
        if k == 0:
            break
        got_hash.update(view[:k])
        n += k
        if (n >> 26) != ((n - k) >> 26):  # every 64 MiB
            peak = max(peak, vm(server.pid, "VmRSS"))
    th.join()
    s.close()
    elapsed = time.monotonic() - t0
    after = vm(server.pid, "VmRSS")
    assert not errors
    assert n == BIG
    assert got_hash.digest() == sent_hash.digest()
    growth = max(after, peak) - before
    print(f"\nupload+echo of {BIG} bytes in {elapsed:.2f}s: server VmRSS {before >> 10} KiB -> "
          f"peak {peak >> 10} KiB, after {after >> 10} KiB (growth {growth >> 10} KiB)")
    assert growth < 64 << 20


def test_chunked_upload_with_curl(server, tmp_path):
    data = os.urandom(3 << 20)
    src = tmp_path / "in.bin"
    src.write_bytes(data)
    # -T - reads stdin: no length known, so curl sends Transfer-Encoding: chunked
    with open(src, "rb") as f:
        r = subprocess.run(["curl", "-sS", "-X", "POST", "-T", "-", "-D", "/dev/stderr",
                            f"http://127.0.0.1:{server.port}/echo"], stdin=f,
                           capture_output=True, timeout=20)
    assert r.returncode == 0, r.stderr
    assert r.stdout == data
    assert b"transfer-encoding: chunked" in r.stderr.lower()


def test_slow_upload_with_curl(server, tmp_path):
    data = os.urandom(1 << 20)
    src = tmp_path / "slow.bin"
    src.write_bytes(data)
    t0 = time.monotonic()
    p = subprocess.Popen(["curl", "-sS", "--limit-rate", "200k", "--data-binary", f"@{src}",
                          "-H", "Content-Type: application/octet-stream",
                          f"http://127.0.0.1:{server.port}/echo"], stdout=subprocess.PIPE)
    time.sleep(0.5)
    for _ in range(10):  # the same worker keeps answering others
        assert rawhttp.get(server.port, "/").status == 200
    out, _ = p.communicate(timeout=20)
    assert p.returncode == 0 and out == data
    print(f"\nslow upload: 1 MiB in {time.monotonic() - t0:.1f}s")


def test_aiohttp_streaming_both_ways(server):
    aiohttp = pytest.importorskip("aiohttp")
    size = 64 << 20

    async def main():
        sent = hashlib.sha256()

        async def gen():
            for i in range(size >> 20):
                b = block(i + 1000)
                sent.update(b)
                yield b

        got = hashlib.sha256()
        n = 0
        async with aiohttp.ClientSession() as session:
            async with session.post(f"http://127.0.0.1:{server.port}/echo", data=gen()) as resp:
                assert resp.status == 200
                async for chunk in resp.content.iter_chunked(1 << 16):
                    got.update(chunk)
                    n += len(chunk)
        return n, sent.digest(), got.digest()

    n, a, b = asyncio.run(main())
    assert n == size and a == b


def test_client_disconnects_mid_upload(server):
    rawhttp.get(server.port, "/")
    fds = len(os.listdir(f"/proc/{server.pid}/fd"))
    for _ in range(5):
        s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        s.sendall(f"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: {100 << 20}\r\n\r\n".encode())
        # (the echo is not read: the server's writes back up, so keep it to what the socket
        # buffers hold, then vanish)
        s.sendall(block(0))
        s.close()
    # chunked, cut inside a chunk
    s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
              b"100000\r\n" + block(0)[:1000])
    s.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(os.listdir(f"/proc/{server.pid}/fd")) > fds:
        time.sleep(0.05)
    assert len(os.listdir(f"/proc/{server.pid}/fd")) <= fds
    r = rawhttp.get(server.port, "/echo", method="POST", body=b"still here")
    assert r.status == 200 and r.body == b"still here"
