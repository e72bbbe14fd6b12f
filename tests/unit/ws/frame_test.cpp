#include "ws/frame.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace gannet::ws {
namespace {

using Status = FrameHeaderDecoder::Result::Status;

std::string unhex(std::string_view hex) {
    std::string out;
    int nibble = -1;
    for (char c : hex) {
        int v = -1;
        if (c >= '0' && c <= '9') v = c - '0';
        if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        if (v < 0) continue;
        if (nibble < 0) {
            nibble = v;
        } else {
            out.push_back(static_cast<char>(nibble * 16 + v));
            nibble = -1;
        }
    }
    return out;
}

FrameHeaderDecoder::Config server_config(std::uint64_t max = kDefaultMaxFrameSize,
                                         bool rsv1 = false) {
    return {.role = Role::server, .allow_rsv1 = rsv1, .max_payload = max};
}

FrameHeaderDecoder::Config client_config() {
    return {.role = Role::client, .allow_rsv1 = false, .max_payload = kDefaultMaxFrameSize};
}

// A masked frame as a client sends it.
std::string client_frame(Opcode op, std::string payload, bool fin = true, bool rsv1 = false,
                         MaskKey key = {0x37, 0xfa, 0x21, 0x3d}) {
    FrameHeader h;
    h.opcode = op;
    h.fin = fin;
    h.rsv1 = rsv1;
    h.masked = true;
    h.mask = key;
    h.payload_length = payload.size();
    std::string out;
    append_frame_header(out, h);
    apply_mask(payload, key);
    return out + payload;
}

// Decodes one header from `bytes`, all in one feed.
FrameHeaderDecoder::Result decode_one(std::string_view bytes, FrameHeaderDecoder::Config config,
                                      FrameHeader* header = nullptr) {
    FrameHeaderDecoder d(config);
    auto r = d.feed(bytes);
    if (header != nullptr) *header = d.header();
    return r;
}

// Feeds `bytes` one at a time; returns the index of the byte whose feed gave `done` or `error`
// (and that result), or -1.
std::pair<int, FrameHeaderDecoder::Result> decode_bytewise(std::string_view bytes,
                                                           FrameHeaderDecoder::Config config) {
    FrameHeaderDecoder d(config);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        auto r = d.feed(bytes.substr(i, 1));
        if (r.status != Status::need_more) return {static_cast<int>(i), r};
        EXPECT_EQ(r.consumed, 1u);
    }
    return {-1, {}};
}

// --- RFC 6455 section 5.7 examples -----------------------------------------------------------

TEST(Frame, Rfc6455MaskedHello) {
    std::string wire = unhex("81 85 37 fa 21 3d 7f 9f 4d 51 58");
    FrameHeader h;
    const auto r = decode_one(wire, server_config(), &h);
    ASSERT_EQ(r.status, Status::done);
    EXPECT_EQ(r.consumed, 6u);
    EXPECT_EQ(h.opcode, Opcode::text);
    EXPECT_TRUE(h.fin);
    EXPECT_FALSE(h.rsv1);
    EXPECT_TRUE(h.masked);
    EXPECT_EQ(h.mask, (MaskKey{0x37, 0xfa, 0x21, 0x3d}));
    EXPECT_EQ(h.payload_length, 5u);
    std::span<char> payload(wire.data() + 6, 5);
    apply_mask(payload, h.mask);
    EXPECT_EQ(std::string_view(payload.data(), payload.size()), "Hello");

    EXPECT_EQ(client_frame(Opcode::text, "Hello"), unhex("81 85 37 fa 21 3d 7f 9f 4d 51 58"));
}

