"""A small, strict HTTP/1.1 client over a raw socket, for the integration tests.

It sends exactly the bytes a test gives it (malformed ones included) and parses responses
strictly: CRLF line endings, Content-Length or chunked framing, 1xx interim responses. Every
socket operation has a timeout, so a server that hangs fails a test instead of stalling it.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field

DEFAULT_TIMEOUT = 5.0


class ProtocolError(AssertionError):
    """The server's bytes were not a well-formed HTTP/1.1 response."""


@dataclass
class Response:
    status: int
    reason: str
    version: str
    headers: list[tuple[str, str]]
    body: bytes = b""
    chunks: list[bytes] = field(default_factory=list)  # chunked bodies: each chunk as sent
    trailers: list[tuple[str, str]] = field(default_factory=list)
    head_raw: bytes = b""

    def header(self, name: str, default: str | None = None) -> str | None:
        """The first header named `name` (case-insensitive)."""
        lname = name.lower()
        for k, v in self.headers:
            if k.lower() == lname:
                return v
        return default

    def header_all(self, name: str) -> list[str]:
        lname = name.lower()
        return [v for k, v in self.headers if k.lower() == lname]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    @property
    def closes(self) -> bool:
        """True when the response announces `Connection: close`."""
        return any(t.strip().lower() == "close" for v in self.header_all("Connection") for t in v.split(","))

    def __repr__(self) -> str:  # short, for assertion messages
        return f"<Response {self.status} {self.headers!r} body={self.body[:200]!r}>"


