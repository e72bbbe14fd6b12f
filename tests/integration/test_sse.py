"""Server-Sent Events against examples/hello: /events (an event every 100 ms, resumable) and
/events/channel + POST /events/publish (a channel with replay, fanned out across workers)."""

from __future__ import annotations

import signal
import socket
import subprocess
import time

from conftest import SLOW


class SseClient:
    """A raw-socket SSE client: chunked decoding and event parsing done here, byte by byte."""

    def __init__(self, port: int, path: str, headers: dict | None = None, method: str = "GET"):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5 * SLOW)
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self.sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n"
                          f"{extra}\r\n".encode())
        self.raw = b""
        self.body = b""
        self.status, self.headers = self._read_head()

    def _recv(self) -> bool:
        data = self.sock.recv(65536)
        if not data:
            return False
        self.raw += data
        return True

    def _read_head(self):
        while b"\r\n\r\n" not in self.raw:
            if not self._recv():
                raise AssertionError(f"connection closed before the head: {self.raw!r}")
        head, _, self.raw = self.raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        return status, headers

    def _dechunk(self) -> bool:
        """Moves complete chunks from raw to body; False at the last chunk."""
        while True:
            line, sep, rest = self.raw.partition(b"\r\n")
            if not sep:
                return True
            size = int(line, 16)
            if size == 0:
                return False
            if len(rest) < size + 2:
                return True
            assert rest[size:size + 2] == b"\r\n"
            self.body += rest[:size]
            self.raw = rest[size + 2:]

    def next_block(self) -> bytes | None:
        """The next event-stream block (up to a blank line), or None at the end of the stream."""
        while b"\n\n" not in self.body:
            if not self._dechunk():
                return None
            if b"\n\n" in self.body:
                break
            if not self._recv():
                return None
        block, _, self.body = self.body.partition(b"\n\n")
        return block

    def next_event(self) -> dict | None:
        """The next dispatched event as {'event', 'data', 'id'} (comments skipped)."""
        while True:
            block = self.next_block()
            if block is None:
                return None
            ev = {"event": "message", "data": [], "id": None}
            for line in block.decode().split("\n"):
                if line.startswith(":"):
                    continue
                name, _, value = line.partition(":")
                if value.startswith(" "):
                    value = value[1:]
                if name == "data":
                    ev["data"].append(value)
                elif name in ("event", "id"):
                    ev[name] = value
            if ev["data"]:
                ev["data"] = "\n".join(ev["data"])
                return ev

    def close(self):
        self.sock.close()


def get(port: int, path: str) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return int(data.split()[1]), data.partition(b"\r\n\r\n")[2]


def publish(port: int, body: str) -> int:
    b = body.encode()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"POST /events/publish HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                  b"Content-Length: " + str(len(b)).encode() + b"\r\n\r\n" + b)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 200"), data
    return int(data.partition(b"\r\n\r\n")[2].strip())


def test_headers(hello):
    c = SseClient(hello.port, "/events")
    try:
        assert c.status == 200
        assert c.headers["content-type"].startswith("text/event-stream")
        assert c.headers["cache-control"] == "no-cache"
        assert c.headers["x-accel-buffering"] == "no"
        assert c.headers["transfer-encoding"] == "chunked"
        assert "content-length" not in c.headers
    finally:
        c.close()


def test_events_every_100ms_with_increasing_ids(hello):
    c = SseClient(hello.port, "/events")
    try:
        start = time.monotonic()
        events = [c.next_event() for _ in range(6)]
        elapsed = time.monotonic() - start
        assert [e["id"] for e in events] == [str(i) for i in range(1, 7)]
        assert all(e["event"] == "tick" and e["data"] == e["id"] for e in events)
        # Six events: the first at once, then five 100 ms apart.
        assert 0.4 <= elapsed <= 2.0 * SLOW, elapsed
    finally:
        c.close()


def test_resume_after_last_event_id(hello):
    c = SseClient(hello.port, "/events", {"Last-Event-ID": "41"})
    try:
        assert [c.next_event()["id"] for _ in range(3)] == ["42", "43", "44"]
    finally:
        c.close()


