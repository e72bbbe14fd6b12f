"""Reference peers for the HTTP conformance tests, and a raw exchange that reports what a
server did with a byte string.

- Gannet (examples/hello), nginx (a non-root, single-process instance under a temporary
  prefix, config in peers/nginx.conf.in, serving the directory Peer.files under /files/) and
  Node.js `http` (peers/node_server.js, default
  llhttp settings) on 127.0.0.1.
- exchange(port, raw) sends the bytes as one write and reports the first response's status,
  how many responses came back, and whether the server closed the connection.

Used by test_http_*.py (through pytest fixtures) and by report.py (directly).
"""

from __future__ import annotations

import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
PEERS = HERE / "peers"
REPO = Path(os.environ.get("GANNET_SOURCE_DIR") or HERE.parent.parent)
BUILD_DIR = Path(os.environ.get("GANNET_BUILD_DIR") or REPO / "build" / "release")

#: How long a server may take to answer a request it can answer (seconds).
ANSWER_TIMEOUT = 3.0
#: After a complete response, how long to wait for more bytes or the close.
LINGER = 0.4


# --- the exchange ------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What a server did with one request (or one byte string of several)."""

    status: int | None  # the first response's status; None when nothing came back
    responses: int  # complete or partial responses seen (status lines)
    closed: bool  # the server closed the connection (FIN or RST) within the wait
    raw: bytes  # everything received

    @property
    def rejected(self) -> bool:
        """An error status, or a close with no answer at all."""
        return (self.status is not None and self.status >= 400) or (
            self.status is None and self.closed
        )

    @property
    def accepted(self) -> bool:
        return self.status is not None and 200 <= self.status < 400

    def short(self) -> str:
        """'400 close', '200 keep', 'no answer, close', 'no answer, open'; '+N' when more
        than one response came back."""
        s = str(self.status) if self.status is not None else "no answer,"
        s += " close" if self.closed else (" keep" if self.status is not None else " open")
        if self.responses > 1:
            s += f" (+{self.responses - 1} more)"
        return s


_STATUS_LINE = re.compile(rb"HTTP/1\.[01] (\d{3})[^\r\n]*\r\n")


def _response_end(buf: bytes, start: int) -> int | None:
    """The end of the response starting at `start` in buf, or None if incomplete/unknown."""
    head_end = buf.find(b"\r\n\r\n", start)
    if head_end < 0:
        return None
    head = buf[start:head_end].decode("latin-1")
    m = re.match(r"HTTP/1\.[01] (\d{3})", head)
    if not m:
        return None
    status = int(m.group(1))
    body = head_end + 4
    if 100 <= status < 200 or status in (204, 304):
        return body
    cl = re.search(r"(?im)^content-length:\s*(\d+)\s*$", head)
    if cl:
        end = body + int(cl.group(1))
        return end if len(buf) >= end else None
    if re.search(r"(?im)^transfer-encoding:.*chunked", head):
        pos = body
        while True:
            line_end = buf.find(b"\r\n", pos)
            if line_end < 0:
                return None
            size = int(buf[pos:line_end].split(b";")[0], 16)
            if size == 0:
                trailer_end = buf.find(b"\r\n\r\n", line_end)
                return trailer_end + 4 if trailer_end >= 0 else None
            pos = line_end + 2 + size + 2
            if pos > len(buf):
                return None
    return None  # body delimited by the close


def _complete_responses(buf: bytes) -> tuple[int, int]:
    """How many complete responses start buf back to back, and the bytes they take."""
    count = pos = 0
    while pos < len(buf) and _STATUS_LINE.match(buf, pos):
        end = _response_end(buf, pos)
        if end is None:
            break
        count += 1
        pos = end
    return count, pos


