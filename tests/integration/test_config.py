"""Configuration errors at start-up (docs/architecture.md, "Errors"): a clear message naming the culprit and
a non-zero exit status, never a crash or a silent start."""

import random
import re
import signal
import socket
import subprocess

import pytest

from conftest import LISTEN_RE, SANITIZER_MARKERS, binary, clean_env
from rawhttp import get


def _run(args, env=None, timeout=10):
    """Runs a server binary that is expected to fail at start-up."""
    proc = subprocess.Popen([str(binary(args[0])), *args[1:]], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=clean_env(env))
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"{args} did not exit: it should have refused to start; stdout {out!r}")
    err_text = err.decode(errors="replace")
    assert not any(m in err_text for m in SANITIZER_MARKERS), err_text
    return proc.returncode, out.decode(errors="replace"), err_text


@pytest.mark.parametrize("name", ["hello", "gannet_testbed"])
def test_port_in_use(name):
    # A plain listener (no SO_REUSEPORT) holds the port.
    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        rc, out, err = _run([name, "--port", str(port), "--threads", "1", "--host", "127.0.0.1"])
        assert rc > 0, f"exit status {rc}"
        assert str(port) in err, err
        assert "listening" not in out
    finally:
        holder.close()


def test_port_in_use_by_another_gannet(start_server):
    first = start_server("hello", threads=1)
    proc = subprocess.Popen([str(binary("hello")), "--port", str(first.port), "--threads", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            env=clean_env())
    try:
        out, err = proc.communicate(timeout=3)
    except subprocess.TimeoutExpired:
        # It started: it is now sharing the port with the first server.
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
        pytest.fail(f"a second server started on port {first.port}, which was in use: {out!r}")
    assert proc.returncode > 0
    assert str(first.port) in err.decode()
    assert get(first.port, "/").status == 200


def test_unknown_flag():
    rc, out, err = _run(["hello", "--port", "0", "--bogus-flag"])
    assert rc > 0
    assert "--bogus-flag" in err
    assert "listening" not in out


def test_flag_without_value():
    rc, _, err = _run(["hello", "--threads"])
    assert rc > 0
    assert "--threads" in err


def test_bad_number():
    rc, _, err = _run(["hello", "--port", "0", "--idle-timeout", "soon"])
    assert rc > 0
    assert "--idle-timeout" in err and "soon" in err


def test_port_out_of_range():
    rc, _, err = _run(["hello", "--port", "70000"])
    assert rc > 0
    assert "70000" in err


def test_gannet_port_not_a_number():
    rc, out, err = _run(["hello", "--port", "0", "--threads", "1"], env={"GANNET_PORT": "abc"})
    assert rc > 0
    assert "GANNET_PORT" in err
    assert "abc" in err
    assert "listening" not in out


def test_gannet_threads_not_a_number():
    rc, _, err = _run(["hello", "--port", "0"], env={"GANNET_THREADS": "many"})
    assert rc > 0
    assert "GANNET_THREADS" in err


def test_gannet_port_out_of_range():
    rc, _, err = _run(["hello", "--port", "0"], env={"GANNET_PORT": "65536"})
    assert rc > 0
    assert "GANNET_PORT" in err


def test_gannet_port_and_threads_override_flags(start_server):
    # The environment wins over --port/--threads (Config::env_overrides). The port is picked
    # below the ephemeral range, where client sockets of concurrent tests cannot take it first.
    rng = random.Random()
    for _ in range(10):
        port = rng.randrange(20000, 30000)
        try:
            srv = start_server("hello", threads=1, env={"GANNET_PORT": str(port), "GANNET_THREADS": "1"})
        except pytest.fail.Exception as e:
            if "in use" in str(e):
                continue
            raise
        break
    else:
        pytest.fail("no free port found in 10 tries")
    assert srv.port == port
    r = get(port, "/")
    assert r.status == 200 and r.body == b"Hello, World!"


def test_bad_host():
    rc, _, err = _run(["hello", "--port", "0", "--host", "not-an-address"])
    assert rc > 0
    assert "not-an-address" in err


def test_listening_line_format(start_server):
    srv = start_server("hello", threads=2, flags=["--host", "127.0.0.1"])
    assert srv.threads == 2 and srv.port > 0
    assert LISTEN_RE.pattern.startswith("gannet: listening on")
    assert re.match(r"^\d+$", str(srv.port))
