"""RFC 7692 (permessage-deflate) conformance of examples/hello's /ws/echo over raw sockets, in
the spirit of Autobahn groups 12 and 13: negotiation, compressed messages in both directions
(zlib on this side), fragmentation, context takeover, and bounded inflation (a zip bomb)."""

from __future__ import annotations

import zlib

import pytest

from conftest import OP_BINARY, OP_CONT, OP_PING, OP_PONG, OP_TEXT, RawWs, deflate_message


def connect(port: int, offer: str | None = "permessage-deflate; client_max_window_bits"):
    c = RawWs(port, extensions=offer)
    assert c.status == 101
    return c


@pytest.fixture
def ws(hello):
    c = connect(hello.port)
    assert c.deflate, c.headers
    yield c
    c.close()


def test_7_1_negotiated_response(hello):
    c = connect(hello.port, "permessage-deflate; client_max_window_bits")
    ext = c.headers["sec-websocket-extensions"]
    assert ext.startswith("permessage-deflate")
    c.close()


def test_7_1_no_offer_no_extension(hello):
    c = connect(hello.port, None)
    assert "sec-websocket-extensions" not in c.headers
    c.close()


def test_7_1_invalid_offer_is_declined_not_failed(hello):
    c = connect(hello.port, "permessage-deflate; server_max_window_bits=7")
    assert "sec-websocket-extensions" not in c.headers
    c.send(OP_TEXT, b"plain")
    assert c.recv_message() == (OP_TEXT, b"plain")
    c.close()


def test_7_1_second_offer_accepted(hello):
    c = connect(hello.port, "permessage-deflate; unknown_param, permessage-deflate; "
                            "server_no_context_takeover")
    assert "server_no_context_takeover" in c.headers["sec-websocket-extensions"]
    msg = b"abc" * 1000
    for _ in range(3):
        c.send(OP_TEXT, deflate_message(msg), rsv=4)
        assert c.recv_message() == (OP_TEXT, msg)
    c.close()


def test_7_2_unknown_extension_is_ignored(hello):
    c = connect(hello.port, "x-webkit-deflate-frame")
    assert "sec-websocket-extensions" not in c.headers
    c.close()


@pytest.mark.parametrize("n", [0, 1, 100, 1023, 1024, 5000, 65536, 1 << 20])
@pytest.mark.parametrize("opcode", [OP_TEXT, OP_BINARY])
def test_7_2_compressed_echo(ws, opcode, n):
    payload = (b"Hello permessage-deflate " * (n // 25 + 1))[:n]
    ws.send(opcode, deflate_message(payload), rsv=4)
    got_op, got = ws.recv_message()
    assert (got_op, got) == (opcode, payload)


def test_7_2_large_echo_comes_back_compressed(ws):
    payload = b"compress me " * 1000
    ws.send(OP_TEXT, payload)  # uncompressed from us is allowed
    fin, rsv, op, data = ws.recv_frame()
    assert op == OP_TEXT and rsv == 4, "a message over the threshold is sent compressed"
    assert len(data) < len(payload)
    assert zlib.decompressobj(-15).decompress(data + b"\x00\x00\xff\xff") == payload


def test_7_2_small_echo_comes_back_uncompressed(ws):
    ws.send(OP_TEXT, deflate_message(b"tiny"), rsv=4)
    assert ws.recv_frame() == (True, 0, OP_TEXT, b"tiny")


def test_7_2_context_takeover_across_messages(ws):
    # One compressor for several messages: later ones refer back to earlier ones.
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    for i in range(20):
        msg = b"repeated context %d " % (i % 3) * 200
        data = c.compress(msg) + c.flush(zlib.Z_SYNC_FLUSH)
        ws.send(OP_TEXT, data[:-4], rsv=4)
        assert ws.recv_message() == (OP_TEXT, msg)


def test_7_2_fragmented_compressed_message_with_ping(ws):
    msg = ("fragmented and compressed κόσμε " * 300).encode()
    data = deflate_message(msg)
    a, b, c = data[:10], data[10:50], data[50:]
    ws.send(OP_TEXT, a, rsv=4, fin=False)
    ws.send(OP_CONT, b, fin=False)
    ws.send(OP_PING, b"mid")
    ws.send(OP_CONT, c, fin=True)
    assert ws.recv_frame() == (True, 0, OP_PONG, b"mid")
    assert ws.recv_message() == (OP_TEXT, msg)


def test_7_2_rsv1_on_continuation_is_1002(ws):
    data = deflate_message(b"x" * 2000)
    ws.send(OP_TEXT, data[:5], rsv=4, fin=False)
    ws.send(OP_CONT, data[5:], rsv=4, fin=True)
    ws.expect_close(1002)


def test_7_2_rsv1_on_control_frame_is_1002(ws):
    ws.send(OP_PING, b"x", rsv=4)
    ws.expect_close(1002)


def test_7_2_rsv1_without_negotiation_is_1002(hello):
    c = connect(hello.port, None)
    c.send(OP_TEXT, deflate_message(b"hello"), rsv=4)
    c.expect_close(1002)
    c.close()


def test_7_2_invalid_compressed_data_is_1007(ws):
    ws.send(OP_BINARY, b"\xff\xff\xff\xff\xff\xff", rsv=4)
    ws.expect_close(1007)


def test_7_2_compressed_invalid_utf8_is_1007(ws):
    ws.send(OP_TEXT, deflate_message(b"ok then \xed\xa0\x80"), rsv=4)
    ws.expect_close(1007)


def test_7_2_zip_bomb_is_1009(ws):
    # 20 MiB of zeros compresses to about 20 KiB: over the 16 MiB limit once inflated.
    bomb = deflate_message(b"\0" * (20 << 20))
    assert len(bomb) < 64 * 1024
    ws.send(OP_BINARY, bomb, rsv=4)
    ws.expect_close(1009)


def test_7_2_under_the_limit_inflates(ws):
    msg = b"\0" * (8 << 20)
    ws.send(OP_BINARY, deflate_message(msg), rsv=4)
    op, got = ws.recv_message()
    assert op == OP_BINARY and got == msg


def test_7_2_3_6_empty_compressed_message(ws):
    ws.send(OP_TEXT, b"\x00", rsv=4)  # RFC 7692 section 7.2.3.6
    assert ws.recv_message() == (OP_TEXT, b"")
