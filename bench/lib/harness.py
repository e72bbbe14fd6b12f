#!/usr/bin/python3
"""Gannet's benchmark driver. bench/run.sh builds what is needed, then runs this.

It starts each server pinned to one CPU, checks that it answers the reference routes correctly,
drives it from the other CPU (wrk for closed-loop scenarios, bench/tools/loadgen for open-loop
ones, bench/tools/holdconns for memory), samples the server's CPU time and RSS from /proc, and
writes the tables (bench/lib/report.py). Servers run in interleaved rounds and the report shows
medians. Nothing here knows any result in advance: every number comes from a run.
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import resource
import select
import signal
import socket
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent
REPO = BENCH.parent
WORK = BENCH / ".work"
FILES_DIR = WORK / "files"  # served at /files/ by Gannet and nginx (download-1g); made by prepare_files
CHECK_FILE = "check.txt"  # in FILES_DIR: what the /files route check downloads
CHECK_BODY = b"gannet bench: /files/ works\n"
GIB = 1 << 30
CLK_TCK = os.sysconf("SC_CLK_TCK")

sys.path.insert(0, str(Path(__file__).resolve().parent))
import report  # noqa: E402


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


class HarnessError(Exception):
    """The harness itself is broken (a tool failed, output did not parse): exit non-zero."""


# --------------------------------------------------------------------------------------------
# Servers


@dataclass
class ServerDef:
    name: str
    label: str
    what: str  # one line: what it is and how it is configured for the one-core runs
    routes: tuple = ("/", "/json", "/users", "/echo")
    na_routes: dict = field(default_factory=dict)  # route -> why it is not measured
    ready_line: str | None = None
    realtime: bool = False  # has the WebSocket and SSE routes (see README: realtime scenarios)

    def unavailable(self) -> str | None:
        """Why this server cannot run here, or None."""
        status = WORK / "status" / self.name
        if status.exists():
            return status.read_text().strip() or "build failed"
        return self._missing()

    def _missing(self) -> str | None:
        return None

    def argv(self, port: int, tmp: Path) -> tuple[list[str], dict]:
        raise NotImplementedError


def _which(cmd: str) -> str | None:
    for d in os.environ.get("PATH", "").split(":") + ["/usr/sbin", "/sbin"]:
        p = Path(d) / cmd
        if p.is_file() and os.access(p, os.X_OK):
            return str(p)
    return None


class Gannet(ServerDef):
    BIN = REPO / "build" / "release" / "hello"

    def binary(self) -> Path:
        return self.BIN

    def _missing(self):
        if not self.binary().exists():
            return ("build/release/hello not found: Gannet's reference app is not built yet "
                    "(run.sh tries `cmake --preset release && cmake --build --preset release --target hello`)")
        return None

    def argv(self, port, tmp):
        # The default cap is 10 000 connections per worker; the realtime scenarios hold 10 000
        # subscribers plus a publisher.
        return [str(self.binary()), "--port", str(port), "--threads", "1", "--max-connections", "20000",
                "--files", str(FILES_DIR)], {}


def baseline_rev(asked: str | None) -> str | None:
    """The commit the baseline binary was built from (run.sh writes it), or None without one."""
    if not asked:
        return None
    rev = WORK / "baseline" / "rev"
    return rev.read_text().strip()[:12] if rev.exists() else asked


class GannetBaseline(Gannet):
    """The same reference app built from an earlier commit (`run.sh --baseline REV`), measured in
    the same rounds, so that a change's cost shows as a ratio from one run."""
    BIN = WORK / "baseline" / "hello"

    def _missing(self):
        if not self.BIN.exists():
            return "no baseline build (run.sh --baseline REV builds one into bench/.work/baseline/)"
        return None


class Reference(ServerDef):
    BIN = WORK / "bin" / "reference"

    def _missing(self):
        return None if self.BIN.exists() else "bench/.work/bin/reference not built"

    def argv(self, port, tmp):
        return [str(self.BIN), "--port", str(port)], {}


class Node(ServerDef):
    def __init__(self, *a, cluster=False, **k):
        super().__init__(*a, **k)
        self.cluster = cluster

    def _missing(self):
        return None if _which("node") else "node not found (run bench/setup.sh)"

    def argv(self, port, tmp):
        cmd = [_which("node") or "node", str(BENCH / "servers" / "node" / "server.js"), "--port", str(port)]
        return cmd + (["--cluster"] if self.cluster else []), {}


class Go(ServerDef):
    BIN = WORK / "bin" / "go-server"

    def _missing(self):
        return None if self.BIN.exists() else "bench/.work/bin/go-server not built (golang-go missing? run bench/setup.sh)"

    def argv(self, port, tmp):
        return [str(self.BIN), "--port", str(port)], {"GOMAXPROCS": "1"}


class Hyper(ServerDef):
    TARGET = WORK / "hyper" / "target"
    quick = False  # set by parse_args: --quick runs use the quick (no LTO) build when there is one

    @property
    def BIN(self) -> Path:  # noqa: N802 - same name as the other servers' constant
        quick = self.TARGET / "quick" / "hyper-server"
        return quick if self.quick and quick.exists() else self.TARGET / "release" / "hyper-server"

    @property
    def profile(self) -> str:
        return self.BIN.parent.name

    def _missing(self):
        return None if self.BIN.exists() else "hyper-server not built (librust-hyper-dev missing? run bench/setup.sh)"

    def argv(self, port, tmp):
        return [str(self.BIN), "--port", str(port), "--threads", "1"], {}


class Bun(ServerDef):
    BIN = WORK / "node_modules" / ".bin" / "bun"

    def _missing(self):
        return None if self.BIN.exists() else "bun not installed under bench/.work (run bench/setup.sh)"

    def argv(self, port, tmp):
        return [str(self.BIN), str(BENCH / "servers" / "bun" / "server.js"), "--port", str(port)], {}


class Nginx(ServerDef):
    ECHO_MODULE = Path("/usr/lib/nginx/modules/ngx_http_echo_module.so")

    def _missing(self):
        return None if _which("nginx") else "nginx not found (apt nginx-light; run bench/setup.sh)"

    def argv(self, port, tmp):
        conf = (BENCH / "servers" / "nginx" / "nginx.conf.in").read_text()
        has_echo = self.ECHO_MODULE.exists()
        conf = (conf.replace("@DIR_FILES@", str(FILES_DIR)).replace("@DIR@", str(tmp)).replace("@PORT@", str(port))
                .replace("@ECHO_LOAD@", f"load_module {self.ECHO_MODULE};" if has_echo else "")
                .replace("@ECHO_BODY@", "echo_read_request_body; echo_request_body;" if has_echo else "return 404;"))
        (tmp / "nginx.conf").write_text(conf)
        os.chmod(tmp, 0o755)  # the worker may run as another user
        return [_which("nginx"), "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-e", str(tmp / "error.log")], {}


def nginx_na() -> dict:
    if Nginx.ECHO_MODULE.exists():
        return {}
    return {"/echo": "nginx cannot echo a body without a module (libnginx-mod-http-echo is not installed)"}