TEST(Frame, Rfc6455UnmaskedHelloAndFragments) {
    FrameHeader h;
    auto r = decode_one(unhex("81 05 48 65 6c 6c 6f"), client_config(), &h);
    ASSERT_EQ(r.status, Status::done);
    EXPECT_EQ(r.consumed, 2u);
    EXPECT_EQ(h.payload_length, 5u);
    EXPECT_FALSE(h.masked);

    std::string out;
    append_frame(out, Opcode::text, "Hello");
    EXPECT_EQ(out, unhex("81 05 48 65 6c 6c 6f"));

    // A fragmented unmasked text message: "Hel" then "lo".
    out.clear();
    append_frame(out, Opcode::text, "Hel", false);
    append_frame(out, Opcode::continuation, "lo");
    EXPECT_EQ(out, unhex("01 03 48 65 6c 80 02 6c 6f"));

    FrameHeaderDecoder d(client_config());
    MessageAssembler a;
    std::string_view in = out;
    std::string message;
    bool ended = false;
    while (!in.empty()) {
        auto res = d.feed(in);
        ASSERT_EQ(res.status, Status::done);
        in.remove_prefix(res.consumed);
        const auto info = a.on_frame(d.header());
        ASSERT_EQ(info.error, CloseCode::none);
        EXPECT_EQ(info.opcode, Opcode::text);
        message.append(in.substr(0, d.header().payload_length));
        in.remove_prefix(d.header().payload_length);
        ended = info.message_end;
    }
    EXPECT_TRUE(ended);
    EXPECT_EQ(message, "Hello");
}

TEST(Frame, Rfc6455PingPong) {
    std::string out;
    ASSERT_TRUE(append_ping_pong(out, Opcode::ping, "Hello"));
    EXPECT_EQ(out, unhex("89 05 48 65 6c 6c 6f"));

    FrameHeader h;
    ASSERT_EQ(decode_one(unhex("8a 85 37 fa 21 3d 7f 9f 4d 51 58"), server_config(), &h).status,
              Status::done);
    EXPECT_EQ(h.opcode, Opcode::pong);
    EXPECT_EQ(h.payload_length, 5u);
}

TEST(Frame, Rfc6455ExtendedLengths) {
    std::string out;
    append_frame(out, Opcode::binary, std::string(256, 'x'));
    EXPECT_EQ(out.substr(0, 4), unhex("82 7E 01 00"));
    EXPECT_EQ(out.size(), 4u + 256u);

    out.clear();
    append_frame(out, Opcode::binary, std::string(65536, 'x'));
    EXPECT_EQ(out.substr(0, 10), unhex("82 7F 00 00 00 00 00 01 00 00"));

    FrameHeader h;
    ASSERT_EQ(decode_one(out, client_config(), &h).status, Status::done);
    EXPECT_EQ(h.payload_length, 65536u);
}

// --- Encoder ---------------------------------------------------------------------------------

TEST(Frame, EncoderLengthBoundariesRoundTrip) {
    const std::pair<std::uint64_t, std::size_t> cases[] = {
        {0, 2},
        {1, 2},
        {125, 2},
        {126, 4},
        {127, 4},
        {65535, 4},
        {65536, 10},
        {std::uint64_t{1} << 32, 10},
        {(std::uint64_t{1} << 63) - 1, 10},
    };
    for (const auto& [length, size] : cases) {
        for (bool masked : {false, true}) {
            FrameHeader h;
            h.opcode = Opcode::binary;
            h.fin = false;
            h.rsv1 = true;
            h.masked = masked;
            h.mask = {1, 2, 3, 4};
            h.payload_length = length;
            char buf[kMaxFrameHeaderSize];
            const std::size_t n = encode_frame_header(h, buf);
            EXPECT_EQ(n, size + (masked ? 4 : 0)) << length;

            FrameHeaderDecoder::Config config{.role = masked ? Role::server : Role::client,
                                              .allow_rsv1 = true,
                                              .max_payload = UINT64_MAX};
            FrameHeader got;
            const auto r = decode_one(std::string_view(buf, n), config, &got);
            ASSERT_EQ(r.status, Status::done) << r.reason;
            EXPECT_EQ(r.consumed, n);
            EXPECT_EQ(got.payload_length, length);
            EXPECT_EQ(got.opcode, Opcode::binary);
            EXPECT_FALSE(got.fin);
            EXPECT_TRUE(got.rsv1);
            EXPECT_EQ(got.masked, masked);
            if (masked) {
                EXPECT_EQ(got.mask, h.mask);
            }
        }
    }
}

// --- Decoder errors --------------------------------------------------------------------------

struct ErrorCase {
    const char* name;
    std::string wire;  // a header (maybe more)
    FrameHeaderDecoder::Config config;
    CloseCode expected;  // none: must decode
    int fail_at;         // byte index at which a bytewise feed must fail (-1: don't check)
};

