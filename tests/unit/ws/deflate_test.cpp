#include "ws/deflate.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <string>
#include <vector>

namespace gannet::ws {
namespace {

using IStatus = Inflater::Status;

std::string unhex(std::string_view hex) {
    std::string out;
    int nibble = -1;
    for (char c : hex) {
        int v = -1;
        if (c >= '0' && c <= '9') v = c - '0';
        if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
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

std::vector<ExtensionOffer> offers(std::string_view header) {
    std::vector<ExtensionOffer> out;
    EXPECT_TRUE(parse_extension_list(header, out)) << header;
    return out;
}

std::optional<DeflateAgreement> negotiate(std::string_view header, const DeflateConfig& c = {}) {
    return negotiate_deflate(offers(header), c);
}

// --- Offer validation ------------------------------------------------------------------------

TEST(DeflateOffer, ValidParameters) {
    auto o = parse_deflate_offer(offers("permessage-deflate")[0]);
    ASSERT_TRUE(o);
    EXPECT_FALSE(o->server_no_context_takeover);
    EXPECT_EQ(o->server_max_window_bits, 0);
    EXPECT_FALSE(o->client_max_window_bits);

    o =
        parse_deflate_offer(offers("Permessage-Deflate; server_no_context_takeover; "
                                   "client_no_context_takeover; server_max_window_bits=10; "
                                   "client_max_window_bits=\"9\"")[0]);
    ASSERT_TRUE(o);
    EXPECT_TRUE(o->server_no_context_takeover);
    EXPECT_TRUE(o->client_no_context_takeover);
    EXPECT_EQ(o->server_max_window_bits, 10);
    EXPECT_TRUE(o->client_max_window_bits);
    EXPECT_EQ(o->client_max_window_bits_value, 9);

    o = parse_deflate_offer(offers("permessage-deflate; client_max_window_bits")[0]);
    ASSERT_TRUE(o);
    EXPECT_TRUE(o->client_max_window_bits);
    EXPECT_EQ(o->client_max_window_bits_value, 0);
}

TEST(DeflateOffer, InvalidOffersAreDeclined) {
    for (std::string_view bad : {
             "x-webkit-deflate-frame",
             "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
             "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
             "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",
             "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
             "permessage-deflate; server_no_context_takeover=1",
             "permessage-deflate; client_no_context_takeover=true",
             "permessage-deflate; server_max_window_bits",
             "permessage-deflate; server_max_window_bits=7",
             "permessage-deflate; server_max_window_bits=16",
             "permessage-deflate; server_max_window_bits=010",
             "permessage-deflate; server_max_window_bits=0",
             "permessage-deflate; client_max_window_bits=8a",
             "permessage-deflate; client_max_window_bits=\"16\"",
             "permessage-deflate; client_max_window_bits=100",
             "permessage-deflate; unknown",
             "permessage-deflate; unknown=1",
         }) {
        EXPECT_FALSE(parse_deflate_offer(offers(bad)[0])) << bad;
        EXPECT_FALSE(negotiate(bad)) << bad;
    }
}

// --- Negotiation -----------------------------------------------------------------------------

TEST(DeflateNegotiation, Defaults) {
    auto a = negotiate("permessage-deflate");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->response, "permessage-deflate");
    EXPECT_EQ(a->params.server_max_window_bits, 15);
    EXPECT_EQ(a->params.client_max_window_bits, 15);
    EXPECT_FALSE(a->params.server_no_context_takeover);
    EXPECT_FALSE(a->params.client_no_context_takeover);

    // What browsers send.
    a = negotiate("permessage-deflate; client_max_window_bits");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->response, "permessage-deflate");
    EXPECT_EQ(a->params.client_max_window_bits, 15);
}

TEST(DeflateNegotiation, FirstValidOfferWins) {
    auto a = negotiate(
        "x-foo, permessage-deflate; bogus, permessage-deflate; server_max_window_bits=10, "
        "permessage-deflate");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->response, "permessage-deflate; server_max_window_bits=10");
    EXPECT_EQ(a->params.server_max_window_bits, 10);