SERVERS: list[ServerDef] = [
    Node("node", "Node.js", "Node.js `http` (+ npm `ws` for WebSocket), one process", realtime=True),
    Node("node-cluster", "Node.js cluster",
         "Node.js `cluster`, one worker per core of the machine; all of them share CPU 0 here", cluster=True),
    Go("go", "Go net/http", "Go `net/http` (stdlib), GOMAXPROCS=1"),
    Hyper("hyper", "hyper (Rust)", "hyper 0.14 on Tokio, current_thread runtime (Debian's crates, built offline)"),
    Bun("bun", "Bun", "`Bun.serve` with its route table and `websocket` handlers, one process", realtime=True),
    Nginx("nginx", "nginx", "nginx, 1 worker process, `return 200` locations (echo via the echo module), "
                            "`/files/` with sendfile",
          na_routes=nginx_na()),
    Reference("reference", "reference (floor)",
              "syscall-only epoll server: counts `\\r\\n\\r\\n`, answers a canned response, parses nothing",
              routes=("/",),
              na_routes={r: "the floor parses nothing: only the plaintext scenarios apply"
                         for r in ("/json", "/users", "/echo")}),
    Gannet("gannet", "Gannet", "Gannet `examples/hello`, `--threads 1 --max-connections 20000 --files DIR`",
           ready_line="gannet: listening on", realtime=True),
    GannetBaseline("gannet-base", "Gannet (baseline)",
                   "Gannet `examples/hello` built from the baseline commit (`--baseline REV`), same flags",
                   ready_line="gannet: listening on", realtime=True),
]
BASELINE_SERVER = "gannet-base"
SERVER_BY_NAME = {s.name: s for s in SERVERS}


# --------------------------------------------------------------------------------------------
# Scenarios


@dataclass
class Scenario:
    name: str
    title: str
    kind: str  # wrk | open | memory | rt (WebSocket / SSE: tools/wsbench, tools/ssebench) | bulk (curl) | todo
    route: str = "/"  # what check_route must accept first ("close": honours Connection: close)
    conns: int = 64
    lua: str = "plain.lua"
    path: str = "/"
    rate_fraction: float = 0.0
    about: str = ""
    tool: str = ""  # rt: wsbench | ssebench
    tool_args: tuple = ()  # rt: extra arguments; "{subs}" is replaced by the subscriber count
    transfer: str = ""  # bulk: download (GET /files/<the bulk file>) | upload (POST it to /echo)
    servers: tuple = ()  # only these servers (empty: every server that has the route)
    others_na: str = ""  # why the servers not in `servers` are not measured


SCENARIOS: list[Scenario] = [
    Scenario("plaintext", "GET / keep-alive, 64 connections", "wrk", conns=64,
             about="`Hello, World!` on 64 keep-alive connections, one request in flight on each."),
    Scenario("plaintext-360", "GET / keep-alive, 360 connections", "wrk", conns=360,
             about="The same with 360 connections: more sockets per epoll_wait, more memory in flight."),
    Scenario("short", "GET / one connection per request", "wrk", route="close", conns=64, lua="short.lua",
             about="`Connection: close` on every request: accept + read + write + close each time."),
    Scenario("pipelined", "GET / pipelined 16 deep, 64 connections", "wrk", conns=64, lua="pipeline.lua",
             about="16 requests written back to back per connection: the cost of parsing and "
                   "serializing, with syscalls amortized (if the server batches its writes)."),
    Scenario("json", "GET /json, 64 connections", "wrk", route="/json", path="/json",
             about="A small JSON object built per request."),
    Scenario("users", "GET /users/{id}, 64 connections", "wrk", route="/users", lua="users.lua",
             about="A route with an integer parameter, 1000 different ids."),
    Scenario("echo", "POST /echo with a 1 KiB body, 64 connections", "wrk", route="/echo", path="/echo",
             lua="echo.lua",
             about="Reads a 1 KiB request body and sends it back."),
    Scenario("open-50", "GET / open loop at 50% of Node.js's max", "open", rate_fraction=0.5,
             about="A constant request rate, half of what Node.js (one process) managed in the "
                   "calibration run; latency from the scheduled send time."),
    Scenario("open-90", "GET / open loop at 90% of Node.js's max", "open", rate_fraction=0.9,
             about="The same at 90%: Node.js is near saturation, a fast server is not."),
    Scenario("memory", "RSS with idle keep-alive connections", "memory",
             about="A fresh server, N keep-alive connections opened, one request answered on each, "
                   "then held idle; VmRSS summed over the server's processes."),
    Scenario("ws-echo-64", "WebSocket echo, 64 B messages, 64 connections", "rt", route="ws", tool="wsbench",
             tool_args=("--mode", "echo", "--path", "/ws/echo", "--connections", "64", "--size", "64",
                        "--inflight", "1"),
             about="64 WebSocket connections (`GET /ws/echo`), each with one 64-byte binary message in "
                   "flight: the next one is sent when the echo arrives. msg/s = round trips per second; "
                   "latency = round trip."),
    Scenario("ws-echo-16k", "WebSocket echo, 16 KiB messages, 64 connections", "rt", route="ws", tool="wsbench",
             tool_args=("--mode", "echo", "--path", "/ws/echo", "--connections", "64", "--size", "16384",
                        "--inflight", "1"),
             about="The same with 16 KiB messages: framing, masking and copying of larger payloads."),
    Scenario("ws-broadcast", "WebSocket broadcast to {subs} subscribers", "rt", route="ws", tool="wsbench",
             tool_args=("--mode", "broadcast", "--path", "/ws/topic/bench", "--publish-path", "/publish/bench",
                        "--connections", "{subs}", "--size", "64", "--rate", "0", "--window", "4"),
             about="{subs} WebSocket subscribers on `GET /ws/topic/bench`; one HTTP keep-alive publisher "
                   "POSTs 64-byte stamped messages to `/publish/bench` as fast as they are delivered (at "
                   "most 4 publishes still being delivered). msg/s = messages received per second over all "
                   "subscribers; latency = from the POST to each subscriber's receipt."),
    Scenario("sse-fanout", "SSE fan-out to {subs} subscribers, one event per 10 ms", "rt", route="sse",
             tool="ssebench",
             tool_args=("--path", "/events/channel", "--publish-path", "/events/publish", "--connections",
                        "{subs}", "--size", "64", "--rate", "100"),
             about="{subs} Server-Sent Events subscribers on `GET /events/channel`; the load generator "
                   "POSTs one 64-byte stamped event to `/events/publish` every 10 ms and the server relays it "
                   "to every subscriber (asked: {subs} × 100 events/s). msg/s = events received per second "
                   "over all subscribers; latency = from the event's scheduled publish time to receipt."),
    Scenario("download-1g", "GET a {bulk} file, sendfile", "bulk", route="/files", transfer="download",
             servers=("nginx", "gannet", "gannet-base"), others_na="no file route written for it in this bench",
             about="A {bulk} file of random bytes (`bench/.work/files/`, made once) downloaded with `curl -s -o "
                   "/dev/null`, {reps} times per round; status and size checked. Gannet: `--files DIR` "
                   "(`static_files`, sendfile); nginx: `location /files/` with `sendfile on; tcp_nopush on`."),
    Scenario("upload-1g", "POST a {bulk} body to /echo, streamed back", "bulk", route="/echo", transfer="upload",
             servers=("gannet", "gannet-base"),
             others_na="Gannet only: nginx has no streaming echo, its echo module reads the whole body before "
                       "it answers; the other servers' /echo was written for the 1 KiB echo scenario",
             about="The same file POSTed to `/echo` with `curl -s -T FILE -X POST -H 'Content-Type: "
                   "application/octet-stream' -o /dev/null`, {reps} times per round; Gannet streams the body "
                   "back as it arrives. Checked: status 200, bytes sent = bytes received = the file's size. "
                   "Gannet only: nginx has no streaming echo."),
]
SCENARIO_BY_NAME = {s.name: s for s in SCENARIOS}
DEFAULT_SCENARIOS = [s.name for s in SCENARIOS]


# --------------------------------------------------------------------------------------------
# /proc sampling