TEST(Frame, DecoderRules) {
    const auto s = server_config();
    const auto s_rsv1 = server_config(kDefaultMaxFrameSize, true);
    const auto small = server_config(1000);
    const CloseCode ok = CloseCode::none;
    const CloseCode pe = CloseCode::protocol_error;
    const ErrorCase cases[] = {
        {"rsv2", unhex("a1 80 00 00 00 00"), s, pe, 1},
        {"rsv3", unhex("91 80 00 00 00 00"), s, pe, 1},
        {"rsv1 not negotiated", unhex("c1 80 00 00 00 00"), s, pe, 1},
        {"rsv1 negotiated on text", unhex("c1 80 00 00 00 00"), s_rsv1, ok, 5},
        {"rsv1 negotiated on binary start", unhex("42 80 00 00 00 00"), s_rsv1, ok, 5},
        {"rsv1 on continuation", unhex("c0 80 00 00 00 00"), s_rsv1, pe, 1},
        {"rsv1 on ping", unhex("c9 80 00 00 00 00"), s_rsv1, pe, 1},
        {"rsv1 on close", unhex("c8 80 00 00 00 00"), s_rsv1, pe, 1},
        {"opcode 3", unhex("83 80 00 00 00 00"), s, pe, 1},
        {"opcode 7", unhex("87 80 00 00 00 00"), s, pe, 1},
        {"opcode B", unhex("8b 80 00 00 00 00"), s, pe, 1},
        {"opcode F", unhex("8f 80 00 00 00 00"), s, pe, 1},
        {"fragmented ping", unhex("09 80 00 00 00 00"), s, pe, 1},
        {"fragmented close", unhex("08 80 00 00 00 00"), s, pe, 1},
        {"ping 125 bytes", unhex("89 fd 00 00 00 00"), s, ok, 5},
        {"ping 126 bytes", unhex("89 fe 00 7e 00 00 00 00"), s, pe, 1},
        {"close 127 length", unhex("88 ff 00 00 00 00 00 00 00 7e"), s, pe, 1},
        {"unmasked client frame", unhex("81 05 48 65 6c 6c 6f"), s, pe, 1},
        {"masked server frame", unhex("81 85 37 fa 21 3d"), client_config(), pe, 1},
        {"16-bit non-minimal", unhex("82 fe 00 7d 00 00 00 00"), s, pe, 3},
        {"16-bit minimal", unhex("82 fe 00 7e 00 00 00 00"), s, ok, 7},
        {"64-bit non-minimal", unhex("82 ff 00 00 00 00 00 00 ff ff 00 00 00 00"), s, pe, 9},
        {"64-bit minimal", unhex("82 ff 00 00 00 00 00 01 00 00 00 00 00 00"), s, ok, 13},
        {"64-bit top bit", unhex("82 ff 80 00 00 00 00 00 00 00 00 00 00 00"), s, pe, 9},
        {"frame at limit", unhex("82 fe 03 e8 00 00 00 00"), small, ok, 7},
        {"frame over limit", unhex("82 fe 03 e9 00 00 00 00"), small, CloseCode::message_too_big,
         3},
        {"huge frame over default limit", unhex("82 ff 00 00 00 00 01 00 00 01 00 00 00 00"), s,
         CloseCode::message_too_big, 9},
    };
    for (const ErrorCase& c : cases) {
        SCOPED_TRACE(c.name);
        // One feed with the whole header.
        FrameHeaderDecoder d(c.config);
        const auto r = d.feed(c.wire);
        if (c.expected == CloseCode::none) {
            EXPECT_EQ(r.status, Status::done) << r.reason;
        } else {
            EXPECT_EQ(r.status, Status::error);
            EXPECT_EQ(r.error, c.expected);
            EXPECT_FALSE(r.reason.empty());
            // Sticky until reset().
            const auto again = d.feed(c.wire);
            EXPECT_EQ(again.status, Status::error);
            EXPECT_EQ(again.error, c.expected);
            d.reset();
            const bool server = c.config.role == Role::server;
            EXPECT_EQ(d.feed(unhex(server ? "82 80 00 00 00 00" : "82 00")).status, Status::done);
        }
        // Byte by byte: the verdict comes at the first byte that decides it.
        const auto [at, br] = decode_bytewise(c.wire, c.config);
        EXPECT_EQ(at, c.fail_at);
        if (c.expected == CloseCode::none) {
            EXPECT_EQ(br.status, Status::done);
        } else {
            EXPECT_EQ(br.status, Status::error);
            EXPECT_EQ(br.error, c.expected);
        }
    }
}

