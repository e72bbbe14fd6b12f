"""RFC 6455 conformance of examples/hello's /ws/echo over raw sockets, in the spirit of the
Autobahn TestSuite groups 1 (framing), 2 (ping/pong), 3 (reserved bits), 4 (opcodes),
5 (fragmentation), 6 (UTF-8), 7 (close handling) and 9 (limits), plus the opening handshake
(section 4) and the server's drain (1001)."""

from __future__ import annotations

import signal
import struct

import pytest

from conftest import OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT, RawWs, close_code


@pytest.fixture
def ws(hello):
    c = RawWs(hello.port)
    assert c.status == 101, c.headers
    yield c
    c.close()


# -- section 4: the opening handshake ---------------------------------------------------------

def test_4_2_2_accept_key(hello):
    import base64
    import hashlib
    import socket
    s = socket.create_connection(("127.0.0.1", hello.port), timeout=5)
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    s.sendall((f"GET /ws/echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(4096)
    s.close()
    text = head.decode()
    assert text.startswith("HTTP/1.1 101")
    assert "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in text  # the RFC's own example
    expected = base64.b64encode(hashlib.sha1(
        (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
    assert expected in text


def _status(port: int, request: str) -> tuple[int, str]:
    import socket
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(request.encode())
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    text = data.decode("latin-1")
    return int(text.split()[1]), text


def test_4_2_1_missing_key_is_400(hello):
    status, _ = _status(hello.port, "GET /ws/echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                                    "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n")
    assert status == 400


def test_4_4_wrong_version_is_426_with_version_13(hello):
    status, text = _status(hello.port,
                           "GET /ws/echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                           "Sec-WebSocket-Version: 8\r\n\r\n")
    assert status == 426
    assert "sec-websocket-version: 13" in text.lower()


def test_4_2_1_plain_get_is_refused(hello):
    status, _ = _status(hello.port, "GET /ws/echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status in (400, 426)


# -- section 5.2 / Autobahn 1: framing --------------------------------------------------------

@pytest.mark.parametrize("n", [0, 1, 125, 126, 127, 65535, 65536, 1 << 20])
@pytest.mark.parametrize("opcode", [OP_TEXT, OP_BINARY])
def test_5_2_echo_lengths(ws, opcode, n):
    payload = (b"*" * n) if opcode == OP_TEXT else bytes(i & 0xFF for i in range(n))
    ws.send(opcode, payload)
    assert ws.recv_message() == (opcode, payload)


def test_5_2_many_messages_in_one_write(ws):
    data = b"".join(ws.frame(OP_TEXT, b"m%d" % i) for i in range(200))
    ws.send_raw(data)
    for i in range(200):
        assert ws.recv_message() == (OP_TEXT, b"m%d" % i)


def test_5_2_frame_split_byte_by_byte(ws):
    import time
    frame = ws.frame(OP_TEXT, b"Hello, byte by byte")
    for b in frame:
        ws.send_raw(bytes([b]))
        time.sleep(0.002)
    assert ws.recv_message() == (OP_TEXT, b"Hello, byte by byte")


def test_5_2_non_minimal_length_is_1002(ws):
    # 5 bytes announced with the 16-bit form.
    ws.send_raw(bytes([0x81, 0x80 | 126, 0, 5]) + b"\0\0\0\0" + b"hello")
    ws.expect_close(1002)


def test_5_1_unmasked_client_frame_is_1002(ws):
    ws.send(OP_TEXT, b"not masked", mask=False)
    ws.expect_close(1002)


# -- section 5.5.2 / Autobahn 2: ping and pong ------------------------------------------------

@pytest.mark.parametrize("payload", [b"", b"hello", b"\xff\x00binary", b"x" * 125])
def test_5_5_2_ping_gets_pong_with_same_payload(ws, payload):
    ws.send(OP_PING, payload)
    fin, rsv, op, got = ws.recv_frame()
    assert (fin, rsv, op, got) == (True, 0, OP_PONG, payload)


def test_5_5_ping_of_126_bytes_is_1002(ws):
    ws.send(OP_PING, b"x" * 126)
    ws.expect_close(1002)


def test_5_5_3_unsolicited_pong_is_ignored(ws):
    ws.send(OP_PONG, b"unsolicited")
    ws.send(OP_TEXT, b"after")
    assert ws.recv_message() == (OP_TEXT, b"after")


def test_5_5_2_ten_pings_in_a_row(ws):
    for i in range(10):
        ws.send(OP_PING, b"p%d" % i)
    for i in range(10):
        assert ws.recv_frame() == (True, 0, OP_PONG, b"p%d" % i)


# -- section 5.2 / Autobahn 3: reserved bits --------------------------------------------------

@pytest.mark.parametrize("rsv", [1, 2, 3, 4, 5, 6, 7])
@pytest.mark.parametrize("opcode", [OP_TEXT, OP_BINARY, OP_PING])
def test_5_2_reserved_bits_are_1002(ws, rsv, opcode):
    ws.send(opcode, b"rsv", rsv=rsv)
    ws.expect_close(1002)


def test_5_2_reserved_bits_after_a_valid_message(ws):
    ws.send(OP_TEXT, b"ok")
    ws.send(OP_TEXT, b"bad", rsv=2)
    # Failing the connection (RFC 6455 section 7.1.7) may overtake the echo when both frames
    # arrive in one read (Autobahn 3.2 accepts either).
    fin, rsv, op, payload = ws.recv_frame()
    if op == OP_TEXT:
        assert payload == b"ok"
        ws.expect_close(1002)
    else:
        assert op == OP_CLOSE and close_code(payload) == 1002
        ws.expect_eof()


# -- section 5.2 / Autobahn 4: reserved opcodes -----------------------------------------------

@pytest.mark.parametrize("opcode", [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF])
def test_5_2_reserved_opcodes_are_1002(ws, opcode):
    ws.send(opcode, b"x")
    ws.expect_close(1002)


# -- section 5.4 / Autobahn 5: fragmentation --------------------------------------------------

def test_5_4_fragmented_text(ws):
    ws.send(OP_TEXT, b"frag", fin=False)
    ws.send(OP_CONT, b"men", fin=False)
    ws.send(OP_CONT, b"ted", fin=True)
    assert ws.recv_message() == (OP_TEXT, b"fragmented")


def test_5_4_fragmented_binary_with_empty_fragments(ws):
    ws.send(OP_BINARY, b"", fin=False)
    ws.send(OP_CONT, b"\x01\x02", fin=False)
    ws.send(OP_CONT, b"", fin=True)
    assert ws.recv_message() == (OP_BINARY, b"\x01\x02")


def test_5_4_pings_between_fragments(ws):
    ws.send(OP_TEXT, b"one ", fin=False)
    ws.send(OP_PING, b"between")
    ws.send(OP_CONT, b"two ", fin=False)
    ws.send(OP_PING, b"again")
    ws.send(OP_CONT, b"three", fin=True)
    assert ws.recv_frame() == (True, 0, OP_PONG, b"between")
    assert ws.recv_frame() == (True, 0, OP_PONG, b"again")
    assert ws.recv_message() == (OP_TEXT, b"one two three")


def test_5_4_continuation_without_start_is_1002(ws):
    ws.send(OP_CONT, b"orphan", fin=True)
    ws.expect_close(1002)


def test_5_4_unfinished_continuation_without_start_is_1002(ws):
    ws.send(OP_CONT, b"orphan", fin=False)
    ws.expect_close(1002)


def test_5_4_new_message_inside_fragmented_one_is_1002(ws):
    ws.send(OP_TEXT, b"start", fin=False)
    ws.send(OP_TEXT, b"again", fin=True)
    ws.expect_close(1002)


def test_5_5_fragmented_ping_is_1002(ws):
    ws.send(OP_PING, b"half", fin=False)
    ws.expect_close(1002)


# -- section 8.1 / Autobahn 6: UTF-8 ----------------------------------------------------------

VALID = ["Hello-µ@ßöäüàá-UTF-8!!", "κόσμε", "\U0010FFFF", "\u07FF\uFFFD\uE000", ""]
INVALID = [b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited",  # surrogate
           b"\xc0\xaf",  # overlong
           b"\xf4\x90\x80\x80",  # above U+10FFFF
           b"\xfe", b"\xff", b"\x80", b"abc\xe2\x82"]  # truncated at the end


@pytest.mark.parametrize("text", VALID)
def test_8_1_valid_utf8_is_echoed(ws, text):
    ws.send(OP_TEXT, text.encode())
    assert ws.recv_message() == (OP_TEXT, text.encode())


def test_8_1_code_point_split_across_fragments(ws):
    data = "κόσμε".encode()
    for i in range(1, len(data)):
        ws.send(OP_TEXT, data[:i], fin=False)
        ws.send(OP_CONT, data[i:], fin=True)
        assert ws.recv_message() == (OP_TEXT, data)


@pytest.mark.parametrize("data", INVALID)
def test_8_1_invalid_utf8_is_1007(ws, data):
    ws.send(OP_TEXT, data)
    ws.expect_close(1007)


def test_8_1_invalid_utf8_fails_fast_inside_a_fragment(ws):
    # The first fragment is already impossible; the server must not wait for the rest.
    ws.send(OP_TEXT, b"good so far \xed\xa0\x80", fin=False)
    ws.expect_close(1007)


def test_8_1_invalid_utf8_fails_fast_inside_a_frame(ws):
    # A frame announcing 1000 bytes, of which only an invalid prefix is sent.
    frame = ws.frame(OP_TEXT, b"\xc0" + b"a" * 999)
    ws.send_raw(frame[:20])
    ws.expect_close(1007)


def test_8_1_binary_is_not_validated(ws):
    ws.send(OP_BINARY, b"\xff\xfe\xc0")
    assert ws.recv_message() == (OP_BINARY, b"\xff\xfe\xc0")


# -- section 7 / Autobahn 7: closing ----------------------------------------------------------

@pytest.mark.parametrize("code", [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012,
                                  1013, 1014, 3000, 3999, 4000, 4999])
def test_7_4_valid_close_code_is_echoed(ws, code):
    ws.send_close(code, b"bye")
    ws.expect_close(code)


def test_7_1_5_empty_close_gets_close(ws):
    ws.send_close(None)
    ws.expect_close(None)


@pytest.mark.parametrize("code", [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000,
                                  65535])
def test_7_4_invalid_close_code_is_1002(ws, code):
    ws.send_close(code)
    ws.expect_close(1002)


def test_7_1_5_one_byte_close_payload_is_1002(ws):
    ws.send(OP_CLOSE, b"\x03")
    ws.expect_close(1002)


def test_7_1_6_close_reason_invalid_utf8_is_1007(ws):
    ws.send(OP_CLOSE, struct.pack("!H", 1000) + b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"
                                              b"\xed\xa0\x80")
    ws.expect_close(1007)


def test_7_close_with_125_byte_payload(ws):
    ws.send_close(1000, b"r" * 123)
    ws.expect_close(1000)


def test_7_close_with_126_byte_payload_is_1002(ws):
    ws.send(OP_CLOSE, struct.pack("!H", 1000) + b"r" * 124)
    ws.expect_close(1002)


def test_7_data_after_close_is_ignored(ws):
    # One write, so that the server has read it all before it closes (no RST).
    ws.send_raw(ws.frame(OP_CLOSE, struct.pack("!H", 1000)) + ws.frame(OP_TEXT, b"too late") +
                ws.frame(OP_PING, b"too late"))
    ws.expect_close(1000)


def test_7_messages_before_close_are_answered(ws):
    ws.send(OP_TEXT, b"first")
    ws.send_close(1000)
    assert ws.recv_message() == (OP_TEXT, b"first")
    ws.expect_close(1000)


# -- section 10.4 / Autobahn 9: limits --------------------------------------------------------

def test_10_4_frame_over_the_limit_is_1009(ws):
    # Only the header: a 17 MiB frame is refused before its payload arrives.
    ws.send_raw(ws.frame(OP_BINARY, b"", length=17 << 20, key=b"\0\0\0\0"))
    ws.expect_close(1009)


def test_10_4_message_over_the_limit_is_1009(ws):
    ws.send(OP_BINARY, b"\0" * (10 << 20), fin=False, key=b"\0\0\0\0")
    ws.send_raw(ws.frame(OP_CONT, b"", length=7 << 20, key=b"\0\0\0\0"))
    ws.expect_close(1009)


def test_10_4_large_fragmented_message_within_the_limit(ws):
    chunk = b"z" * (1 << 20)
    ws.send(OP_BINARY, chunk, fin=False, key=b"\0\0\0\0")
    for _ in range(6):
        ws.send(OP_CONT, chunk, fin=False, key=b"\0\0\0\0")
    ws.send(OP_CONT, chunk, fin=True, key=b"\0\0\0\0")
    assert ws.recv_message() == (OP_BINARY, chunk * 8)


# -- section 7.1.1: the server closes the TCP connection after the handshake -----------------

def test_7_1_1_server_closes_tcp_after_close(ws):
    ws.send_close(1000)
    fin, rsv, op, payload = ws.recv_frame()
    assert op == OP_CLOSE and close_code(payload) == 1000
    ws.expect_eof()


def test_7_4_1_drain_sends_1001(start_server):
    server = start_server("hello", threads=1)
    c = RawWs(server.port)
    assert c.status == 101
    c.send(OP_TEXT, b"alive")
    assert c.recv_message() == (OP_TEXT, b"alive")
    server.signal(signal.SIGTERM)
    try:
        c.expect_close(1001)
    finally:
        c.close()
    server.expected_exit = True
    assert server.wait(10) == 0


def test_abrupt_disconnect_mid_frame_leaves_server_healthy(hello):
    c = RawWs(hello.port)
    c.send_raw(c.frame(OP_TEXT, b"x" * 1000)[:100])
    c.close()
    c2 = RawWs(hello.port)
    c2.send(OP_TEXT, b"still fine")
    assert c2.recv_message() == (OP_TEXT, b"still fine")
    c2.close()