def session_pids(sid: int) -> list[int]:
    """Every live process of the session the server was started in (workers included)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if int(fields[3]) == sid:  # field 6: session
            pids.append(int(entry))
    return pids


def cpu_ns(pids: list[int]) -> int:
    """The server's CPU time (user + system) in nanoseconds, summed over its processes and threads.

    The same quantity as utime + stime in /proc/<pid>/stat, but read from the scheduler's own
    nanosecond counter (/proc/<pid>/task/<tid>/schedstat, first field): the stat fields are sampled
    at the timer tick and counted in 10 ms units, too coarse for a few seconds at low load.
    Falls back to /proc/<pid>/stat where schedstat is missing.
    """
    if not SCHEDSTAT:
        return round(stat_cpu_seconds(pids) * 1e9)
    total_ns = 0
    for pid in pids:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                total_ns += int(Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue
    return total_ns


def cpu_seconds(pids: list[int]) -> float:
    """cpu_ns() in seconds."""
    return cpu_ns(pids) / 1e9


SCHEDSTAT = Path("/proc/self/schedstat").exists()


def stat_cpu_seconds(pids: list[int]) -> float:
    """utime + stime (fields 14 + 15 of /proc/<pid>/stat), summed over processes; threads included."""
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def status_kib(pids: list[int], key: str = "VmRSS") -> int:
    """A /proc/<pid>/status field in KiB (VmRSS, VmHWM), summed over the processes."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(key + ":"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def rss_kib(pids: list[int]) -> int:
    return status_kib(pids, "VmRSS")


def reset_peak_rss(pids: list[int]) -> bool:
    """Sets each process's VmHWM (peak RSS) back to its current RSS: `5` written to
    /proc/<pid>/clear_refs (Linux 4.0 and later; needs the right to write there). False if any failed."""
    ok = bool(pids)
    for pid in pids:
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
        except OSError:
            ok = False
    return ok


@dataclass
class Watched:
    """What the server did while one client command ran (watch_server)."""
    returncode: int
    out: str
    err: str
    wall_s: float  # from just before the command started until it ended
    cpu_ns: int  # the server's CPU time over that, all processes and threads (cpu_ns)
    client_cpu_s: float  # the command's own CPU time
    rss_before_kib: int  # VmRSS just before
    rss_peak_kib: int  # the highest VmRSS meanwhile (see peak_from)
    peak_from: str  # "VmHWM": reset before, read after, and the samples; "samples": every `interval` only

    @property
    def rss_growth_kib(self) -> int:
        return max(0, self.rss_peak_kib - self.rss_before_kib)


def watch_server(pids: list[int], argv: list[str], timeout: float, interval: float = 0.02) -> Watched:
    """Runs `argv` to its end and measures the server (its processes `pids`) meanwhile: CPU time
    (schedstat, before and after), wall time, and RSS before and at its peak. The peak is VmHWM,
    reset just before the command, where /proc/<pid>/clear_refs may be written; VmRSS is also sampled
    every `interval` seconds while the command runs (the only source where the reset is refused)."""
    hwm = reset_peak_rss(pids)
    rss0 = rss_kib(pids)
    peak = rss0
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    c0, t0 = cpu_ns(pids), time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while p.poll() is None:
            if time.monotonic() - t0 > timeout:
                p.kill()
                break
            time.sleep(interval)
            peak = max(peak, rss_kib(pids))
        out, err = p.communicate()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    t1, c1 = time.monotonic(), cpu_ns(pids)
    if hwm:
        peak = max(peak, status_kib(pids, "VmHWM"))
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Watched(returncode=p.returncode, out=out, err=err, wall_s=t1 - t0, cpu_ns=c1 - c0,
                   client_cpu_s=(r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime),
                   rss_before_kib=rss0, rss_peak_kib=peak, peak_from="VmHWM" if hwm else "samples")


def child_cpu_pct(r0, t0: float) -> float | None:
    """CPU use of the children reaped since getrusage(RUSAGE_CHILDREN) gave r0 (the load generator
    just waited for: nothing else is reaped meanwhile), in % of one core over the wall time."""
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.monotonic() - t0
    cpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
    return 100.0 * cpu / wall if wall > 0 else None


# --------------------------------------------------------------------------------------------
# Running a server


PIDFILE: Path | None = None
LIVE: list["Instance"] = []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Instance:
    def __init__(self, sdef: ServerDef, cfg: "Config"):
        self.sdef = sdef
        self.cfg = cfg
        self.port = free_port()
        self.tmp = Path(cfg.raw / "tmp" / f"{sdef.name}-{self.port}")
        self.tmp.mkdir(parents=True, exist_ok=True)
        argv, env = sdef.argv(self.port, self.tmp)
        self.log_path = cfg.raw / "logs" / f"{sdef.name}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log = open(self.log_path, "ab")
        self.log.write(f"\n=== {dt.datetime.now().isoformat()} {' '.join(argv)}\n".encode())
        self.log.flush()
        full_env = dict(os.environ, **env)
        self.proc = subprocess.Popen(cfg.pin(cfg.server_cpu) + argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=full_env, start_new_session=True)
        LIVE.append(self)
        if PIDFILE:
            with open(PIDFILE, "a") as f:
                f.write(f"{self.proc.pid}\n")

    @property
    def sid(self) -> int:
        return self.proc.pid

    def pids(self) -> list[int]:
        return session_pids(self.sid)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_ready(self, timeout: float = 20.0) -> str | None:
        """None when GET / answers; else why not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                return f"exited with code {self.proc.returncode} before answering (log: {self.log_path})"
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/")
                c.getresponse().read()
                c.close()
                return None
            except (OSError, http.client.HTTPException):
                time.sleep(0.05)
        return f"did not answer GET / within {timeout:.0f} s (log: {self.log_path})"

    def printed_ready_line(self) -> bool:
        if not self.sdef.ready_line:
            return True
        try:
            return self.sdef.ready_line in self.log_path.read_text(errors="replace")
        except OSError:
            return False

    def stop(self) -> None:
        if self in LIVE:
            LIVE.remove(self)
        for sig, wait in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 3.0)):
            try:
                os.killpg(self.sid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
            # Workers (nginx, node cluster) may outlive the leader for a moment.
            deadline = time.monotonic() + wait
            while self.pids() and time.monotonic() < deadline:
                time.sleep(0.05)
            if not self.pids():
                break
        self.log.close()


def stop_all() -> None:
    for inst in list(LIVE):
        try:
            inst.stop()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


# --------------------------------------------------------------------------------------------
# Route checks: a server that answers wrongly is not measured on that route.

ECHO_BODY = bytes(random.Random(7).getrandbits(8) for _ in range(1024))


def check_close(port: int) -> str | None:
    """The short-connection scenario needs a server that closes after `Connection: close`."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
    except socket.timeout:
        return "does not close the connection after a request with `Connection: close`"
    except OSError as e:
        return f"Connection: close request failed: {e}"
    if not data.startswith(b"HTTP/1.1 200"):
        return f"Connection: close request answered {data[:40]!r}"
    return None