TEST(Frame, DecoderConsumesOnlyTheHeader) {
    FrameHeaderDecoder d(server_config());
    const std::string two = client_frame(Opcode::text, "abc") + client_frame(Opcode::ping, "");
    auto r = d.feed(two);
    ASSERT_EQ(r.status, Status::done);
    EXPECT_EQ(r.consumed, 6u);
    EXPECT_EQ(d.header().payload_length, 3u);
    r = d.feed(std::string_view(two).substr(6 + 3));
    ASSERT_EQ(r.status, Status::done);
    EXPECT_EQ(d.header().opcode, Opcode::ping);
    EXPECT_EQ(d.header().payload_length, 0u);
    EXPECT_EQ(d.feed("").status, Status::need_more);
}

TEST(Frame, DecoderSetConfig) {
    FrameHeaderDecoder d(server_config());
    EXPECT_FALSE(d.config().allow_rsv1);
    d.set_config(server_config(kDefaultMaxFrameSize, true));
    EXPECT_EQ(d.feed(client_frame(Opcode::text, "x", true, true)).status, Status::done);
    EXPECT_TRUE(d.header().rsv1);
}

// --- Masking ---------------------------------------------------------------------------------

TEST(Frame, ApplyMaskMatchesNaiveAtEveryAlignmentAndOffset) {
    const MaskKey key = {0xA5, 0x01, 0xFF, 0x3C};
    alignas(16) char storage[128];
    for (std::size_t align = 0; align < 8; ++align) {
        for (std::size_t len = 0; len < 64; ++len) {
            for (std::size_t offset = 0; offset < 8; ++offset) {
                std::string data(len, '\0');
                for (std::size_t i = 0; i < len; ++i) data[i] = static_cast<char>(i * 31 + 7);
                std::string expect = data;
                for (std::size_t i = 0; i < len; ++i) {
                    expect[i] = static_cast<char>(expect[i] ^ key[(offset + i) % 4]);
                }
                std::copy(data.begin(), data.end(), storage + align);
                const std::size_t next =
                    apply_mask(std::span<char>(storage + align, len), key, offset);
                EXPECT_EQ(next, (offset + len) % 4);
                EXPECT_EQ(std::string_view(storage + align, len), expect);
            }
        }
    }
}

TEST(Frame, ApplyMaskPiecewiseEqualsWhole) {
    std::mt19937 rng(7);
    const MaskKey key = {0x12, 0x34, 0x56, 0x78};
    for (int iter = 0; iter < 200; ++iter) {
        std::string data(rng() % 3000, '\0');
        for (char& c : data) c = static_cast<char>(rng());
        std::string whole = data;
        apply_mask(whole, key);
        std::size_t offset = 0;
        for (std::size_t pos = 0; pos < data.size();) {
            const std::size_t n = std::min<std::size_t>(rng() % 50 + 1, data.size() - pos);
            offset = apply_mask(std::span<char>(data.data() + pos, n), key, offset);
            pos += n;
        }
        ASSERT_EQ(data, whole);
        apply_mask(data, key);  // involution
        apply_mask(whole, key);
        ASSERT_EQ(data, whole);
    }
}

// --- Message assembly ------------------------------------------------------------------------

FrameHeader frame(Opcode op, bool fin, std::uint64_t len = 1, bool rsv1 = false) {
    FrameHeader h;
    h.opcode = op;
    h.fin = fin;
    h.rsv1 = rsv1;
    h.masked = true;
    h.payload_length = len;
    return h;
}