    EXPECT_FALSE(negotiate("x-foo, permessage-deflate; bogus"));
    EXPECT_FALSE(negotiate(""));
    DeflateConfig off;
    off.enabled = false;
    EXPECT_FALSE(negotiate("permessage-deflate", off));
}

TEST(DeflateNegotiation, ContextTakeover) {
    auto a =
        negotiate("permessage-deflate; server_no_context_takeover; client_no_context_takeover");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->response,
              "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
    EXPECT_TRUE(a->params.server_no_context_takeover);
    EXPECT_TRUE(a->params.client_no_context_takeover);

    DeflateConfig c;
    c.server_no_context_takeover = true;
    c.client_no_context_takeover = true;
    a = negotiate("permessage-deflate", c);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->response,
              "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
}

TEST(DeflateNegotiation, WindowBits) {
    DeflateConfig c;
    c.server_max_window_bits = 12;
    c.client_max_window_bits = 10;

    // Server window: min(config, offer); echoed only when offered.
    auto a = negotiate("permessage-deflate", c);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->response, "permessage-deflate");
    EXPECT_EQ(a->params.server_max_window_bits, 12);
    EXPECT_EQ(a->params.client_max_window_bits, 15);  // the client did not allow a limit

    a = negotiate("permessage-deflate; server_max_window_bits=14", c);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->response, "permessage-deflate; server_max_window_bits=12");
    a = negotiate("permessage-deflate; server_max_window_bits=8", c);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->response, "permessage-deflate; server_max_window_bits=8");
    EXPECT_EQ(a->params.server_max_window_bits, 8);

    // Client window: limited when the client allows it.
    a = negotiate("permessage-deflate; client_max_window_bits", c);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->response, "permessage-deflate; client_max_window_bits=10");
    EXPECT_EQ(a->params.client_max_window_bits, 10);
    a = negotiate("permessage-deflate; client_max_window_bits=9", c);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->response, "permessage-deflate; client_max_window_bits=9");
    EXPECT_EQ(a->params.client_max_window_bits, 9);

    // With a default config the client's own value is echoed.
    a = negotiate("permessage-deflate; client_max_window_bits=11");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->response, "permessage-deflate; client_max_window_bits=11");
    EXPECT_EQ(a->params.client_max_window_bits, 11);

    // Out-of-range configuration clamps.
    DeflateConfig wild;
    wild.server_max_window_bits = 99;
    wild.client_max_window_bits = 1;
    a = negotiate("permessage-deflate; server_max_window_bits=15; client_max_window_bits", wild);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->response,
              "permessage-deflate; server_max_window_bits=15; client_max_window_bits=8");
}

// --- RFC 7692 section 7.2.3 examples ---------------------------------------------------------

std::string inflate_all(Inflater& inf, std::string_view payload) {
    std::string out;
    EXPECT_EQ(inf.inflate(payload, true, out), IStatus::ok);
    return out;
}

TEST(DeflateRfc7692, Examples) {
    {
        Inflater inf(15, false, 1024);
        EXPECT_EQ(inflate_all(inf, unhex("f2 48 cd c9 c9 07 00")), "Hello");  // 7.2.3.1
        // 7.2.3.2: the second "Hello" refers back to the first through the shared window.
        EXPECT_EQ(inflate_all(inf, unhex("f2 00 11 00 00")), "Hello");
    }
    {
        // 7.2.3.1 fragmented: the payload split across two frames.
        Inflater inf(15, false, 1024);
        std::string out;
        EXPECT_EQ(inf.inflate(unhex("f2 48 cd"), false, out), IStatus::ok);
        EXPECT_EQ(inf.inflate(unhex("c9 c9 07 00"), true, out), IStatus::ok);
        EXPECT_EQ(out, "Hello");
    }
    {
        Inflater inf(15, false, 1024);
        // 7.2.3.3: a stored (uncompressed) block.
        EXPECT_EQ(inflate_all(inf, unhex("00 05 00 fa ff 48 65 6c 6c 6f 00")), "Hello");
        // 7.2.3.4: BFINAL set; the next message starts a new stream.
        EXPECT_EQ(inflate_all(inf, unhex("f3 48 cd c9 c9 07 00 00")), "Hello");
        // 7.2.3.5: two DEFLATE blocks in one message.
        EXPECT_EQ(inflate_all(inf, unhex("f2 48 05 00 00 00 ff ff ca c9 c9 07 00")), "Hello");
        // 7.2.3.6: an empty message.
        EXPECT_EQ(inflate_all(inf, unhex("00")), "");
        EXPECT_EQ(inflate_all(inf, unhex("02 00")), "");  // empty fixed-Huffman block
    }
}