def read_head(s: socket.socket) -> bytes:
    """What the socket sends until a blank line (an answer's head) has arrived, or it closes."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def publish_after(port: int, path: str, body: bytes) -> str | None:
    """After 0.2 s (the subscriber is in place), POSTs `body` to `path`; what went wrong, or None."""
    time.sleep(0.2)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("POST", path, body=body, headers={"Content-Type": "text/plain"})
    r = c.getresponse()
    r.read()
    c.close()
    return f"POST {path}: status {r.status}" if r.status >= 300 else None


def check_ws(port: int) -> str | None:
    """A WebSocket handshake on /ws/echo and one masked text message echoed back; then a
    subscriber on /ws/topic/check receives what POST /publish/check sends."""
    def handshake(path):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
        data = read_head(s)
        head, _, rest = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            s.close()
            raise ValueError(f"{path}: handshake answered {head[:40]!r}")
        return s, rest

    def read_frame(s, buf):
        while len(buf) < 2 or len(buf) < 2 + (buf[1] & 0x7F):
            chunk = s.recv(4096)
            if not chunk:
                raise ValueError("connection closed")
            buf += chunk
        return buf[0] & 0x0F, bytes(buf[2:2 + (buf[1] & 0x7F)])

    try:
        s, rest = handshake("/ws/echo")
        with s:
            payload, key = b"hello gannet", bytes([1, 2, 3, 4])
            s.sendall(bytes([0x81, 0x80 | len(payload)]) + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload)))
            op, got = read_frame(s, bytearray(rest))
            if op != 1 or got != payload:
                return f"/ws/echo: sent a text message {payload!r}, got opcode {op} {got!r}"
        s, rest = handshake("/ws/topic/check")
        with s:
            err = publish_after(port, "/publish/check", b"published")
            if err:
                return err
            op, got = read_frame(s, bytearray(rest))
            if got != b"published":
                return f"/ws/topic/check: got opcode {op} {got!r} after POST /publish/check"
    except (OSError, ValueError, http.client.HTTPException) as e:
        return f"WebSocket: {e}"
    return None


def check_sse(port: int) -> str | None:
    """GET /events/channel answers 200 text/event-stream and relays what POST /events/publish sends."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"GET /events/channel HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
            data = read_head(s)
            head = data.partition(b"\r\n\r\n")[0].lower()
            if not head.startswith(b"http/1.1 200") or b"text/event-stream" not in head:
                return f"/events/channel: answered {head[:80]!r}"
            err = publish_after(port, "/events/publish", b"check-event")
            if err:
                return err
            deadline = time.monotonic() + 5
            while b"data: check-event" not in data and time.monotonic() < deadline:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            if b"data: check-event" not in data:
                return "/events/channel: the published event did not arrive"
    except (OSError, http.client.HTTPException) as e:
        return f"SSE: {e}"
    return None


def check_route(port: int, route: str) -> str | None:
    """None if the server's answer is right, else what is wrong."""
    if route == "/files":
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", f"/files/{CHECK_FILE}")
            r = c.getresponse()
            body = r.read()
            c.close()
        except (OSError, http.client.HTTPException) as e:
            return f"/files/{CHECK_FILE}: request failed: {e}"
        if r.status != 200 or body != CHECK_BODY:
            return f"/files/{CHECK_FILE}: status {r.status}, {body[:60]!r}"
        return None
    if route == "close":
        return check_close(port)
    if route == "ws":
        return check_ws(port)
    if route == "sse":
        return check_sse(port)
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        if route == "/echo":
            c.request("POST", "/echo", body=ECHO_BODY, headers={"Content-Type": "application/octet-stream"})
        else:
            c.request("GET", "/users/42" if route == "/users" else route)
        r = c.getresponse()
        body = r.read()
        ctype = (r.getheader("Content-Type") or "").lower()
        c.close()
    except (OSError, http.client.HTTPException) as e:
        return f"{route}: request failed: {e}"
    if r.status != 200:
        return f"{route}: status {r.status}"
    if route == "/":
        if body != b"Hello, World!" or not ctype.startswith("text/plain"):
            return f"/: got {body[:60]!r} as {ctype!r}"
    elif route in ("/json", "/users"):
        want = {"message": "Hello, World!"} if route == "/json" else {"id": 42}
        try:
            ok = json.loads(body) == want
        except ValueError:
            ok = False
        if not ok or not ctype.startswith("application/json"):
            return f"{route}: got {body[:60]!r} as {ctype!r}"
    elif route == "/echo" and body != ECHO_BODY:
        return f"/echo: got {len(body)} bytes back, not the 1024 sent"
    return None


def prepare_files(mib: int) -> Path | None:
    """FILES_DIR with the route check's file and, if mib > 0, a file of `mib` MiB of random bytes
    for download-1g and upload-1g, made once and kept while it has that size. Readable by all: nginx's
    worker may run as another user."""
    FILES_DIR.mkdir(parents=True, exist_ok=True)
    os.chmod(FILES_DIR, 0o755)
    check = FILES_DIR / CHECK_FILE
    if not check.exists() or check.read_bytes() != CHECK_BODY:
        check.write_bytes(CHECK_BODY)
    os.chmod(check, 0o644)
    if mib <= 0:
        return None
    path = FILES_DIR / f"bulk-{mib}m.bin"
    size = mib << 20
    if not path.exists() or path.stat().st_size != size:
        log(f"making {path.relative_to(BENCH)}: {mib} MiB from /dev/urandom (once)")
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            r = subprocess.run(["head", "-c", str(size), "/dev/urandom"], stdout=f)
        if r.returncode != 0 or tmp.stat().st_size != size:
            raise HarnessError(f"could not write {size} bytes to {tmp}")
        tmp.rename(path)
    os.chmod(path, 0o644)
    return path


# --------------------------------------------------------------------------------------------
# Configuration


@dataclass
class Config:
    rounds: int
    duration: float  # seconds per measurement
    warmup: float  # warm-up before each measurement (0: none)
    open_duration: float
    open_warmup: float
    open_conns: int
    memory_conns: int
    rt_subscribers: int
    bulk_mib: int  # size of the download-1g / upload-1g file
    bulk_reps: int  # transfers per round
    quick: bool
    servers: list[ServerDef]
    scenarios: list[Scenario]
    out: Path
    raw: Path
    server_cpu: str | None
    client_cpu: str | None
    baseline: str | None = None  # the commit gannet-base was built from
    lua_dir: Path = WORK / "lua"

    def pin(self, cpu: str | None) -> list[str]:
        return ["taskset", "-c", cpu] if cpu is not None else []