TEST(MessageAssembler, SingleAndFragmentedMessages) {
    MessageAssembler a;
    auto i = a.on_frame(frame(Opcode::binary, true, 10));
    EXPECT_EQ(i.error, CloseCode::none);
    EXPECT_EQ(i.opcode, Opcode::binary);
    EXPECT_TRUE(i.message_start);
    EXPECT_TRUE(i.message_end);
    EXPECT_FALSE(a.in_message());

    i = a.on_frame(frame(Opcode::text, false, 3, true));
    EXPECT_TRUE(i.message_start);
    EXPECT_FALSE(i.message_end);
    EXPECT_TRUE(i.compressed);
    EXPECT_TRUE(a.in_message());
    // Control frames between fragments are fine and leave the message alone.
    i = a.on_frame(frame(Opcode::ping, true, 0));
    EXPECT_EQ(i.error, CloseCode::none);
    EXPECT_EQ(i.opcode, Opcode::ping);
    EXPECT_FALSE(i.compressed);
    EXPECT_TRUE(a.in_message());
    i = a.on_frame(frame(Opcode::continuation, false, 4));
    EXPECT_EQ(i.opcode, Opcode::text);
    EXPECT_FALSE(i.message_start);
    EXPECT_TRUE(i.compressed);
    i = a.on_frame(frame(Opcode::pong, true, 0));
    EXPECT_EQ(i.error, CloseCode::none);
    i = a.on_frame(frame(Opcode::continuation, true, 5));
    EXPECT_EQ(i.error, CloseCode::none);
    EXPECT_TRUE(i.message_end);
    EXPECT_EQ(i.opcode, Opcode::text);
    EXPECT_EQ(a.size(), 12u);
    EXPECT_FALSE(a.in_message());
}

TEST(MessageAssembler, SequencingErrors) {
    {
        MessageAssembler a;
        EXPECT_EQ(a.on_frame(frame(Opcode::continuation, true)).error, CloseCode::protocol_error);
    }
    {
        MessageAssembler a;
        EXPECT_EQ(a.on_frame(frame(Opcode::continuation, false)).error, CloseCode::protocol_error);
    }
    {
        MessageAssembler a;
        ASSERT_EQ(a.on_frame(frame(Opcode::text, false)).error, CloseCode::none);
        EXPECT_EQ(a.on_frame(frame(Opcode::text, true)).error, CloseCode::protocol_error);
    }
    {
        MessageAssembler a;
        ASSERT_EQ(a.on_frame(frame(Opcode::binary, false)).error, CloseCode::none);
        EXPECT_EQ(a.on_frame(frame(Opcode::text, false)).error, CloseCode::protocol_error);
    }
    {
        // After a complete message, a continuation is an error again.
        MessageAssembler a;
        ASSERT_EQ(a.on_frame(frame(Opcode::text, false)).error, CloseCode::none);
        ASSERT_EQ(a.on_frame(frame(Opcode::continuation, true)).error, CloseCode::none);
        EXPECT_EQ(a.on_frame(frame(Opcode::continuation, true)).error, CloseCode::protocol_error);
    }
}

TEST(MessageAssembler, SizeLimit) {
    MessageAssembler a(100);
    EXPECT_EQ(a.on_frame(frame(Opcode::text, true, 100)).error, CloseCode::none);
    EXPECT_EQ(a.on_frame(frame(Opcode::text, false, 60)).error, CloseCode::none);
    EXPECT_EQ(a.on_frame(frame(Opcode::ping, true, 125)).error, CloseCode::none);
    EXPECT_EQ(a.on_frame(frame(Opcode::continuation, false, 40)).error, CloseCode::none);
    EXPECT_EQ(a.on_frame(frame(Opcode::continuation, true, 1)).error, CloseCode::message_too_big);

    MessageAssembler b(100);
    EXPECT_EQ(b.on_frame(frame(Opcode::binary, true, 101)).error, CloseCode::message_too_big);
    MessageAssembler c(100);
    EXPECT_EQ(c.on_frame(frame(Opcode::binary, false, 50)).error, CloseCode::none);
    EXPECT_EQ(c.on_frame(frame(Opcode::continuation, false, UINT64_MAX >> 1)).error,
              CloseCode::message_too_big);
    c.reset();
    EXPECT_FALSE(c.in_message());
    EXPECT_EQ(c.on_frame(frame(Opcode::text, true, 100)).error, CloseCode::none);
}

// --- Random splits of a realistic frame stream -----------------------------------------------

struct Sent {
    Opcode opcode;
    std::string payload;  // the whole message, or the control payload
};