def test_head_request_has_no_body(hello):
    c = SseClient(hello.port, "/events", method="HEAD")
    try:
        assert c.status == 200
        assert c.headers["content-type"].startswith("text/event-stream")
        c.sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")  # the connection is still usable
        while b"Hello, World!" not in c.raw:
            assert c._recv()
        assert c.raw.startswith(b"HTTP/1.1 200")
    finally:
        c.close()


def test_curl_sees_the_stream(hello):
    out = subprocess.run(["curl", "-sN", "--max-time", str(0.55 * SLOW),
                          f"http://127.0.0.1:{hello.port}/events"],
                         capture_output=True, text=True)
    assert out.stdout.startswith("event: tick\nid: 1\ndata: 1\n\n"), out.stdout
    assert "id: 3\n" in out.stdout


def test_client_disconnect_ends_the_handler(hello):
    clients = [SseClient(hello.port, "/events") for _ in range(20)]
    for c in clients:
        assert c.next_event()["id"] == "1"
    for c in clients:
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        c.close()
    time.sleep(0.5 * SLOW)
    assert get(hello.port, "/") == (200, b"Hello, World!")
    # Half-closed too: the handler sees the FIN and stops.
    c = SseClient(hello.port, "/events")
    assert c.next_event()["id"] == "1"
    c.sock.shutdown(socket.SHUT_WR)
    time.sleep(0.6 * SLOW)
    c.sock.settimeout(2 * SLOW)
    rest = b""
    try:
        while chunk := c.sock.recv(65536):
            rest += chunk
    except OSError:
        pass
    c.close()
    assert rest.count(b"event: tick") <= 8, rest  # it stopped, not ran on for 2 s


def test_channel_fan_out_across_workers_with_replay(hello):
    assert hello.threads == 2
    subs = [SseClient(hello.port, "/events/channel") for _ in range(8)]
    time.sleep(0.2 * SLOW)  # let every subscription register
    seqs = [publish(hello.port, f"m{i}") for i in range(3)]
    assert seqs == list(range(seqs[0], seqs[0] + 3))
    for s in subs:
        got = [s.next_event() for _ in range(3)]
        assert [e["data"] for e in got] == ["m0", "m1", "m2"]
        assert [e["id"] for e in got] == [str(n) for n in seqs]
    # Multi-line data arrives as several data: lines and is joined back.
    publish(hello.port, "line1\nline2\r\nline3")
    for s in subs:
        assert s.next_event()["data"] == "line1\nline2\nline3"
    for s in subs:
        s.close()
    # Resume after the first event: the rest are replayed, then live ones follow, once each.
    r = SseClient(hello.port, "/events/channel", {"Last-Event-ID": str(seqs[0])})
    try:
        replayed = [r.next_event() for _ in range(3)]
        assert [e["id"] for e in replayed] == [str(seqs[1]), str(seqs[2]), str(seqs[2] + 1)]
        live = publish(hello.port, "live")
        e = r.next_event()
        assert (e["id"], e["data"]) == (str(live), "live")
    finally:
        r.close()


def test_publish_storm_keeps_order_and_has_no_gap(hello):
    subs = [SseClient(hello.port, "/events/channel") for _ in range(4)]
    time.sleep(0.2 * SLOW)
    seqs = [publish(hello.port, f"s{i}") for i in range(30)]
    for s in subs:
        ids = [int(s.next_event()["id"]) for _ in range(30)]
        assert ids == seqs
        s.close()


def test_drain_ends_streams_promptly(start_server):
    srv = start_server("hello", threads=2, flags=["--shutdown-timeout", "5000"])
    a = SseClient(srv.port, "/events")
    b = SseClient(srv.port, "/events/channel")
    assert a.next_event()["id"] == "1"
    start = time.monotonic()
    srv.signal(signal.SIGTERM)
    while a.next_event() is not None:
        pass
    assert b.next_event() is None  # the stream ended cleanly (last chunk)
    assert srv.wait(5 * SLOW) == 0
    assert time.monotonic() - start < 2.5 * SLOW
    srv.expected_exit = True
    a.close()
    b.close()