def exchange(
    port: int,
    raw: bytes,
    host: str = "127.0.0.1",
    answer_timeout: float = ANSWER_TIMEOUT,
    linger: float = LINGER,
) -> Outcome:
    """Sends `raw` in one write, then reads until the server closes, or until `linger` s
    after the last complete response, or `answer_timeout` s with no complete response."""
    sock = socket.create_connection((host, port), timeout=answer_timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = b""
    closed = False
    try:
        try:
            sock.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may close while a long request is still arriving
        start = last_rx = time.monotonic()
        while True:
            complete, consumed = _complete_responses(buf)
            if complete and consumed == len(buf):
                deadline = last_rx + linger  # all answered: wait a little for more or the close
            else:
                deadline = start + answer_timeout
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            ready, _, _ = select.select([sock], [], [], remaining)
            if not ready:
                continue
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            buf += chunk
            last_rx = time.monotonic()
    finally:
        sock.close()
    count = len(_STATUS_LINE.findall(buf)) if buf.startswith(b"HTTP/") else 0
    m = _STATUS_LINE.match(buf)
    status = int(m.group(1)) if m else None
    return Outcome(status=status, responses=count, closed=closed, raw=buf)


def exchange_all(ports: dict[str, int], raw: bytes, **kw) -> dict[str, Outcome]:
    """exchange() against several servers at once (name -> port)."""
    with ThreadPoolExecutor(max_workers=max(1, len(ports))) as pool:
        futures = {name: pool.submit(exchange, port, raw, **kw) for name, port in ports.items()}
        return {name: f.result() for name, f in futures.items()}


# --- the peers --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"exited with status {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"not listening on port {port} after {timeout}s")


class Peer:
    """A reference server process on 127.0.0.1."""

    def __init__(self, name: str, proc: subprocess.Popen, port: int, tmp: Path | None = None,
                 files: Path | None = None):
        self.name = name
        self.proc = proc
        self.port = port
        self.pid = proc.pid
        self._tmp = tmp
        #: Where files served under /files/ go (nginx only), or None.
        self.files = files

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def node_binary() -> str | None:
    return shutil.which("node")


def start_nginx() -> Peer:
    """nginx (Debian nginx-light) on a free port: one process, no daemon, temp prefix."""
    exe = nginx_binary()
    if exe is None:
        raise FileNotFoundError("nginx is not installed (apt-get install nginx-light)")
    tmp = Path(tempfile.mkdtemp(prefix="gannet-nginx-"))
    port = free_port()
    conf = (PEERS / "nginx.conf.in").read_text()
    conf = conf.replace("@PREFIX@", str(tmp)).replace("@PORT@", str(port))
    (tmp / "nginx.conf").write_text(conf)
    (tmp / "logs").mkdir()
    (tmp / "files").mkdir()
    log = open(tmp / "stderr.log", "wb")
    proc = subprocess.Popen(
        [exe, "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-e", str(tmp / "error.log")],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
    )
    log.close()
    try:
        wait_listening(port, proc)
    except RuntimeError as e:
        proc.kill()
        proc.wait()
        raise RuntimeError(f"nginx: {e}: {(tmp / 'stderr.log').read_text()}") from None
    return Peer("nginx", proc, port, tmp, files=tmp / "files")


_LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")


def _read_port(proc: subprocess.Popen, what: str, timeout: float = 10.0) -> int:
    fd = proc.stdout.fileno()
    deadline = time.monotonic() + timeout
    data = b""
    while b"\n" not in data and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
    m = _LISTENING.search(data.decode(errors="replace"))
    if not m:
        proc.kill()
        proc.wait()
        raise RuntimeError(f"{what} did not announce its port: {data!r}")
    return int(m.group(1))


def start_node() -> Peer:
    """Node.js `http` with default options on port 0."""
    exe = node_binary()
    if exe is None:
        raise FileNotFoundError("node is not installed")
    proc = subprocess.Popen(
        [exe, str(PEERS / "node_server.js")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    return Peer("node", proc, _read_port(proc, "node"))


def start_gannet(threads: int = 1, flags: list[str] | None = None) -> Peer:
    """examples/hello on port 0 (for report.py; the tests use the conftest fixtures)."""
    exe = BUILD_DIR / "hello"
    env = {k: v for k, v in os.environ.items() if k not in ("GANNET_PORT", "GANNET_THREADS")}
    proc = subprocess.Popen(
        [str(exe), "--port", "0", "--threads", str(threads), *(flags or [])],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    return Peer("gannet", proc, _read_port(proc, "gannet"))


def versions() -> dict[str, str]:
    """Versions of the peers, for the report."""
    out = {}
    exe = nginx_binary()
    if exe:
        r = subprocess.run([exe, "-v"], capture_output=True, text=True)
        out["nginx"] = (r.stderr or r.stdout).strip().split("/")[-1]
    exe = node_binary()
    if exe:
        r = subprocess.run(
            [exe, "-p", "process.version + ' (llhttp ' + process.versions.llhttp + ')'"],
            capture_output=True,
            text=True,
        )
        out["node"] = r.stdout.strip()
    return out