TEST(Frame, RandomSplitsOfAFrameStream) {
    for (unsigned seed = 1; seed <= 20; ++seed) {
        std::mt19937 rng(seed);
        std::string wire;
        std::vector<Sent> sent;
        for (int m = 0; m < 40; ++m) {
            // A data message in 1-4 fragments, sometimes with control frames between them.
            const Opcode op = rng() % 2 ? Opcode::text : Opcode::binary;
            const int fragments = static_cast<int>(rng() % 4) + 1;
            std::string message;
            for (int f = 0; f < fragments; ++f) {
                std::size_t len = rng() % 200;
                if (rng() % 20 == 0) len = 126 + rng() % 70000;  // 16- and 64-bit lengths
                std::string payload(len, '\0');
                for (char& c : payload) c = static_cast<char>('a' + rng() % 26);
                message += payload;
                const MaskKey key = {
                    static_cast<std::uint8_t>(rng()), static_cast<std::uint8_t>(rng()),
                    static_cast<std::uint8_t>(rng()), static_cast<std::uint8_t>(rng())};
                wire += client_frame(f == 0 ? op : Opcode::continuation, payload,
                                     f == fragments - 1, false, key);
                if (f == fragments - 1) sent.push_back({op, message});
                if (rng() % 3 == 0) {
                    const Opcode cop = rng() % 2 ? Opcode::ping : Opcode::pong;
                    std::string cpayload(rng() % 126, 'p');
                    wire += client_frame(cop, cpayload, true, false, key);
                    sent.push_back({cop, cpayload});
                }
            }
        }
        std::vector<Sent> received;

        FrameHeaderDecoder decoder(server_config());
        MessageAssembler assembler;
        std::string buffered;  // as a connection's read buffer
        std::uint64_t payload_left = 0;
        std::size_t mask_offset = 0;
        bool in_payload = false;
        MessageAssembler::FrameInfo info;
        MaskKey key{};
        std::string message;
        std::string control;
        for (std::size_t pos = 0; pos < wire.size();) {
            const std::size_t n = std::min<std::size_t>(rng() % 300 + 1, wire.size() - pos);
            buffered.append(wire, pos, n);
            pos += n;
            std::size_t used = 0;
            for (;;) {
                if (!in_payload) {
                    const auto r = decoder.feed(std::string_view(buffered).substr(used));
                    used += r.consumed;
                    ASSERT_NE(r.status, Status::error) << r.reason;
                    if (r.status == Status::need_more) break;
                    info = assembler.on_frame(decoder.header());
                    ASSERT_EQ(info.error, CloseCode::none) << info.reason;
                    payload_left = decoder.header().payload_length;
                    key = decoder.header().mask;
                    mask_offset = 0;
                    in_payload = true;
                    control.clear();
                }
                const std::size_t take =
                    std::min<std::uint64_t>(payload_left, buffered.size() - used);
                std::span<char> piece(buffered.data() + used, take);
                mask_offset = apply_mask(piece, key, mask_offset);
                (is_control(info.opcode) ? control : message).append(piece.data(), take);
                used += take;
                payload_left -= take;
                if (payload_left > 0) break;
                in_payload = false;
                if (is_control(info.opcode)) {
                    received.push_back({info.opcode, control});
                } else if (info.message_end) {
                    received.push_back({info.opcode, message});
                    message.clear();
                }
            }
            buffered.erase(0, used);
        }
        EXPECT_TRUE(buffered.empty());
        EXPECT_FALSE(in_payload);
        ASSERT_EQ(received.size(), sent.size()) << "seed " << seed;
        for (std::size_t i = 0; i < sent.size(); ++i) {
            EXPECT_EQ(received[i].opcode, sent[i].opcode) << "seed " << seed << " #" << i;
            EXPECT_EQ(received[i].payload, sent[i].payload) << "seed " << seed << " #" << i;
        }
    }
}

// --- Close frames ----------------------------------------------------------------------------

TEST(CloseFrame, CodeValidity) {
    for (int code = 0; code < 70000; ++code) {
        const bool expect = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                            (code >= 3000 && code <= 4999);
        ASSERT_EQ(is_valid_close_code(static_cast<std::uint16_t>(code)), expect && code < 65536)
            << code;
        if (code == 65535) break;
    }
    for (int bad : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
        EXPECT_FALSE(is_valid_close_code(static_cast<std::uint16_t>(bad))) << bad;
    }
}