def parse_args(argv: list[str]) -> Config:
    p = argparse.ArgumentParser(prog="bench/run.sh", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="smoke run for CI: 1 round, 0.5 s per measurement after 0.2 s of warm-up, "
                        "1000 idle connections; "
                        "writes bench/results/raw/quick/ unless --out is given")
    p.add_argument("--rounds", type=int, help="interleaved rounds (default 3)")
    p.add_argument("--duration", type=float, help="seconds per measurement (default 3)")
    p.add_argument("--warmup", type=float, help="seconds of warm-up before each measurement, same load (default 0.5)")
    p.add_argument("--only", help="comma-separated servers: " + ",".join(s.name for s in SERVERS))
    p.add_argument("--scenarios", help="comma-separated scenarios: " + ",".join(DEFAULT_SCENARIOS))
    p.add_argument("--memory-conns", type=int, help="idle connections for the memory scenario (default 10000)")
    p.add_argument("--subscribers", type=int,
                   help="subscribers for ws-broadcast and sse-fanout (default 10000; --quick: 100)")
    p.add_argument("--bulk-mib", type=int,
                   help="MiB in the file of download-1g and upload-1g (default 1024; --quick: 64)")
    p.add_argument("--bulk-reps", type=int, help="transfers per round in download-1g and upload-1g (default 3)")
    p.add_argument("--out", help="directory for latest.md / latest.svg (default bench/results)")
    p.add_argument("--no-build", action="store_true", help="(run.sh) do not build; use what is there")
    p.add_argument("--baseline", metavar="REV",
                   help="(run.sh builds REV's reference app) measure it beside Gannet in the same rounds")
    p.add_argument("--server-cpu", default="0")
    p.add_argument("--client-cpu", default="1")
    a = p.parse_args(argv)

    def pick(spec, table, what):
        if not spec:
            return list(table.values())
        out = []
        for name in [x.strip() for x in spec.split(",") if x.strip()]:
            if name not in table:
                p.error(f"unknown {what} {name!r}; choose from {', '.join(table)}")
            out.append(table[name])
        return out

    Hyper.quick = a.quick
    servers = pick(a.only, SERVER_BY_NAME, "server")
    servers = [s for s in SERVERS if s in servers]  # keep the canonical round order
    if a.baseline:
        if SERVER_BY_NAME[BASELINE_SERVER] not in servers:
            servers.append(SERVER_BY_NAME[BASELINE_SERVER])
    else:
        servers = [s for s in servers if s.name != BASELINE_SERVER]
    scenarios = pick(a.scenarios, SCENARIO_BY_NAME, "scenario")
    scenarios = [s for s in SCENARIOS if s in scenarios]
    rounds = a.rounds if a.rounds is not None else (1 if a.quick else 3)
    duration = a.duration if a.duration is not None else (0.5 if a.quick else 3)
    warmup = a.warmup if a.warmup is not None else (0.2 if a.quick else 0.5)
    if rounds < 1 or duration <= 0 or warmup < 0:
        p.error("--rounds must be >= 1, --duration > 0, --warmup >= 0")
    ncpu = os.cpu_count() or 1
    server_cpu, client_cpu = a.server_cpu, a.client_cpu
    if ncpu < 2:
        log("only one CPU: no pinning (server and load generator share it)")
        server_cpu = client_cpu = None
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path(a.out) if a.out else (BENCH / "results" / "raw" / "quick" if a.quick else BENCH / "results")
    raw = BENCH / "results" / "raw" / stamp
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    mem = a.memory_conns if a.memory_conns is not None else (1000 if a.quick else 10000)
    if hard != resource.RLIM_INFINITY and mem > hard - 200:
        log(f"RLIMIT_NOFILE hard limit is {hard}: memory scenario uses {hard - 200} connections, not {mem}")
        mem = max(1, hard - 200)
    subs = a.subscribers if a.subscribers is not None else (100 if a.quick else 10000)
    if hard != resource.RLIM_INFINITY and subs > hard - 200:
        log(f"RLIMIT_NOFILE hard limit is {hard}: {hard - 200} subscribers, not {subs}")
        subs = max(1, hard - 200)
    bulk_mib = a.bulk_mib if a.bulk_mib is not None else (64 if a.quick else 1024)
    bulk_reps = a.bulk_reps if a.bulk_reps is not None else 3
    if bulk_mib < 1 or bulk_reps < 1:
        p.error("--bulk-mib and --bulk-reps must be >= 1")
    bulk = f"{bulk_mib // 1024} GiB" if bulk_mib % 1024 == 0 else f"{bulk_mib} MiB"
    for s in SCENARIOS:
        for k, v in (("{subs}", f"{subs:,}"), ("{bulk}", bulk), ("{reps}", str(bulk_reps))):
            s.title = s.title.replace(k, v)
            s.about = s.about.replace(k, v)
    return Config(rounds=rounds, duration=duration, warmup=warmup,
                  open_duration=duration, open_warmup=max(0.2, warmup), open_conns=64, memory_conns=mem,
                  rt_subscribers=subs, bulk_mib=bulk_mib, bulk_reps=bulk_reps,
                  quick=a.quick, servers=servers, scenarios=scenarios, out=out, raw=raw,
                  server_cpu=server_cpu, client_cpu=client_cpu, baseline=baseline_rev(a.baseline))


# --------------------------------------------------------------------------------------------
# Measurements


@dataclass
class Run:
    """One measurement: one server, one scenario, one round."""
    server: str
    scenario: str
    round: int
    ok: bool = False
    note: str = ""
    requests: int = 0
    seconds: float = 0.0
    rps: float = 0.0
    cpu_s: float = 0.0
    cpu_us_per_req: float | None = None
    cpu_pct: float | None = None
    p50_us: float | None = None
    p90_us: float | None = None
    p99_us: float | None = None
    p999_us: float | None = None
    errors: int = 0
    errors_detail: dict = field(default_factory=dict)
    rss_kib: int | None = None
    client_cpu_pct: float | None = None  # the load generator's own CPU use, % of one core
    target_rate: float | None = None
    extra: dict = field(default_factory=dict)