TEST(DeflateRfc7692, CompressorProducesTheRfcBytes) {
    Compressor comp(15, 6, 8, false);
    std::string out;
    ASSERT_TRUE(comp.compress("Hello", out));
    EXPECT_EQ(out, unhex("f2 48 cd c9 c9 07 00"));
    out.clear();
    ASSERT_TRUE(comp.compress("Hello", out));
    EXPECT_EQ(out, unhex("f2 00 11 00 00"));  // context takeover (7.2.3.2)

    Compressor fresh(15, 6, 8, true);  // no_context_takeover: both messages alike
    for (int i = 0; i < 2; ++i) {
        out.clear();
        ASSERT_TRUE(fresh.compress("Hello", out));
        EXPECT_EQ(out, unhex("f2 48 cd c9 c9 07 00"));
    }

    out = "keep|";
    ASSERT_TRUE(comp.compress("", out));
    EXPECT_EQ(out, "keep|" + unhex("00"));
}

// --- Round trips -----------------------------------------------------------------------------

std::string sample_message(std::mt19937& rng, std::size_t size) {
    // JSON-ish text with repetition at short and long distances.
    static const char* const words[] = {"{\"id\":",  "\"name\":\"", "gannet", "\",\"tags\":[",
                                        "fast",      "\"]}",        " ",      "websocket",
                                        "0123456789"};
    std::string s;
    while (s.size() < size) {
        if (rng() % 10 == 0) {
            s.push_back(static_cast<char>(rng()));
        } else {
            s += words[rng() % std::size(words)];
        }
    }
    s.resize(size);
    return s;
}

TEST(DeflateRoundTrip, EveryWindowAndTakeoverMode) {
    std::mt19937 rng(99);
    for (int bits = 8; bits <= 15; ++bits) {
        for (bool nct : {false, true}) {
            Compressor comp(bits, 6, 8, nct);
            Inflater inf(bits, nct, 1 << 20);
            for (int m = 0; m < 30; ++m) {
                const std::string msg = sample_message(rng, rng() % 5000);
                std::string wire;
                ASSERT_TRUE(comp.compress(msg, wire));
                // Deliver in random pieces, as frames and reads would split it.
                std::string got;
                std::size_t pos = 0;
                do {
                    const std::size_t n = std::min<std::size_t>(rng() % 64, wire.size() - pos);
                    const bool last = pos + n == wire.size();
                    ASSERT_EQ(inf.inflate(std::string_view(wire).substr(pos, n), last, got),
                              IStatus::ok)
                        << "bits " << bits << " nct " << nct;
                    pos += n;
                } while (pos < wire.size());
                ASSERT_TRUE(got == msg) << "bits " << bits << " nct " << nct << " message " << m;
                EXPECT_EQ(inf.message_size(), 0u);
            }
        }
    }
}