class RawConnection:
    """One TCP connection to the server with a read buffer."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = DEFAULT_TIMEOUT):
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.buf = b""

    # --- context manager -------------------------------------------------------------------
    def __enter__(self) -> "RawConnection":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    # --- sending -----------------------------------------------------------------------------
    def send(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def request(self, method: str, target: str, headers: dict | list | None = None,
                body: bytes | None = None, version: str = "HTTP/1.1",
                host: str | None = "localhost") -> None:
        """Sends a well-formed request (Content-Length added when a body is given)."""
        self.send(build_request(method, target, headers, body, version, host))

    # --- receiving ---------------------------------------------------------------------------
    def _fill(self, deadline: float) -> bytes:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("read timed out")
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        finally:
            self.sock.settimeout(self.timeout)
        if data:
            self.buf += data
        return data

    def _read_until(self, marker: bytes, deadline: float, what: str) -> bytes:
        while True:
            i = self.buf.find(marker)
            if i >= 0:
                out, self.buf = self.buf[: i + len(marker)], self.buf[i + len(marker):]
                return out
            if not self._fill(deadline):
                raise ProtocolError(f"connection closed while reading {what}; got {self.buf[:300]!r}")

    def _read_exact(self, n: int, deadline: float, what: str) -> bytes:
        while len(self.buf) < n:
            if not self._fill(deadline):
                raise ProtocolError(
                    f"connection closed while reading {what}: {len(self.buf)} of {n} bytes")
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_head(self, timeout: float | None = None) -> Response:
        """Reads one status line and header section (an interim 1xx included)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        raw = self._read_until(b"\r\n\r\n", deadline, "a response head")
        return parse_head(raw)

    def read_response(self, method: str = "GET", timeout: float | None = None,
                      skip_interim: bool = True) -> Response:
        """Reads one complete response. With skip_interim, 1xx responses are skipped."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            raw = self._read_until(b"\r\n\r\n", deadline, "a response head")
            res = parse_head(raw)
            if 100 <= res.status < 200 and res.status != 101:
                if skip_interim:
                    continue
                return res
            break
        if method == "HEAD" or res.status in (204, 304) or 100 <= res.status < 200:
            return res
        te = res.header("Transfer-Encoding")
        cl = res.header_all("Content-Length")
        if te is not None:
            if cl:
                raise ProtocolError(f"response has both Transfer-Encoding and Content-Length: {res!r}")
            if te.strip().lower() != "chunked":
                raise ProtocolError(f"unexpected Transfer-Encoding {te!r}")
            self._read_chunked(res, deadline)
        elif cl:
            if len(cl) != 1 or not cl[0].isdigit():
                raise ProtocolError(f"bad Content-Length {cl!r}")
            res.body = self._read_exact(int(cl[0]), deadline, "the response body")
        else:
            # Delimited by close.
            while self._fill(deadline):
                pass
            res.body, self.buf = self.buf, b""
        return res

    def _read_chunked(self, res: Response, deadline: float) -> None:
        body = []
        while True:
            line = self._read_until(b"\r\n", deadline, "a chunk size line")[:-2]
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise ProtocolError(f"bad chunk size line {line!r}") from None
            if size == 0:
                break
            data = self._read_exact(size, deadline, "chunk data")
            if self._read_exact(2, deadline, "chunk CRLF") != b"\r\n":
                raise ProtocolError("missing CRLF after chunk data")
            res.chunks.append(data)
            body.append(data)
        while True:
            line = self._read_until(b"\r\n", deadline, "the trailer section")[:-2]
            if not line:
                break
            name, sep, value = line.decode("latin-1").partition(":")
            if not sep:
                raise ProtocolError(f"bad trailer line {line!r}")
            res.trailers.append((name, value.strip()))
        res.body = b"".join(body)

    def read_available(self, wait: float = 0.3) -> bytes:
        """Whatever arrives within `wait` seconds (for asserting that nothing arrived)."""
        deadline = time.monotonic() + wait
        try:
            while self._fill(deadline):
                pass
        except (socket.timeout, TimeoutError):
            pass
        except ConnectionResetError:
            pass
        out, self.buf = self.buf, b""
        return out

    def is_closed(self, timeout: float | None = None) -> bool:
        """True when the server has closed the connection (EOF or reset) within `timeout`,
        with no further bytes. Any stray bytes are a failure: they would be a response to
        nothing."""
        deadline = time.monotonic() + (timeout or self.timeout)
        if self.buf:
            raise ProtocolError(f"unexpected bytes after the response: {self.buf[:200]!r}")
        try:
            data = self._fill(deadline)
        except (socket.timeout, TimeoutError):
            return False
        except (ConnectionResetError, BrokenPipeError):
            return True
        if data:
            raise ProtocolError(f"unexpected bytes after the response: {data[:200]!r}")
        return True


def build_request(method: str, target: str, headers: dict | list | None = None,
                  body: bytes | None = None, version: str = "HTTP/1.1",
                  host: str | None = "localhost") -> bytes:
    items = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
    names = {k.lower() for k, _ in items}
    lines = [f"{method} {target} {version}"]
    if host is not None and "host" not in names:
        lines.append(f"Host: {host}")
    lines += [f"{k}: {v}" for k, v in items]
    if body is not None and "content-length" not in names and "transfer-encoding" not in names:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


def parse_head(raw: bytes) -> Response:
    text = raw.decode("latin-1")
    if "\n" in text.replace("\r\n", ""):
        raise ProtocolError(f"bare LF in response head: {raw!r}")
    lines = text[:-4].split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise ProtocolError(f"bad status line {lines[0]!r}")
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise ProtocolError(f"bad header line {line!r}")
        headers.append((name, value.strip()))
    return Response(status=int(parts[1]), reason=parts[2] if len(parts) > 2 else "",
                    version=parts[0], headers=headers, head_raw=raw)


def chunked(*pieces: bytes, trailers: str = "", ext: str = "") -> bytes:
    """Encodes `pieces` as a chunked body (each piece one chunk)."""
    out = b""
    for p in pieces:
        out += f"{len(p):x}{ext}\r\n".encode() + p + b"\r\n"
    return out + b"0\r\n" + trailers.encode("latin-1") + b"\r\n"


def get(port: int, target: str, headers: dict | None = None, method: str = "GET",
        body: bytes | None = None, timeout: float = DEFAULT_TIMEOUT) -> Response:
    """One request on a fresh connection."""
    with RawConnection(port, timeout=timeout) as c:
        c.request(method, target, headers, body)
        return c.read_response(method)
