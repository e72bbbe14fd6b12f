"""Fixtures for the conformance tests: the server fixtures of tests/integration/conftest.py
(loaded by path, so there is one copy of them), plus a raw-socket WebSocket client that can
send anything a broken or hostile client would (RFC 6455 / RFC 7692 cases)."""

from __future__ import annotations

import base64
import importlib.util
import os
import socket
import struct
import sys
import time
import zlib
from pathlib import Path

_INTEGRATION = Path(__file__).resolve().parent.parent / "integration"
sys.path.insert(0, str(_INTEGRATION))
_spec = importlib.util.spec_from_file_location("_gannet_integration_conftest",
                                               _INTEGRATION / "conftest.py")
_it = importlib.util.module_from_spec(_spec)
sys.modules["_gannet_integration_conftest"] = _it
_spec.loader.exec_module(_it)
# Re-export the fixtures and helpers (hello, start_server, the deadline/health check, ...).
globals().update({k: v for k, v in vars(_it).items() if not k.startswith("__")})

SLOW = _it.SLOW

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class Closed(Exception):
    """The server closed the TCP connection."""


class RawWs:
    """A WebSocket client over a plain socket: frames are built by hand."""

    def __init__(self, port: int, path: str = "/ws/echo", extensions: str | None = None,
                 extra: str = "", timeout: float = 5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout * SLOW)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               f"Sec-WebSocket-Version: 13\r\n")
        if extensions:
            req += f"Sec-WebSocket-Extensions: {extensions}\r\n"
        req += extra + "\r\n"
        self.sock.sendall(req.encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Closed("closed during the handshake")
            self.buf += chunk
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        self.deflate = "permessage-deflate" in self.headers.get("sec-websocket-extensions", "")
        self._inflater = zlib.decompressobj(-15)

    # -- sending -------------------------------------------------------------------------------
    def frame(self, opcode: int, payload: bytes = b"", fin: bool = True, rsv: int = 0,
              mask: bool = True, key: bytes | None = None, length: int | None = None) -> bytes:
        b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
        n = len(payload) if length is None else length
        m = 0x80 if mask else 0
        if n < 126:
            head = struct.pack("!BB", b0, m | n)
        elif n < 65536:
            head = struct.pack("!BBH", b0, m | 126, n)
        else:
            head = struct.pack("!BBQ", b0, m | 127, n)
        if not mask:
            return head + payload
        key = os.urandom(4) if key is None else key
        return head + key + _mask(payload, key)

    def send(self, opcode: int, payload: bytes = b"", **kw) -> None:
        self.sock.sendall(self.frame(opcode, payload, **kw))

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send_close(self, code: int | None = 1000, reason: bytes = b"") -> None:
        payload = b"" if code is None else struct.pack("!H", code) + reason
        self.send(OP_CLOSE, payload)

    # -- receiving -----------------------------------------------------------------------------
    def _need(self, n: int) -> None:
        while len(self.buf) < n:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise Closed(f"closed with {len(self.buf)} of {n} bytes buffered")
            self.buf += chunk

    def recv_frame(self) -> tuple[bool, int, int, bytes]:
        """(fin, rsv, opcode, payload) of the next frame."""
        self._need(2)
        b0, b1 = self.buf[0], self.buf[1]
        assert not b1 & 0x80, "server frames must not be masked"
        n, off = b1 & 0x7F, 2
        if n == 126:
            self._need(4)
            n, off = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._need(10)
            n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
        self._need(off + n)
        payload, self.buf = self.buf[off:off + n], self.buf[off + n:]
        return bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0x0F, payload

    def recv_message(self) -> tuple[int, bytes]:
        """The next data message (opcode, payload), inflated when compressed; control frames
        other than close are skipped, a close raises AssertionError."""
        opcode, parts, compressed = None, [], False
        while True:
            fin, rsv, op, payload = self.recv_frame()
            if op in (OP_PING, OP_PONG):
                continue
            assert op != OP_CLOSE, f"unexpected close {close_code(payload)}"
            if opcode is None:
                opcode, compressed = op, bool(rsv & 4)
            parts.append(payload)
            if fin:
                break
        data = b"".join(parts)
        if compressed:
            data = self._inflater.decompress(data + b"\x00\x00\xff\xff")
        return opcode, data

    def expect_close(self, code: int | None) -> None:
        """Reads frames until a close, checks its code (None: empty payload), then expects the
        server to close the TCP connection."""
        while True:
            fin, rsv, op, payload = self.recv_frame()
            if op == OP_CLOSE:
                break
        got = close_code(payload)
        assert got == code, f"close code {got}, expected {code} (payload {payload!r})"
        self.expect_eof()

    def expect_eof(self) -> None:
        deadline = time.monotonic() + 5 * SLOW
        while time.monotonic() < deadline:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                return
            if not chunk:
                return
        raise AssertionError("the server did not close the TCP connection")

    def close(self) -> None:
        self.sock.close()


def _mask(payload: bytes, key: bytes) -> bytes:
    if not payload or key == b"\0\0\0\0":
        return payload
    n = len(payload)
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(k, "little")).to_bytes(n, "little")


def close_code(payload: bytes) -> int | None:
    return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None


def deflate_message(data: bytes) -> bytes:
    """A permessage-deflate payload: raw DEFLATE, sync-flushed, without 00 00 ff ff."""
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]