TEST(CloseFrame, ParsePayload) {
    auto c = parse_close_payload("");
    EXPECT_EQ(c.error, CloseCode::none);
    EXPECT_EQ(c.code, CloseCode::no_status);

    c = parse_close_payload(unhex("03"));
    EXPECT_EQ(c.error, CloseCode::protocol_error);

    c = parse_close_payload(unhex("03 e8"));
    EXPECT_EQ(c.error, CloseCode::none);
    EXPECT_EQ(c.code, CloseCode::normal);
    EXPECT_EQ(c.reason, "");

    const std::string payload = unhex("0f a0") + "bye \xE2\x82\xAC";  // reason views into it
    c = parse_close_payload(payload);
    EXPECT_EQ(c.error, CloseCode::none);
    EXPECT_EQ(static_cast<int>(c.code), 4000);
    EXPECT_EQ(c.reason, "bye \xE2\x82\xAC");

    for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535}) {
        std::string p = {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
        EXPECT_EQ(parse_close_payload(p).error, CloseCode::protocol_error) << code;
    }
    for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000,
                     3999, 4000, 4999}) {
        std::string p = {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
        EXPECT_EQ(parse_close_payload(p).error, CloseCode::none) << code;
    }

    // Invalid UTF-8 in the reason (Autobahn 7.5.1).
    c = parse_close_payload(unhex("03 e8 ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80 65 64"));
    EXPECT_EQ(c.error, CloseCode::invalid_payload);
    c = parse_close_payload(unhex("03 e8 e2 82"));  // truncated character
    EXPECT_EQ(c.error, CloseCode::invalid_payload);
}

TEST(CloseFrame, BuildFrames) {
    std::string out;
    ASSERT_TRUE(append_close_frame(out, CloseCode::normal, "bye"));
    EXPECT_EQ(out, unhex("88 05 03 e8") + "bye");

    out.clear();
    ASSERT_TRUE(append_close_frame(out, CloseCode::no_status, "dropped"));
    EXPECT_EQ(out, unhex("88 00"));

    out.clear();
    EXPECT_FALSE(append_close_frame(out, CloseCode::abnormal));
    EXPECT_FALSE(append_close_frame(out, static_cast<CloseCode>(1004)));
    EXPECT_FALSE(append_close_frame(out, static_cast<CloseCode>(5000)));
    EXPECT_TRUE(out.empty());
    EXPECT_TRUE(append_close_frame(out, static_cast<CloseCode>(4321)));
    EXPECT_EQ(out, unhex("88 02 10 e1"));
}

TEST(CloseFrame, ReasonTruncatedAtCharacterBoundary) {
    char buf[kMaxControlPayload];
    // ASCII: exactly 123 bytes of reason fit.
    std::size_t n = encode_close_payload(CloseCode::going_away, std::string(300, 'r'), buf);
    EXPECT_EQ(n, 125u);

    // Two-byte characters: 123 would split one, so 122.
    std::string two;
    for (int i = 0; i < 100; ++i) two += "\xC3\xA9";
    n = encode_close_payload(CloseCode::going_away, two, buf);
    EXPECT_EQ(n, 2u + 122u);
    EXPECT_TRUE(parse_close_payload(std::string_view(buf, n)).error == CloseCode::none);

    // Three- and four-byte characters, at every phase.
    for (std::size_t prefix = 0; prefix < 4; ++prefix) {
        for (std::string_view ch : {"\xE2\x82\xAC", "\xF0\x9F\x98\x80"}) {
            std::string reason(prefix, 'x');
            while (reason.size() < 200) reason += ch;
            n = encode_close_payload(CloseCode::normal, reason, buf);
            EXPECT_LE(n, kMaxControlPayload);
            EXPECT_GT(n, kMaxControlPayload - ch.size());
            const auto parsed = parse_close_payload(std::string_view(buf, n));
            EXPECT_EQ(parsed.error, CloseCode::none) << prefix;
            EXPECT_EQ(parsed.reason, std::string_view(reason).substr(0, n - 2));
        }
    }

    // The frame built from it is a valid control frame.
    std::string out;
    ASSERT_TRUE(append_close_frame(out, CloseCode::normal, two));
    FrameHeader h;
    ASSERT_EQ(decode_one(out, client_config(), &h).status, Status::done);
    EXPECT_LE(h.payload_length, kMaxControlPayload);
}

TEST(Frame, PingPongLimits) {
    std::string out;
    EXPECT_TRUE(append_ping_pong(out, Opcode::pong, std::string(125, 'x')));
    EXPECT_EQ(out.size(), 127u);
    out.clear();
    EXPECT_FALSE(append_ping_pong(out, Opcode::ping, std::string(126, 'x')));
    EXPECT_FALSE(append_ping_pong(out, Opcode::close, ""));
    EXPECT_FALSE(append_ping_pong(out, Opcode::text, ""));
    EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace gannet::ws
