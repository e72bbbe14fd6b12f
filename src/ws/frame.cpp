#include "ws/frame.hpp"

#include <algorithm>
#include <cstring>

#include "ws/utf8.hpp"

namespace gannet::ws {
namespace {

constexpr std::uint8_t kFin = 0x80;
constexpr std::uint8_t kRsv1 = 0x40;
constexpr std::uint8_t kRsv23 = 0x30;
constexpr std::uint8_t kOpcodeMask = 0x0F;
constexpr std::uint8_t kMaskBit = 0x80;
constexpr std::uint8_t kLengthMask = 0x7F;
constexpr std::uint8_t kLength16 = 126;
constexpr std::uint8_t kLength64 = 127;

// Bytes of extended length that follow the first two header bytes.
constexpr std::size_t extended_length_size(std::uint8_t length7) noexcept {
    return length7 == kLength16 ? 2 : length7 == kLength64 ? 8 : 0;
}

constexpr bool is_known_opcode(std::uint8_t op) noexcept {
    return op <= 0x2 || (op >= 0x8 && op <= 0xA);
}

// Longest prefix of `s`, at most `max` bytes, that does not split a UTF-8 character: the first
// dropped byte must not be a continuation byte (10xxxxxx).
std::string_view truncate_utf8(std::string_view s, std::size_t max) noexcept {
    if (s.size() <= max) return s;
    std::size_t n = max;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    return s.substr(0, n);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// FrameHeaderDecoder

void FrameHeaderDecoder::reset() noexcept {
    header_ = {};
    have_ = 0;
    need_ = 0;
    length_checked_ = false;
    error_ = CloseCode::none;
    error_reason_ = {};
}

FrameHeaderDecoder::Result FrameHeaderDecoder::fail(CloseCode code, std::string_view reason,
                                                    std::size_t consumed) noexcept {
    error_ = code;
    error_reason_ = reason;
    Result r;
    r.status = Result::Status::error;
    r.consumed = consumed;
    r.error = code;
    r.reason = reason;
    return r;
}

std::size_t FrameHeaderDecoder::check_prefix(std::uint8_t b0, std::uint8_t b1, Result& r) noexcept {
    const std::uint8_t op = b0 & kOpcodeMask;
    const bool fin = (b0 & kFin) != 0;
    const bool rsv1 = (b0 & kRsv1) != 0;
    const bool masked = (b1 & kMaskBit) != 0;
    const std::uint8_t length7 = b1 & kLengthMask;
    const auto protocol_error = [&](std::string_view reason) {
        r = fail(CloseCode::protocol_error, reason, 0);
        return std::size_t{0};
    };

    if ((b0 & kRsv23) != 0) return protocol_error("reserved bits RSV2/RSV3 set");
    if (!is_known_opcode(op)) return protocol_error("reserved opcode");
    const bool control = (op & 0x8) != 0;
    if (rsv1) {
        if (!config_.allow_rsv1) return protocol_error("RSV1 set without a negotiated extension");
        if (control) return protocol_error("RSV1 set on a control frame");
        if (op == 0) return protocol_error("RSV1 set on a continuation frame");
    }
    if (control && !fin) return protocol_error("fragmented control frame");
    if (control && length7 > kMaxControlPayload) {
        return protocol_error("control frame payload over 125 bytes");
    }
    if (config_.role == Role::server && !masked) return protocol_error("unmasked client frame");
    if (config_.role == Role::client && masked) return protocol_error("masked server frame");

    header_.opcode = static_cast<Opcode>(op);
    header_.fin = fin;
    header_.rsv1 = rsv1;
    header_.masked = masked;
    return 2 + extended_length_size(length7) + (masked ? 4 : 0);
}

// Requires the first 2 + extended_length_size() bytes at `p`.
bool FrameHeaderDecoder::check_length(const std::uint8_t* p, Result& r) noexcept {
    const std::uint8_t length7 = p[1] & kLengthMask;
    std::uint64_t length = length7;
    if (length7 == kLength16) {
        length = (std::uint64_t{p[2]} << 8) | p[3];
        // RFC 6455 section 5.2 requires the minimal encoding. Accepting others would be
        // harmless to us, but it is a MUST and Beast and others reject it too.
        if (length < kLength16) {
            r = fail(CloseCode::protocol_error, "non-minimal 16-bit payload length", 0);
            return false;
        }
    } else if (length7 == kLength64) {
        length = 0;
        for (int i = 0; i < 8; ++i) length = (length << 8) | p[2 + i];
        if ((length >> 63) != 0) {
            r = fail(CloseCode::protocol_error, "64-bit payload length with the top bit set", 0);
            return false;
        }
        if (length <= 0xFFFF) {
            r = fail(CloseCode::protocol_error, "non-minimal 64-bit payload length", 0);
            return false;
        }
    }
    if (length > config_.max_payload) {
        r = fail(CloseCode::message_too_big, "frame payload over the size limit", 0);
        return false;
    }
    header_.payload_length = length;
    return true;
}

void FrameHeaderDecoder::read_mask(const std::uint8_t* p, std::size_t size) noexcept {
    if (header_.masked) {
        std::memcpy(header_.mask.data(), p + size - 4, 4);
    } else {
        header_.mask = {};
    }
}

FrameHeaderDecoder::Result FrameHeaderDecoder::feed(std::string_view in) noexcept {
    Result r;
    if (error_ != CloseCode::none) {
        r.status = Result::Status::error;
        r.error = error_;
        r.reason = error_reason_;
        return r;
    }
    const auto* p = reinterpret_cast<const std::uint8_t*>(in.data());
    const std::size_t n = in.size();

    // Fast path: the whole header is in `in`, nothing buffered. The usual case.
    if (have_ == 0 && n >= 2) {
        const std::size_t size = check_prefix(p[0], p[1], r);
        if (size == 0) return r;
        if (n >= size) {
            if (!check_length(p, r)) return r;
            read_mask(p, size);
            r.status = Result::Status::done;
            r.consumed = size;
            return r;
        }
    }

    // Slow path: gather the header in buf_ in three stages (2 bytes, the extended length, the
    // mask), validating each as soon as it is complete.
    std::size_t used = 0;
    for (;;) {
        std::size_t target = 2;
        if (need_ != 0) {
            target = length_checked_ ? need_ : 2 + extended_length_size(buf_[1] & kLengthMask);
        }
        const std::size_t take = std::min(target - have_, n - used);
        if (take > 0) std::memcpy(buf_.data() + have_, p + used, take);
        have_ = static_cast<std::uint8_t>(have_ + take);
        used += take;
        if (have_ < target) {
            r.status = Result::Status::need_more;
            r.consumed = used;
            return r;
        }
        if (need_ == 0) {
            const std::size_t size = check_prefix(buf_[0], buf_[1], r);
            if (size == 0) return r;
            need_ = static_cast<std::uint8_t>(size);
            length_checked_ = false;
        } else if (!length_checked_) {
            if (!check_length(buf_.data(), r)) return r;
            length_checked_ = true;
        } else {
            read_mask(buf_.data(), need_);
            have_ = 0;
            need_ = 0;
            length_checked_ = false;
            r.status = Result::Status::done;
            r.consumed = used;
            return r;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Masking

std::size_t apply_mask(std::span<char> data, const MaskKey& key, std::size_t offset) noexcept {
    auto* p = reinterpret_cast<unsigned char*>(data.data());
    std::size_t n = data.size();
    offset &= 3;
    // Head: bytes until the pointer is 8-aligned, so the word loop never straddles a boundary.
    while (n > 0 && (reinterpret_cast<std::uintptr_t>(p) & 7) != 0) {
        *p++ ^= key[offset];
        offset = (offset + 1) & 3;
        --n;
    }
    if (n >= 8) {
        // The key stream repeats every 4 bytes, so an 8-byte word of it starting at `offset`
        // serves every word; the offset is unchanged after each.
        std::array<unsigned char, 8> stream{};
        for (std::size_t i = 0; i < 8; ++i) stream[i] = key[(offset + i) & 3];
        std::uint64_t mask = 0;
        std::memcpy(&mask, stream.data(), 8);
        for (; n >= 8; p += 8, n -= 8) {
            std::uint64_t w = 0;
            std::memcpy(&w, p, 8);
            w ^= mask;
            std::memcpy(p, &w, 8);
        }
    }
    for (; n > 0; --n) {
        *p++ ^= key[offset];
        offset = (offset + 1) & 3;
    }
    return offset;
}

// ---------------------------------------------------------------------------------------------
// MessageAssembler

void MessageAssembler::reset() noexcept {
    size_ = 0;
    opcode_ = Opcode::text;
    in_message_ = false;
    compressed_ = false;
}

MessageAssembler::FrameInfo MessageAssembler::on_frame(const FrameHeader& header) noexcept {
    FrameInfo info;
    if (is_control(header.opcode)) {
        info.opcode = header.opcode;
        info.message_start = true;
        info.message_end = true;
        return info;
    }
    if (header.opcode == Opcode::continuation) {
        if (!in_message_) {
            info.error = CloseCode::protocol_error;
            info.reason = "continuation frame without a message in progress";
            return info;
        }
    } else {
        if (in_message_) {
            info.error = CloseCode::protocol_error;
            info.reason = "new data frame while a fragmented message is in progress";
            return info;
        }
        in_message_ = true;
        opcode_ = header.opcode;
        compressed_ = header.rsv1;
        size_ = 0;
        info.message_start = true;
    }
    if (header.payload_length > max_message_ - std::min(size_, max_message_)) {
        info.error = CloseCode::message_too_big;
        info.reason = "message over the size limit";
        return info;
    }
    size_ += header.payload_length;
    info.opcode = opcode_;
    info.compressed = compressed_;
    info.message_end = header.fin;
    if (header.fin) in_message_ = false;
    return info;
}

// ---------------------------------------------------------------------------------------------
// Encoding

std::size_t encode_frame_header(const FrameHeader& header, char* out) noexcept {
    auto* o = reinterpret_cast<unsigned char*>(out);
    o[0] = static_cast<unsigned char>((header.fin ? kFin : 0) | (header.rsv1 ? kRsv1 : 0) |
                                      (static_cast<std::uint8_t>(header.opcode) & kOpcodeMask));
    const unsigned char mask_bit = header.masked ? kMaskBit : 0;
    const std::uint64_t length = header.payload_length;
    std::size_t size = 2;
    if (length < kLength16) {
        o[1] = static_cast<unsigned char>(mask_bit | length);
    } else if (length <= 0xFFFF) {
        o[1] = mask_bit | kLength16;
        o[2] = static_cast<unsigned char>(length >> 8);
        o[3] = static_cast<unsigned char>(length);
        size = 4;
    } else {
        o[1] = mask_bit | kLength64;
        for (int i = 0; i < 8; ++i) o[2 + i] = static_cast<unsigned char>(length >> (56 - 8 * i));
        size = 10;
    }
    if (header.masked) {
        std::memcpy(o + size, header.mask.data(), 4);
        size += 4;
    }
    return size;
}

void append_frame_header(std::string& out, const FrameHeader& header) {
    std::array<char, kMaxFrameHeaderSize> buf{};
    const std::size_t n = encode_frame_header(header, buf.data());
    out.append(buf.data(), n);
}

void append_frame(std::string& out, Opcode opcode, std::string_view payload, bool fin, bool rsv1) {
    FrameHeader h;
    h.opcode = opcode;
    h.fin = fin;
    h.rsv1 = rsv1;
    h.payload_length = payload.size();
    append_frame_header(out, h);
    out.append(payload);
}

bool append_ping_pong(std::string& out, Opcode opcode, std::string_view payload) {
    if (opcode != Opcode::ping && opcode != Opcode::pong) return false;
    if (payload.size() > kMaxControlPayload) return false;
    append_frame(out, opcode, payload);
    return true;
}

// ---------------------------------------------------------------------------------------------
// Close frames

bool is_valid_close_code(std::uint16_t code) noexcept {
    // 1004 is reserved, 1005/1006/1015 are for local reporting only and must never be sent;
    // 1012-1014 are registered with IANA since RFC 6455 and real servers send them.
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

std::size_t encode_close_payload(CloseCode code, std::string_view reason, char* out) noexcept {
    if (code == CloseCode::no_status) return 0;
    const auto value = static_cast<std::uint16_t>(code);
    out[0] = static_cast<char>(value >> 8);
    out[1] = static_cast<char>(value & 0xFF);
    const std::string_view r = truncate_utf8(reason, kMaxControlPayload - 2);
    if (!r.empty()) std::memcpy(out + 2, r.data(), r.size());
    return 2 + r.size();
}

bool append_close_frame(std::string& out, CloseCode code, std::string_view reason) {
    if (code != CloseCode::no_status && !is_valid_close_code(static_cast<std::uint16_t>(code))) {
        return false;
    }
    std::array<char, kMaxControlPayload> payload{};
    const std::size_t n = encode_close_payload(code, reason, payload.data());
    append_frame(out, Opcode::close, std::string_view(payload.data(), n));
    return true;
}

ClosePayload parse_close_payload(std::string_view payload) noexcept {
    ClosePayload c;
    if (payload.empty()) return c;
    if (payload.size() == 1) {
        c.error = CloseCode::protocol_error;
        c.reason_error = "close payload of one byte";
        return c;
    }
    if (payload.size() > kMaxControlPayload) {
        c.error = CloseCode::protocol_error;
        c.reason_error = "close payload over 125 bytes";
        return c;
    }
    const auto code = static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                                 static_cast<unsigned char>(payload[1]));
    if (!is_valid_close_code(code)) {
        c.error = CloseCode::protocol_error;
        c.reason_error = "invalid close code";
        return c;
    }
    c.code = static_cast<CloseCode>(code);
    c.reason = payload.substr(2);
    if (!is_valid_utf8(c.reason)) {
        c.error = CloseCode::invalid_payload;
        c.reason_error = "close reason is not valid UTF-8";
        c.reason = {};
    }
    return c;
}

}  // namespace gannet::ws