class Bench:
    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.runs: list[Run] = []
        self.notes: list[str] = []
        self.skipped: dict[str, str] = {}
        self.na: dict[tuple[str, str], str] = {}
        self.harness_failures = 0
        self.calibration: dict | None = None
        self.started_any = False
        self.prepare_lua()
        self.bulk_file = prepare_files(cfg.bulk_mib if any(s.kind == "bulk" for s in cfg.scenarios) else 0)

    # -- helpers ---------------------------------------------------------------------------

    def prepare_lua(self) -> None:
        self.cfg.lua_dir.mkdir(parents=True, exist_ok=True)
        tail = (BENCH / "tools" / "wrk" / "report.lua").read_text()
        for s in self.cfg.scenarios:
            if s.kind == "wrk":
                body = (BENCH / "tools" / "wrk" / s.lua).read_text()
                (self.cfg.lua_dir / f"{s.name}.lua").write_text(body + "\n" + tail)

    def note(self, msg: str) -> None:
        if msg not in self.notes:
            self.notes.append(msg)
            log("NOTE: " + msg)

    def wrk(self, inst: Instance, s: Scenario, seconds: float) -> dict:
        """Runs wrk for `seconds` (fractions too) and returns its WRKJSON line.

        wrk's -d takes whole seconds only, so it gets a longer -d and is stopped with SIGINT when
        the time is up: it then stops its threads and reports the real elapsed time, as at -d.
        """
        url = f"http://127.0.0.1:{inst.port}{s.path}"
        argv = self.cfg.pin(self.cfg.client_cpu) + [
            "wrk", "-t1", f"-c{s.conns}", f"-d{int(seconds) + 2}s", "--timeout", "5s",
            "-s", str(self.cfg.lua_dir / f"{s.name}.lua"), url]
        r0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            out, err = p.communicate(timeout=seconds)
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGINT)
            try:
                out, err = p.communicate(timeout=30)
            except subprocess.TimeoutExpired as e:
                p.kill()
                p.communicate()
                raise HarnessError(f"wrk did not stop: {' '.join(argv)}") from e
        with open(self.cfg.raw / "wrk.log", "a") as f:
            f.write(f"\n=== {inst.sdef.name} {s.name} {seconds} s: {' '.join(argv)}\n{out}{err}")
        client_pct = child_cpu_pct(r0, t0)
        for line in out.splitlines():
            if line.startswith("WRKJSON "):
                res = json.loads(line[len("WRKJSON "):])
                res["client_cpu_pct"] = client_pct
                return res
        raise HarnessError(f"wrk printed no result (exit {p.returncode}): {err.strip()[:300]}")

    # -- scenario kinds ------------------------------------------------------------------------

    def run_wrk(self, inst: Instance, s: Scenario, rnd: int) -> Run:
        run = Run(inst.sdef.name, s.name, rnd)
        if self.cfg.warmup > 0:
            self.wrk(inst, s, self.cfg.warmup)
        pids = inst.pids()
        c0, k0, t0 = cpu_seconds(pids), stat_cpu_seconds(pids), time.monotonic()
        res = self.wrk(inst, s, self.cfg.duration)
        pids = inst.pids() or pids
        c1, k1, t1 = cpu_seconds(pids), stat_cpu_seconds(pids), time.monotonic()
        run.extra["cpu_s_stat"] = k1 - k0
        run.requests = int(res["requests"])
        run.seconds = res["duration_us"] / 1e6
        run.rps = run.requests / run.seconds if run.seconds > 0 else 0.0
        run.cpu_s = c1 - c0
        run.cpu_pct = 100.0 * run.cpu_s / (t1 - t0)
        run.cpu_us_per_req = run.cpu_s * 1e6 / run.requests if run.requests else None
        # wrk's percentile() answers 0 when its histogram lost samples (seen with pipelining):
        # unknown, not zero.
        lat = {k: (v if v > 0 or res["latency_us"]["max"] == 0 else None) for k, v in res["latency_us"].items()}
        run.p50_us, run.p90_us, run.p99_us, run.p999_us = lat["p50"], lat["p90"], lat["p99"], lat["p999"]
        errs = dict(res["errors"])
        unannounced = int(res.get("unannounced_close", 0))
        if unannounced:
            # Closed after a complete answer that did not say "Connection: close": wrk counts a
            # read error, but the request succeeded (see tools/wrk/short.lua).
            errs["read"] = max(0, errs["read"] - unannounced)
            run.extra["unannounced_close"] = unannounced
        run.errors_detail = errs
        run.errors = sum(errs.values())
        run.client_cpu_pct = res["client_cpu_pct"]
        run.rss_kib = rss_kib(inst.pids())
        run.ok = run.requests > 0
        if not run.ok:
            run.note = "no request completed"
        return run

    def run_marked(self, inst: Instance, run: Run, argv: list[str], limit: float, log_name: str) -> dict:
        """Runs a load generator that prints measure-start and measure-end (the server's CPU time is
        read at each) and then one JSON line (tools/loadgen, wsbench, ssebench); fills in `run` from
        them and returns the JSON for the caller's own fields."""
        r0, t0_all = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + limit
        marks: dict[str, tuple] = {}
        result = None
        try:
            while time.monotonic() < deadline:
                r, _, _ = select.select([p.stdout], [], [], max(0.0, deadline - time.monotonic()))
                if not r:
                    break
                line = p.stdout.readline()
                if not line:
                    break
                line = line.strip()
                if line in ("measure-start", "measure-end"):
                    pids = inst.pids()
                    marks[line] = (cpu_seconds(pids), time.monotonic(), stat_cpu_seconds(pids))
                elif line.startswith("{"):
                    result = json.loads(line)
                    break
        finally:
            if p.poll() is None:
                p.kill()
            p.wait()
            err = p.stderr.read()
            p.stdout.close()
            p.stderr.close()
        run.client_cpu_pct = child_cpu_pct(r0, t0_all)
        with open(self.cfg.raw / f"{log_name}.log", "a") as f:
            f.write(f"\n=== {inst.sdef.name} {run.scenario} {' '.join(argv)}\n{marks}\n{result}\n{err}")
        if result is None or len(marks) != 2:
            raise HarnessError(f"{log_name} gave no result (exit {p.returncode}): {err.strip()[:300]}")
        (c0, t0, k0), (c1, t1, k1) = marks["measure-start"], marks["measure-end"]
        run.extra["cpu_s_stat"] = k1 - k0
        run.requests = int(result["completed"])
        run.seconds = float(result["duration_s"])
        run.rps = float(result["achieved_rate"])
        run.cpu_s = c1 - c0
        run.cpu_pct = 100.0 * run.cpu_s / (t1 - t0)
        run.cpu_us_per_req = run.cpu_s * 1e6 / run.requests if run.requests else None
        lat = result["latency_us"]
        if lat.get("samples", 1):  # wsbench and ssebench say how many; loadgen does not
            run.p50_us, run.p90_us, run.p99_us, run.p999_us = lat["p50"], lat["p90"], lat["p99"], lat["p999"]
        run.errors_detail = result["errors"]
        run.errors = int(result["errors"]["total"])
        run.rss_kib = rss_kib(inst.pids())
        run.ok = run.requests > 0
        return result

    def run_open(self, inst: Instance, s: Scenario, rnd: int) -> Run:
        run = Run(inst.sdef.name, s.name, rnd)
        if not self.calibration:
            run.note = "no Node.js calibration: open-loop rate unknown"
            return run
        rate = self.calibration["rps"] * s.rate_fraction
        run.target_rate = rate
        argv = self.cfg.pin(self.cfg.client_cpu) + [
            str(WORK / "bin" / "loadgen"), "--port", str(inst.port), "--rate", f"{rate:.1f}",
            "--connections", str(self.cfg.open_conns), "--duration", str(self.cfg.open_duration),
            "--warmup", str(self.cfg.open_warmup), "--drain", "2"]
        result = self.run_marked(inst, run, argv, self.cfg.open_duration + self.cfg.open_warmup + 20, "loadgen")
        run.extra["scheduled"] = result["scheduled"]
        return run

    def run_rt(self, inst: Instance, s: Scenario, rnd: int) -> Run:
        """WebSocket / SSE: tools/wsbench or tools/ssebench."""
        run = Run(inst.sdef.name, s.name, rnd)
        args = [a.replace("{subs}", str(self.cfg.rt_subscribers)) for a in s.tool_args]
        argv = self.cfg.pin(self.cfg.client_cpu) + [
            str(WORK / "bin" / s.tool), "--port", str(inst.port), "--duration", str(self.cfg.duration),
            "--warmup", str(max(0.2, self.cfg.warmup))] + args
        limit = self.cfg.duration + self.cfg.warmup + 120  # + connecting 10 000 subscribers
        result = self.run_marked(inst, run, argv, limit, s.tool)
        run.extra.update({k: result.get(k) for k in ("connections", "open", "connect_s", "published",
                                                     "answered_publishes")})
        if not run.ok:
            run.note = f"no message received ({int(result.get('open', 0))} of {result.get('connections')} " \
                       f"connections open)"
        return run

    def run_bulk(self, inst: Instance, s: Scenario, rnd: int) -> Run:
        """download-1g / upload-1g: cfg.bulk_reps transfers of the bulk file with curl, one at a time,
        each measured by watch_server (server CPU, wall time, RSS growth)."""
        run = Run(inst.sdef.name, s.name, rnd)
        path = self.bulk_file
        size = path.stat().st_size
        upload = s.transfer == "upload"
        url = f"http://127.0.0.1:{inst.port}" + ("/echo" if upload else f"/files/{path.name}")
        timeout = 60 + 300 * size / GIB  # far above what a loopback transfer needs
        argv = self.cfg.pin(self.cfg.client_cpu) + [
            "curl", "-s", "-o", "/dev/null", "--max-time", f"{timeout:.0f}",
            "-w", "%{http_code} %{size_download} %{size_upload}"]
        if upload:
            argv += ["-T", str(path), "-X", "POST", "-H", "Content-Type: application/octet-stream"]
        argv.append(url)
        transfers = []
        for _ in range(self.cfg.bulk_reps):
            w = watch_server(inst.pids(), argv, timeout + 10)
            try:
                code, down, up = (int(x) for x in w.out.split())
            except ValueError:
                code, down, up = 0, 0, 0
            ok = w.returncode == 0 and code == 200 and down == size and (up == size or not upload)
            transfers.append({
                "ok": ok, "status": code, "bytes_down": down, "bytes_up": up, "curl_exit": w.returncode,
                "wall_s": w.wall_s, "cpu_ns": w.cpu_ns, "cpu_ms_per_gib": w.cpu_ns / 1e6 * GIB / size,
                "mib_per_s": size / (1 << 20) / w.wall_s, "client_cpu_s": w.client_cpu_s,
                "rss_before_kib": w.rss_before_kib, "rss_peak_kib": w.rss_peak_kib,
                "rss_growth_kib": w.rss_growth_kib, "peak_from": w.peak_from})
            if not ok:
                log(f"  {inst.sdef.name} {s.name}: transfer failed: curl exit {w.returncode}, status {code}, "
                    f"{down} bytes down, {up} up, of {size}; {w.err.strip()[:200]}")
            if not inst.alive():
                break
        with open(self.cfg.raw / "curl.log", "a") as f:
            f.write(f"\n=== {inst.sdef.name} {s.name} round {rnd}: {' '.join(argv)}\n"
                    + "\n".join(json.dumps(t) for t in transfers) + "\n")
        good = [t for t in transfers if t["ok"]]
        run.errors = len(transfers) - len(good)
        run.errors_detail = {"failed_transfers": run.errors}
        run.requests = len(good)
        run.seconds = sum(t["wall_s"] for t in good)
        run.rps = len(good) / run.seconds if run.seconds else 0.0
        run.cpu_s = sum(t["cpu_ns"] for t in good) / 1e9
        run.cpu_pct = 100.0 * run.cpu_s / run.seconds if run.seconds else None
        run.client_cpu_pct = (100.0 * sum(t["client_cpu_s"] for t in good) / run.seconds) if run.seconds else None
        run.rss_kib = rss_kib(inst.pids())
        run.extra = {"bytes": size, "transfers": transfers}
        run.ok = bool(good)
        if not run.ok:
            run.note = "no transfer completed"
        return run

    def run_memory(self, inst: Instance, s: Scenario, rnd: int) -> Run:
        run = Run(inst.sdef.name, s.name, rnd)
        time.sleep(0.3)
        rss0 = rss_kib(inst.pids())
        n = self.cfg.memory_conns
        argv = self.cfg.pin(self.cfg.client_cpu) + [
            str(WORK / "bin" / "holdconns"), "--port", str(inst.port), "--connections", str(n),
            "--timeout", "30", "--hold", "60"]
        p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

        def read_json(timeout: float) -> dict | None:
            r, _, _ = select.select([p.stdout], [], [], timeout)
            if not r:
                return None
            line = p.stdout.readline()
            return json.loads(line) if line.startswith("{") else None

        try:
            ready = read_json(45)
            if ready is None:
                raise HarnessError(f"holdconns did not report (exit {p.poll()})")
            time.sleep(0.5)
            pids = inst.pids()
            rss1 = rss_kib(pids)
            p.stdin.write("check\n")
            p.stdin.flush()
            still = read_json(15)
            if still is None:
                raise HarnessError("holdconns did not report the open connections")
        finally:
            if p.poll() is None:
                try:
                    p.stdin.close()
                except OSError:
                    pass
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            for f in (p.stdout, p.stderr):
                f.close()
        held = int(ready["held"])
        run.requests = held
        run.rss_kib = rss1
        run.errors = int(ready["failed"]) + (held - int(still["still_open"]))
        run.errors_detail = {"failed": int(ready["failed"]), "closed_by_server": held - int(still["still_open"])}
        run.extra = {"rss_idle_kib": rss0, "rss_conns_kib": rss1, "held": held,
                     "still_open": int(still["still_open"]), "asked": n, "open_seconds": ready["seconds"],
                     "kib_per_conn": (rss1 - rss0) / held if held else None, "processes": len(pids)}
        run.ok = held > 0
        if not run.ok:
            run.note = "no connection could be held"
        return run

    # -- the rounds ------------------------------------------------------------------------------

    def start(self, sdef: ServerDef, why: str) -> Instance | None:
        inst = Instance(sdef, self.cfg)
        err = inst.wait_ready()
        if err:
            self.note(f"{sdef.name} ({why}): {err}")
            inst.stop()
            return None
        self.started_any = True
        if not inst.printed_ready_line():
            self.note(f"{sdef.name}: answered, but did not print {sdef.ready_line!r} to stdout")
        return inst

    def calibrate(self) -> None:
        """Node.js single-process max for the open-loop rates, measured in this run."""
        node = SERVER_BY_NAME["node"]
        why = node.unavailable()
        if why:
            self.note(f"open-loop scenarios skipped: Node.js is needed for the rates ({why})")
            return
        log("calibration: Node.js max req/s (GET /, 64 connections) for the open-loop rates")
        inst = self.start(node, "calibration")
        if not inst:
            return
        try:
            s = SCENARIO_BY_NAME["plaintext"]
            if s not in self.cfg.scenarios:
                self.prepare_lua_for(s)
            run = self.run_wrk(inst, s, 0)
            if run.ok:
                self.calibration = {"rps": run.rps, "errors": run.errors, "cpu_us_per_req": run.cpu_us_per_req}
                log(f"calibration: Node.js {run.rps:,.0f} req/s")
            else:
                self.note("calibration run failed: open-loop scenarios skipped")
        finally:
            inst.stop()

    def prepare_lua_for(self, s: Scenario) -> None:
        tail = (BENCH / "tools" / "wrk" / "report.lua").read_text()
        body = (BENCH / "tools" / "wrk" / s.lua).read_text()
        (self.cfg.lua_dir / f"{s.name}.lua").write_text(body + "\n" + tail)

    def measure(self, fn, inst: Instance, s: Scenario, rnd: int) -> None:
        name = inst.sdef.name
        try:
            run = fn(inst, s, rnd)
        except HarnessError as e:
            if not inst.alive():
                run = Run(name, s.name, rnd, note=f"server died (exit {inst.proc.returncode})")
            else:
                self.harness_failures += 1
                self.note(f"harness failure in {name}/{s.name} round {rnd}: {e}")
                run = Run(name, s.name, rnd, note=f"harness failure: {e}")
        if not inst.alive():
            run.ok = False
            run.note = run.note or f"server died during the run (exit {inst.proc.returncode})"
            self.note(f"{name} died during {s.name} in round {rnd} (exit {inst.proc.returncode}; log {inst.log_path})")
        self.runs.append(run)
        if run.extra.get("unannounced_close"):
            self.note(f"{name} closes after `Connection: close` without saying so in its answer (allowed: "
                      "RFC 9112 section 9.6 says SHOULD); wrk counts each as a read error, the harness does not")
        if run.ok:
            extra = ""
            if s.kind == "memory":
                e = run.extra
                extra = (f"{e['held']} held, RSS {e['rss_idle_kib'] / 1024:.1f} -> {e['rss_conns_kib'] / 1024:.1f} MiB")
            elif s.kind == "bulk":
                good = [t for t in run.extra["transfers"] if t["ok"]]
                extra = ("server CPU ms/GiB " + " ".join(f"{t['cpu_ms_per_gib']:.0f}" for t in good)
                         + ", MiB/s " + " ".join(f"{t['mib_per_s']:,.0f}" for t in good)
                         + ", RSS growth MiB " + " ".join(f"{t['rss_growth_kib'] / 1024:.1f}" for t in good)
                         + f", errors {run.errors}")
            else:
                p99 = "-" if run.p99_us is None else f"{run.p99_us:.0f} us"
                cpu = "-" if run.cpu_us_per_req is None else f"{run.cpu_us_per_req:.1f}"
                unit = "msg" if s.kind == "rt" else "req"
                extra = f"{run.rps:,.0f} {unit}/s, {cpu} CPU us/{unit}, p99 {p99}, errors {run.errors}"
            log(f"  {name:13s} {s.name:14s} {extra}")
        else:
            log(f"  {name:13s} {s.name:14s} FAILED: {run.note}")

    def round(self, rnd: int) -> None:
        load_scen = [s for s in self.cfg.scenarios if s.kind in ("wrk", "open", "rt", "bulk")]
        mem_scen = [s for s in self.cfg.scenarios if s.kind == "memory"]
        for sdef in self.cfg.servers:
            if sdef.name in self.skipped:
                continue
            applicable = []
            for s in load_scen:
                if s.servers and sdef.name not in s.servers:
                    self.na[(sdef.name, s.name)] = s.others_na
                elif s.route in sdef.na_routes:
                    self.na[(sdef.name, s.name)] = sdef.na_routes[s.route]
                elif s.kind == "rt" and not sdef.realtime:
                    self.na[(sdef.name, s.name)] = "no WebSocket / SSE server written for it in this bench"
                elif s.kind == "open" and not self.calibration:
                    self.na[(sdef.name, s.name)] = "no Node.js calibration in this run"
                else:
                    applicable.append(s)
            if applicable:
                inst = self.start(sdef, f"round {rnd}")
                if inst:
                    try:
                        bad = {}
                        for route in sorted({s.route for s in applicable}):
                            if not inst.alive():
                                inst.stop()
                                inst = self.start(sdef, f"restart after a failed check in round {rnd}")
                                if not inst:
                                    break
                            err = check_route(inst.port, route)
                            if not inst.alive():
                                err = (f"{route}: the server died answering this check "
                                       f"(exit {inst.proc.returncode}; log {inst.log_path.relative_to(BENCH)})")
                            if err:
                                bad[route] = err
                                self.note(f"{sdef.name} answers wrongly, not measured there: {err}")
                        for s in applicable if inst else []:
                            if s.route in bad:
                                self.na[(sdef.name, s.name)] = f"wrong answer: {bad[s.route]}"
                                continue
                            if not inst.alive():
                                inst.stop()
                                inst = self.start(sdef, f"restart in round {rnd}")
                                if not inst:
                                    break
                            fn = {"wrk": self.run_wrk, "open": self.run_open, "rt": self.run_rt,
                                  "bulk": self.run_bulk}[s.kind]
                            self.measure(fn, inst, s, rnd)
                    finally:
                        if inst:
                            inst.stop()
            for s in mem_scen:
                inst = self.start(sdef, f"memory, round {rnd}")
                if not inst:
                    continue
                try:
                    err = check_route(inst.port, "/")
                    if err:
                        self.na[(sdef.name, s.name)] = f"wrong answer: {err}"
                        continue
                    self.measure(self.run_memory, inst, s, rnd)
                finally:
                    inst.stop()

    def go(self) -> int:
        cfg = self.cfg
        cfg.raw.mkdir(parents=True, exist_ok=True)
        t_start = time.monotonic()
        machine = report.machine_info()
        machine["loadavg_start"] = Path("/proc/loadavg").read_text().split()[:3]
        for sdef in cfg.servers:
            why = sdef.unavailable()
            if why:
                self.skipped[sdef.name] = why
                self.note(f"{sdef.name} skipped: {why}")
        for s in cfg.scenarios:
            if s.kind == "todo":
                log(f"{s.name}: {s.about}")
        if any(s.kind == "open" for s in cfg.scenarios) and any(
                sd.name not in self.skipped for sd in cfg.servers):
            self.calibrate()
        for rnd in range(1, cfg.rounds + 1):
            log(f"round {rnd}/{cfg.rounds}")
            self.round(rnd)
        machine["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
        elapsed = time.monotonic() - t_start
        versions = report.versions(cfg)
        if "hyper" in versions:
            versions["hyper"] += f" (cargo profile {SERVER_BY_NAME['hyper'].profile})"
        data = {
            "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "elapsed_s": elapsed,
            "machine": machine,
            "versions": versions,
            "cpu_source": "schedstat" if SCHEDSTAT else "stat",
            "config": {"rounds": cfg.rounds, "duration_s": cfg.duration, "warmup_s": cfg.warmup,
                       "open_duration_s": cfg.open_duration, "open_warmup_s": cfg.open_warmup,
                       "open_conns": cfg.open_conns, "memory_conns": cfg.memory_conns, "quick": cfg.quick,
                       "rt_subscribers": cfg.rt_subscribers, "bulk_mib": cfg.bulk_mib,
                       "bulk_reps": cfg.bulk_reps,
                       "server_cpu": cfg.server_cpu, "client_cpu": cfg.client_cpu,
                       "baseline": cfg.baseline},
            "servers": [{"name": s.name, "label": s.label, "what": s.what, "skipped": self.skipped.get(s.name)}
                        for s in cfg.servers],
            "scenarios": [{"name": s.name, "title": s.title, "kind": s.kind, "about": s.about, "conns": s.conns,
                           "transfer": s.transfer, "others_na": s.others_na}
                          for s in cfg.scenarios],
            "calibration": self.calibration,
            "runs": [r.__dict__ for r in self.runs],
            "na": [{"server": k[0], "scenario": k[1], "why": v} for k, v in sorted(self.na.items())],
            "notes": self.notes,
            "harness_failures": self.harness_failures,
        }
        (cfg.raw / "results.json").write_text(json.dumps(data, indent=1))
        cfg.out.mkdir(parents=True, exist_ok=True)
        md = report.markdown(data)
        marker = WORK / "latest-written"
        marker.unlink(missing_ok=True)
        kinds = {s.kind for s in cfg.scenarios}
        side = report.SIDE_REPORTS.get(kinds.pop()) if len(kinds) == 1 and not cfg.quick else None
        if side:
            # Only the realtime (or only the large-transfer) scenarios ran: their tables go to their
            # own file, and latest.md (the results of the last full run) is kept, with a link to it.
            name, link = side
            (cfg.out / name).write_text(md)
            latest = cfg.out / "latest.md"
            if latest.exists():
                text = latest.read_text()
                if link not in text:
                    latest.write_text(report.add_link(text, link))
            log(f"only {', '.join(s.name for s in cfg.scenarios)} ran: wrote {cfg.out / name} (latest.md kept)")
        else:
            (cfg.out / "latest.md").write_text(md)
            (cfg.out / "latest.svg").write_text(report.svg(data))
            marker.write_text("")

        ok_runs = sum(1 for r in self.runs if r.ok)
        bad_runs = sum(1 for r in self.runs if not r.ok and not r.note.startswith("harness failure"))
        n_skip = len(self.skipped) * len([s for s in cfg.scenarios if s.kind != "todo"]) + len(self.na)
        log(f"results in {cfg.out}; raw data in {cfg.raw}")
        log(f"{len(self.runs)} measurements in {elapsed:.0f} s: {ok_runs} ok, {bad_runs} without a result "
            f"(server-side), {self.harness_failures} harness failures; "
            f"skipped servers: {', '.join(self.skipped) or 'none'}")
        failed = self.harness_failures
        if not self.started_any and any(sd.name not in self.skipped for sd in cfg.servers):
            log("no server could be started at all: the harness is broken")
            failed += 1
        if not failed and ok_runs == 0 and self.started_any and any(s.kind != "todo" for s in cfg.scenarios):
            log("servers started but no measurement succeeded: the harness is broken")
            failed += 1
        print(f"bench: {ok_runs} passed, {failed} failed, {n_skip + bad_runs} skipped", flush=True)
        return 1 if failed else 0


def main(argv: list[str]) -> int:
    global PIDFILE
    cfg = parse_args(argv)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    pf = os.environ.get("BENCH_PIDFILE")
    PIDFILE = Path(pf) if pf else None

    def on_signal(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    try:
        return Bench(cfg).go()
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    except Exception:  # noqa: BLE001 - any bug here is a harness failure
        traceback.print_exc()
        print("bench: 0 passed, 1 failed", flush=True)
        return 1
    finally:
        stop_all()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