// A peer that offered server_max_window_bits=8 inflates with a 256-byte window; our
// compressor runs zlib at 9 and must still never reach further back than 256 bytes.
TEST(DeflateRoundTrip, Window8CompressorFitsA256ByteWindow) {
    std::mt19937 rng(5);
    std::string block(300, '\0');
    for (char& c : block) c = static_cast<char>('a' + rng() % 4);
    std::string msg;
    for (int i = 0; i < 50; ++i) msg += block;  // repeats at distance 300 only
    Compressor comp(8, 9, 9, false);
    std::string first;
    std::string second;
    ASSERT_TRUE(comp.compress(msg, first));
    ASSERT_TRUE(comp.compress(msg, second));  // and across messages, with context takeover
    const std::string tail = unhex("00 00 ff ff");
    std::string wire = first + tail + second + tail;

    z_stream z{};
    ASSERT_EQ(inflateInit2(&z, -8), Z_OK);
    std::string out(2 * msg.size() + 16, '\0');
    z.next_in = reinterpret_cast<Bytef*>(wire.data());
    z.avail_in = static_cast<uInt>(wire.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    const int ret = inflate(&z, Z_SYNC_FLUSH);
    EXPECT_TRUE(ret == Z_OK || ret == Z_BUF_ERROR) << ret << " " << (z.msg ? z.msg : "");
    EXPECT_EQ(z.avail_in, 0u);
    out.resize(out.size() - z.avail_out);
    inflateEnd(&z);
    EXPECT_TRUE(out == msg + msg) << "inflated " << out.size() << " bytes";

    // Our own Inflater at 8 too.
    Inflater inf(8, false, 1 << 20);
    std::string got;
    ASSERT_EQ(inf.inflate(first, true, got), IStatus::ok);
    ASSERT_EQ(inf.inflate(second, true, got), IStatus::ok);
    EXPECT_TRUE(got == msg + msg);

    // Control: a 32 KiB window does reach back 300 bytes, which a 256-byte window rejects.
    Compressor wide(15, 9, 9, false);
    std::string w1;
    std::string w2;
    ASSERT_TRUE(wide.compress(msg, w1));
    ASSERT_TRUE(wide.compress(msg, w2));
    Inflater narrow(8, false, 1 << 20);
    got.clear();
    const IStatus s1 = narrow.inflate(w1, true, got);
    const IStatus s2 = s1 == IStatus::ok ? narrow.inflate(w2, true, got) : s1;
    EXPECT_EQ(s2, IStatus::error);
}

TEST(DeflateRoundTrip, LargeIncompressibleMessage) {
    std::mt19937 rng(3);
    std::string msg(3 << 20, '\0');
    for (char& c : msg) c = static_cast<char>(rng());
    Compressor comp(15, 1, 8, false);
    std::string wire;
    ASSERT_TRUE(comp.compress(msg, wire));
    Inflater inf(15, false, msg.size());
    std::string got;
    ASSERT_EQ(inf.inflate(wire, true, got), IStatus::ok);
    EXPECT_TRUE(got == msg);
}

TEST(DeflateRoundTrip, MovedObjectsKeepWorking) {
    Compressor a(15, 6, 8, false);
    std::string w1;
    ASSERT_TRUE(a.compress("Hello", w1));
    Compressor b = std::move(a);
    std::string w2;
    ASSERT_TRUE(b.compress("Hello", w2));
    EXPECT_EQ(w2, unhex("f2 00 11 00 00"));  // context moved along

    Inflater i1(15, false, 100);
    EXPECT_EQ(inflate_all(i1, w1), "Hello");
    Inflater i2 = std::move(i1);
    EXPECT_EQ(inflate_all(i2, w2), "Hello");
}

// --- Limits and bad input --------------------------------------------------------------------

// Raw-deflates `size` zero bytes the way a hostile client would, without building them.
std::string compressed_zeros(std::size_t size) {
    z_stream z{};
    EXPECT_EQ(deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
    const std::string chunk(1 << 20, '\0');
    std::string out;
    std::string buf(1 << 16, '\0');
    for (std::size_t done = 0; done < size;) {
        const std::size_t n = std::min(chunk.size(), size - done);
        done += n;
        z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(chunk.data()));
        z.avail_in = static_cast<uInt>(n);
        do {
            z.next_out = reinterpret_cast<Bytef*>(buf.data());
            z.avail_out = static_cast<uInt>(buf.size());
            deflate(&z, done == size ? Z_SYNC_FLUSH : Z_NO_FLUSH);
            out.append(buf.data(), buf.size() - z.avail_out);
        } while (z.avail_out == 0);
    }
    deflateEnd(&z);
    out.resize(out.size() - 4);  // strip 00 00 ff ff
    return out;
}

TEST(DeflateLimits, ZipBombStopsAtTheLimit) {
    const std::string bomb = compressed_zeros(std::size_t{100} << 20);  // 100 MiB of zeros
    EXPECT_LT(bomb.size(), 200u * 1024);
    const std::uint64_t limit = 1 << 20;
    Inflater inf(15, false, limit);
    std::string out;
    EXPECT_EQ(inf.inflate(bomb, true, out), IStatus::too_big);
    EXPECT_LE(out.size(), limit);
    EXPECT_LE(out.capacity(), 2 * limit + 4096);  // never sized for the whole bomb
    EXPECT_EQ(close_code(IStatus::too_big), CloseCode::message_too_big);
}

TEST(DeflateLimits, ZipBombFedInPiecesStopsToo) {
    const std::string bomb = compressed_zeros(std::size_t{20} << 20);
    Inflater inf(15, false, 1 << 20);
    std::string out;
    IStatus st = IStatus::ok;
    for (std::size_t pos = 0; pos < bomb.size() && st == IStatus::ok; pos += 1000) {
        const std::string_view piece = std::string_view(bomb).substr(pos, 1000);
        st = inf.inflate(piece, pos + 1000 >= bomb.size(), out);
    }
    EXPECT_EQ(st, IStatus::too_big);
    EXPECT_LE(out.size(), std::size_t{1} << 20);
}

TEST(DeflateLimits, ExactlyAtTheLimitIsFine) {
    const std::string wire = compressed_zeros(100000);
    {
        Inflater inf(15, false, 100000);
        std::string out;
        EXPECT_EQ(inf.inflate(wire, true, out), IStatus::ok);
        EXPECT_TRUE(out == std::string(100000, '\0'));
    }
    {
        Inflater inf(15, false, 99999);
        std::string out;
        EXPECT_EQ(inf.inflate(wire, true, out), IStatus::too_big);
    }
    {
        // The limit is per message: two messages of 60000 under a 100000 limit.
        const std::string part = compressed_zeros(60000);
        Inflater inf(15, true, 100000);
        std::string out;
        EXPECT_EQ(inf.inflate(part, true, out), IStatus::ok);
        out.clear();
        EXPECT_EQ(inf.inflate(part, true, out), IStatus::ok);
        EXPECT_EQ(out.size(), 60000u);
    }
}

TEST(DeflateLimits, CorruptDataIsAnError) {
    Inflater inf(15, false, 1 << 20);
    std::string out;
    // BTYPE 11 is reserved.
    EXPECT_EQ(inf.inflate(unhex("ff ff ff ff"), true, out), IStatus::error);
    EXPECT_EQ(close_code(IStatus::error), CloseCode::invalid_payload);

    // A distance reaching before the start of the stream.
    Inflater fresh(15, false, 1 << 20);
    out.clear();
    EXPECT_EQ(fresh.inflate(unhex("f2 00 11 00 00"), true, out), IStatus::error);

    // After reset() the inflater is usable again.
    fresh.reset();
    out.clear();
    EXPECT_EQ(fresh.inflate(unhex("f2 48 cd c9 c9 07 00"), true, out), IStatus::ok);
    EXPECT_EQ(out, "Hello");
}

TEST(DeflateLimits, ClientNoContextTakeoverResetsTheInflater) {
    // With client_no_context_takeover the client never refers back, so a reference to an
    // earlier message is corrupt data.
    Inflater inf(15, true, 1024);
    EXPECT_EQ(inflate_all(inf, unhex("f2 48 cd c9 c9 07 00")), "Hello");
    std::string out;
    EXPECT_EQ(inf.inflate(unhex("f2 00 11 00 00"), true, out), IStatus::error);
}

TEST(DeflateParamsToObjects, ConstructFromAgreement) {
    DeflateConfig config;
    auto a = negotiate("permessage-deflate; server_no_context_takeover", config);
    ASSERT_TRUE(a);
    Compressor comp(a->params, config);
    Inflater inf(a->params, 1024);
    std::string wire;
    for (int i = 0; i < 3; ++i) {
        wire.clear();
        ASSERT_TRUE(comp.compress("Hello", wire));
        EXPECT_EQ(wire, unhex("f2 48 cd c9 c9 07 00"));  // no takeover on our side
        EXPECT_EQ(inflate_all(inf, wire), "Hello");
    }
}

}  // namespace
}  // namespace gannet::ws
