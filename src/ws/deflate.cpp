#include "ws/deflate.hpp"

#include <gannet/http_types.hpp>

#include <zlib.h>

#include <algorithm>
#include <array>
#include <climits>

namespace gannet::ws {
namespace {

constexpr int kMinWindowBits = 8;
constexpr int kMaxWindowBits = 15;
// zlib counts in uInt: feed it at most this much at a time.
constexpr std::size_t kMaxZlibChunk = std::size_t{1} << 30;
// The bytes a sync flush ends with, which RFC 7692 strips on the wire and re-adds on receipt.
constexpr std::array<char, 4> kFlushTail = {'\x00', '\x00', '\xff', '\xff'};

int clamp_bits(int bits) noexcept {
    return std::clamp(bits, kMinWindowBits, kMaxWindowBits);
}

using http::iequals;

// RFC 7692 section 7.1.2: a window size is 1*DIGIT in 8..15; a leading zero is refused, as it
// would give one value several spellings.
int parse_window_bits(std::string_view v) noexcept {
    if (v.empty() || v.size() > 2 || v[0] == '0') return 0;
    int n = 0;
    for (char c : v) {
        if (c < '0' || c > '9') return 0;
        n = n * 10 + (c - '0');
    }
    return n >= kMinWindowBits && n <= kMaxWindowBits ? n : 0;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Negotiation

std::optional<DeflateOffer> parse_deflate_offer(const ExtensionOffer& offer) {
    if (!iequals(offer.name, "permessage-deflate")) return std::nullopt;
    DeflateOffer o;
    bool seen_server_bits = false;
    for (const ExtensionParam& p : offer.params) {
        if (iequals(p.name, "server_no_context_takeover")) {
            if (o.server_no_context_takeover || p.has_value) return std::nullopt;
            o.server_no_context_takeover = true;
        } else if (iequals(p.name, "client_no_context_takeover")) {
            if (o.client_no_context_takeover || p.has_value) return std::nullopt;
            o.client_no_context_takeover = true;
        } else if (iequals(p.name, "server_max_window_bits")) {
            if (seen_server_bits || !p.has_value) return std::nullopt;
            seen_server_bits = true;
            o.server_max_window_bits = parse_window_bits(p.value);
            if (o.server_max_window_bits == 0) return std::nullopt;
        } else if (iequals(p.name, "client_max_window_bits")) {
            if (o.client_max_window_bits) return std::nullopt;
            o.client_max_window_bits = true;
            if (p.has_value) {
                o.client_max_window_bits_value = parse_window_bits(p.value);
                if (o.client_max_window_bits_value == 0) return std::nullopt;
            }
        } else {
            return std::nullopt;
        }
    }
    return o;
}

std::optional<DeflateAgreement> negotiate_deflate(std::span<const ExtensionOffer> offers,
                                                  const DeflateConfig& config) {
    if (!config.enabled) return std::nullopt;
    for (const ExtensionOffer& offer : offers) {
        const std::optional<DeflateOffer> o = parse_deflate_offer(offer);
        if (!o) continue;

        DeflateAgreement a;
        DeflateParams& p = a.params;
        p.server_no_context_takeover =
            o->server_no_context_takeover || config.server_no_context_takeover;
        p.client_no_context_takeover =
            o->client_no_context_takeover || config.client_no_context_takeover;
        // Without server_max_window_bits in the offer we may still use a smaller window than
        // the client's 15 without saying so: its inflater copes with any smaller window.
        p.server_max_window_bits = clamp_bits(config.server_max_window_bits);
        if (o->server_max_window_bits != 0) {
            p.server_max_window_bits =
                std::min(p.server_max_window_bits, o->server_max_window_bits);
        }
        bool send_client_bits = false;
        p.client_max_window_bits = kMaxWindowBits;
        if (o->client_max_window_bits) {
            const int offered = o->client_max_window_bits_value != 0
                                    ? o->client_max_window_bits_value
                                    : kMaxWindowBits;
            p.client_max_window_bits = std::min(clamp_bits(config.client_max_window_bits), offered);
            send_client_bits =
                o->client_max_window_bits_value != 0 || p.client_max_window_bits < kMaxWindowBits;
        }

        a.response = "permessage-deflate";
        if (p.server_no_context_takeover) a.response += "; server_no_context_takeover";
        if (p.client_no_context_takeover) a.response += "; client_no_context_takeover";
        if (o->server_max_window_bits != 0) {
            a.response += "; server_max_window_bits=";
            a.response += std::to_string(p.server_max_window_bits);
        }
        if (send_client_bits) {
            a.response += "; client_max_window_bits=";
            a.response += std::to_string(p.client_max_window_bits);
        }
        return a;
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Compressor

// z_stream must not move once initialised (zlib's state points back at it), hence the heap
// box, which also keeps zlib.h out of the header.
struct Compressor::Stream {
    z_stream z{};
    Stream() = default;
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;
    ~Stream() { deflateEnd(&z); }
};

Compressor::Compressor(int window_bits, int level, int mem_level, bool no_context_takeover) noexcept
    // zlib rejects raw deflate with windowBits 8 (deflateInit2 returns Z_STREAM_ERROR since
    // 1.2.9). 9 is safe for a peer that allowed only 8: deflate limits match distances to
    // MAX_DIST = 2^windowBits - MIN_LOOKAHEAD (262), i.e. 250 bytes for 9, inside a 256-byte
    // window. Node's zlib binding relies on the same fact.
    : window_bits_(std::max(9, clamp_bits(window_bits))),
      level_(std::clamp(level, 0, 9)),
      mem_level_(std::clamp(mem_level, 1, 9)),
      no_context_takeover_(no_context_takeover) {}

Compressor::Compressor(const DeflateParams& params, const DeflateConfig& config) noexcept
    : Compressor(params.server_max_window_bits, config.level, config.mem_level,
                 params.server_no_context_takeover) {}

Compressor::Compressor(Compressor&&) noexcept = default;
Compressor& Compressor::operator=(Compressor&&) noexcept = default;
Compressor::~Compressor() = default;

bool Compressor::init() {
    auto s = std::make_unique<Stream>();
    // Negative windowBits: raw DEFLATE, no zlib header or checksum (RFC 7692 section 7.2.1).
    if (deflateInit2(&s->z, level_, Z_DEFLATED, -window_bits_, mem_level_, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
        s->z.state = nullptr;  // nothing for deflateEnd to free
        return false;
    }
    stream_ = std::move(s);
    return true;
}

void Compressor::reset() noexcept {
    if (stream_) deflateReset(&stream_->z);
}

bool Compressor::compress(std::string_view message, std::string& out) {
    if (message.empty()) {
        // An empty stored block's first byte; the receiver's appended 00 00 ff ff completes it.
        // zlib would refuse a second consecutive sync flush with no input (Z_BUF_ERROR).
        out.push_back('\0');
        return true;
    }
    if (!stream_ && !init()) return false;
    z_stream& z = stream_->z;

    const std::size_t start = out.size();
    const auto* in = reinterpret_cast<const Bytef*>(message.data());
    std::size_t in_left = message.size();
    // deflateBound() is for one Z_FINISH call; a sync flush adds at most an empty stored block
    // and a partial byte. Guessing right means one deflate() call and no regrowth.
    const uLong bound = deflateBound(&z, static_cast<uLong>(std::min(in_left, kMaxZlibChunk)));
    std::size_t used = start;
    out.resize(start + bound + 16);
    for (;;) {
        if (z.avail_in == 0 && in_left > 0) {
            const std::size_t take = std::min(in_left, kMaxZlibChunk);
            z.next_in = const_cast<Bytef*>(in);  // zlib's API is not const-correct
            z.avail_in = static_cast<uInt>(take);
            in += take;
            in_left -= take;
        }
        const int flush = in_left == 0 ? Z_SYNC_FLUSH : Z_NO_FLUSH;
        if (used == out.size()) out.resize(used + used / 2 + 1024);
        const std::size_t room = std::min(out.size() - used, kMaxZlibChunk);
        z.next_out = reinterpret_cast<Bytef*>(out.data() + used);
        z.avail_out = static_cast<uInt>(room);
        const int ret = deflate(&z, flush);
        used += room - z.avail_out;
        if (ret == Z_STREAM_ERROR) {
            out.resize(start);
            deflateReset(&z);
            return false;
        }
        // Z_BUF_ERROR: nothing left to do. Otherwise done once a sync flush left room over.
        if (ret == Z_BUF_ERROR || (flush == Z_SYNC_FLUSH && z.avail_in == 0 && z.avail_out != 0)) {
            break;
        }
    }
    // A sync flush always ends with the empty stored block 00 00 ff ff; RFC 7692 removes it.
    if (used - start < kFlushTail.size() ||
        std::string_view(out.data() + used - kFlushTail.size(), kFlushTail.size()) !=
            std::string_view(kFlushTail.data(), kFlushTail.size())) {
        out.resize(start);
        deflateReset(&z);
        return false;
    }
    out.resize(used - kFlushTail.size());
    if (no_context_takeover_) deflateReset(&z);
    return true;
}

// ---------------------------------------------------------------------------------------------
// Inflater

struct Inflater::Stream {
    z_stream z{};
    Stream() = default;
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;
    ~Stream() { inflateEnd(&z); }
};

Inflater::Inflater(int window_bits, bool no_context_takeover,
                   std::uint64_t max_message_size) noexcept
    // Raw inflate accepts windowBits 8 (only deflate has the 256-byte-window restriction).
    : max_message_(max_message_size),
      window_bits_(clamp_bits(window_bits)),
      no_context_takeover_(no_context_takeover) {}

Inflater::Inflater(const DeflateParams& params, std::uint64_t max_message_size) noexcept
    : Inflater(params.client_max_window_bits, params.client_no_context_takeover, max_message_size) {
}

Inflater::Inflater(Inflater&&) noexcept = default;
Inflater& Inflater::operator=(Inflater&&) noexcept = default;
Inflater::~Inflater() = default;

bool Inflater::init() {
    auto s = std::make_unique<Stream>();
    if (inflateInit2(&s->z, -window_bits_) != Z_OK) {
        s->z.state = nullptr;
        return false;
    }
    stream_ = std::move(s);
    return true;
}

void Inflater::reset() noexcept {
    produced_ = 0;
    if (stream_) inflateReset(&stream_->z);
}

Inflater::Status Inflater::inflate(std::string_view in, bool message_end, std::string& out) {
    if (!stream_ && !init()) return Status::error;
    Status st = run(in, out);
    if (st != Status::ok) return st;
    if (message_end) {
        st = run(std::string_view(kFlushTail.data(), kFlushTail.size()), out);
        if (st != Status::ok) return st;
        produced_ = 0;
        if (no_context_takeover_) inflateReset(&stream_->z);
    }
    return Status::ok;
}

Inflater::Status Inflater::run(std::string_view in, std::string& out) {
    z_stream& z = stream_->z;
    const auto* next = reinterpret_cast<const Bytef*>(in.data());
    std::size_t in_left = in.size();
    z.avail_in = 0;
    // Output grows in steps of a few times the input, at most 256 KiB, and never past one byte
    // beyond the limit: that byte is how "over the limit" is told from "exactly at it".
    const std::size_t step =
        std::clamp<std::size_t>(in.size() * 4, std::size_t{4096}, std::size_t{256} * 1024);
    for (;;) {
        if (z.avail_in == 0 && in_left > 0) {
            const std::size_t take = std::min(in_left, kMaxZlibChunk);
            z.next_in = const_cast<Bytef*>(next);  // zlib's API is not const-correct
            z.avail_in = static_cast<uInt>(take);
            next += take;
            in_left -= take;
        }
        const std::uint64_t allowed = max_message_ - std::min(produced_, max_message_);
        const std::size_t room = allowed < step ? static_cast<std::size_t>(allowed) + 1 : step;
        const std::size_t old = out.size();
        out.resize(old + room);
        z.next_out = reinterpret_cast<Bytef*>(out.data() + old);
        z.avail_out = static_cast<uInt>(room);
        const int ret = ::inflate(&z, Z_SYNC_FLUSH);
        const std::size_t got = room - z.avail_out;
        out.resize(old + got);
        produced_ += got;
        if (produced_ > max_message_) {
            out.resize(out.size() - static_cast<std::size_t>(produced_ - max_message_));
            return Status::too_big;
        }
        if (ret == Z_STREAM_END) {
            // The sender ended the DEFLATE stream with a BFINAL block (RFC 7692 section
            // 7.2.3.4 allows it). What follows, at least our 00 00 ff ff, starts a new one.
            inflateReset(&z);
        } else if (ret == Z_BUF_ERROR) {
            // No progress possible: all input used (need more) or, with output room left,
            // truncated data that the next piece continues.
            if (z.avail_in != 0 && z.avail_out != 0) return Status::error;
        } else if (ret != Z_OK) {
            return Status::error;  // Z_DATA_ERROR, Z_NEED_DICT, Z_MEM_ERROR
        }
        if (z.avail_in == 0 && in_left == 0 && z.avail_out != 0) return Status::ok;
    }
}

}  // namespace gannet::ws
