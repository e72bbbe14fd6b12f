"""multipart/form-data uploads (MultipartReader) and urlencoded forms (read_form) with real
clients. The routes live in a small server compiled here against the built library, since
examples/hello has no upload route."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess

import pytest

import rawhttp
from conftest import BUILD_DIR, REPO, Server

SERVER_CPP = r'''
#include <gannet/gannet.hpp>
#include <fcntl.h>
#include <unistd.h>
#include <cstdio>
#include <string>
using namespace gannet;
int main(int argc, char** argv) {
    Config c; c.port = 0; c.threads = 1; c.shutdown_timeout = std::chrono::milliseconds(2000);
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        if (a == "--threads") c.threads = unsigned(std::stoul(argv[i + 1]));
    }
    std::string dir = getenv("UPLOAD_DIR");
    App app;
    // Each part: "name filename size\n"; file parts are written to UPLOAD_DIR/<index>.
    app.post("/upload", [dir](Request& req) -> Task<Response> {
        MultipartReader form(req);
        std::string out;
        int index = 0;
        while (auto* part = co_await form.next()) {
            std::size_t size = 0;
            if (part->filename()) {
                std::string path = dir + "/" + std::to_string(index++);
                int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                while (auto chunk = co_await part->read()) {
                    size += chunk->size();
                    if (::write(fd, chunk->data(), chunk->size()) != ssize_t(chunk->size())) break;
                }
                ::close(fd);
                out += std::string(part->name()) + " " + std::string(*part->filename()) + " " +
                       std::to_string(size) + "\n";
            } else {
                std::string v = co_await part->text(1024);
                out += std::string(part->name()) + " = " + v + "\n";
            }
        }
        if (form.error()) throw HttpError(form.error(), std::string(form.error_message()));
        co_return Response::text(out);
    }, RouteOptions{.max_body = std::uint64_t{1} << 30});
    app.post("/form", [](Request& req) -> Task<Response> {
        Form f = co_await read_form(req);
        std::string out;
        for (auto [k, v] : f) out += std::string(k) + "=" + std::string(v) + "\n";
        co_return Response::text(out);
    }, RouteOptions{.max_body = 1024});
    app.listen(c);
    std::printf("gannet: listening on http://127.0.0.1:%u (%u workers)\n", app.port(), app.threads());
    std::fflush(stdout);
    return app.run();
}
'''


def _sanitize_flags() -> list[str]:
    try:
        text = (BUILD_DIR / "CMakeCache.txt").read_text(errors="replace")
    except OSError:
        return []
    m = re.search(r"^GANNET_SANITIZE:\w+=(.*)$", text, re.M)
    s = m.group(1).strip() if m else ""
    return [f"-fsanitize={s}", "-fno-omit-frame-pointer"] if s else []


@pytest.fixture(scope="module")
def upload_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("uploads")


@pytest.fixture(scope="module")
def server(tmp_path_factory, upload_dir):
    lib = BUILD_DIR / "libgannet.a"
    if not lib.exists():
        pytest.skip(f"{lib} not built")
    work = tmp_path_factory.mktemp("mpserver")
    src = work / "mp_server.cpp"
    src.write_text(SERVER_CPP)
    exe = work / "mp_server"
    cmd = ["c++", "-std=c++20", "-O1", *_sanitize_flags(), "-I", str(REPO / "include"),
           str(src), str(lib), "-lz", "-lpthread", "-o", str(exe)]
    r = subprocess.run(cmd, capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode()[-4000:]
    # Server() looks binaries up in BUILD_DIR: start this one through a small shim.
    os.environ["UPLOAD_DIR"] = str(upload_dir)
    import conftest
    orig = conftest.binary
    conftest.binary = lambda name: exe if name == "mp_server" else orig(name)
    try:
        s = Server("mp_server", 1, [], work, None)
    finally:
        conftest.binary = orig
    yield s
    problems = s.stop(10)
    assert not problems, problems


def test_curl_file_upload(server, upload_dir, tmp_path):
    data = os.urandom(5 << 20) + b"\r\n--not-a-boundary\r\n"
    f = tmp_path / "photo.bin"
    f.write_bytes(data)
    r = subprocess.run(["curl", "-sS", "-F", "title=my photo", "-F", f"file=@{f}",
                        "-F", "notes=<-", f"http://127.0.0.1:{server.port}/upload"],
                       input=b"from stdin", capture_output=True, timeout=20)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    assert lines[0] == "title = my photo"
    assert lines[1] == f"file photo.bin {len(data)}"
    assert lines[2] == "notes = from stdin"
    assert hashlib.sha256((upload_dir / "0").read_bytes()).digest() == hashlib.sha256(data).digest()


def test_curl_chunked_multipart(server):
    r = subprocess.run(["curl", "-sS", "-H", "Transfer-Encoding: chunked", "-F", "a=1",
                        "-F", "b=two", f"http://127.0.0.1:{server.port}/upload"],
                       capture_output=True, timeout=20)
    assert r.stdout == b"a = 1\nb = two\n"


def test_malformed_multipart_is_400(server):
    body = b"--xx\r\nContent-Disposition: form-data; name=a\r\n\r\nvalue-without-end"
    r = rawhttp.get(server.port, "/upload", {"Content-Type": "multipart/form-data; boundary=xx",
                                             "Content-Length": str(len(body))},
                    method="POST", body=body)
    assert r.status == 400
    r = rawhttp.get(server.port, "/upload", {"Content-Type": "multipart/form-data",
                                             "Content-Length": "0"}, method="POST", body=b"")
    assert r.status == 400
    r = rawhttp.get(server.port, "/upload", {"Content-Type": "text/plain",
                                             "Content-Length": "2"}, method="POST", body=b"hi")
    assert r.status == 415


def test_read_form(server):
    r = subprocess.run(["curl", "-sS", "-d", "a=1&b=x+y&c=%41", f"http://127.0.0.1:{server.port}/form"],
                       capture_output=True, timeout=10)
    assert r.stdout == b"a=1\nb=x y\nc=A\n"
    r = rawhttp.get(server.port, "/form", {"Content-Type": "application/x-www-form-urlencoded",
                                           "Content-Length": "2000"}, method="POST",
                    body=b"a" * 2000)
    assert r.status == 413
    r = rawhttp.get(server.port, "/form", {"Content-Type": "application/json",
                                           "Content-Length": "2"}, method="POST", body=b"{}")
    assert r.status == 415
