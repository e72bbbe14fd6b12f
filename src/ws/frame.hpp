// WebSocket framing (RFC 6455 section 5): frame header decoding and encoding, masking, message
// assembly rules and close-frame payloads. Pure protocol code: no I/O, no allocation except
// where a function appends to a caller's std::string.
//
// How a server session uses this, per connection:
//
//   FrameHeaderDecoder decoder({.role = Role::server, .allow_rsv1 = deflate_negotiated,
//                               .max_payload = max_frame});
//   MessageAssembler assembler(max_message);
//   loop:
//     r = decoder.feed(buffered);  drop r.consumed bytes
//     need_more -> read more;  error -> send close(r.error, r.reason), close the connection
//     done -> h = decoder.header();  info = assembler.on_frame(h);  error -> close(info.error)
//          read h.payload_length bytes (in as many pieces as the socket gives), unmasking each
//          piece in place with apply_mask(piece, h.mask, offset), offset carried between pieces;
//          control frames: ping -> pong, close -> parse_close_payload() and reply;
//          data frames: inflate if info.compressed, validate UTF-8 if info.opcode is text,
//          deliver the message when info.message_end.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace gannet::ws {

/// Frame opcodes (RFC 6455 section 5.2). Others are reserved and rejected by the decoder.
enum class Opcode : std::uint8_t {
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xA,
};

/// True for close, ping and pong (and the reserved 0xB-0xF).
constexpr bool is_control(Opcode op) noexcept {
    return (static_cast<std::uint8_t>(op) & 0x8) != 0;
}

/// Close status codes (RFC 6455 section 7.4 and the IANA registry). Any 16-bit value may be
/// held, e.g. application codes 3000-4999. `none` (0) is never sent: it means "no error" in the
/// result structs below.
enum class CloseCode : std::uint16_t {
    none = 0,
    normal = 1000,
    going_away = 1001,
    protocol_error = 1002,
    unsupported_data = 1003,
    no_status = 1005,  ///< not sent on the wire: a close frame with an empty payload
    abnormal = 1006,   ///< not sent on the wire: the connection dropped without a close frame
    invalid_payload = 1007,
    policy_violation = 1008,
    message_too_big = 1009,
    mandatory_extension = 1010,
    internal_error = 1011,
    service_restart = 1012,
    try_again_later = 1013,
    bad_gateway = 1014,
};

/// A frame's masking key, in wire order.
using MaskKey = std::array<std::uint8_t, 4>;

/// The decoded (or to-be-encoded) header of one frame.
struct FrameHeader {
    Opcode opcode = Opcode::text;
    bool fin = true;
    bool rsv1 = false;  ///< with permessage-deflate: "this message is compressed" (first frame)
    bool masked = false;
    MaskKey mask{};  ///< meaningful when masked
    std::uint64_t payload_length = 0;
};

/// Largest possible header: 2 + 8 (64-bit length) + 4 (mask).
inline constexpr std::size_t kMaxFrameHeaderSize = 14;
/// Largest control-frame payload (RFC 6455 section 5.5).
inline constexpr std::size_t kMaxControlPayload = 125;
/// Default frame and message size limits (docs/architecture.md, "HTTP rules and limits").
inline constexpr std::uint64_t kDefaultMaxFrameSize = 16 * 1024 * 1024;
inline constexpr std::uint64_t kDefaultMaxMessageSize = 16 * 1024 * 1024;

/// Which end of the connection this code runs on. A server receives masked frames and sends
/// unmasked ones; a client the reverse (RFC 6455 section 5.1).
enum class Role : std::uint8_t { server, client };

/// Incremental frame-header decoder. Feed it bytes split anywhere; it validates each header
/// field as soon as the bytes carrying it have arrived.
///
/// Errors and their close codes:
///  - 1002 protocol_error: RSV2/RSV3 set; RSV1 set when not allowed, or on a continuation or
///    control frame; reserved opcode (0x3-0x7, 0xB-0xF); control frame fragmented or with more
///    than 125 payload bytes; wrong mask bit for the role; 64-bit length with the top bit set;
///    a length not in its minimal encoding (RFC 6455 section 5.2: "the minimal number of bytes
///    MUST be used").
///  - 1009 message_too_big: payload longer than Config::max_payload.
class FrameHeaderDecoder {
  public:
    /// What the decoder accepts.
    struct Config {
        Role role = Role::server;
        bool allow_rsv1 = false;  ///< true once permessage-deflate has been negotiated
        std::uint64_t max_payload = kDefaultMaxFrameSize;
    };

    /// The outcome of one feed() call.
    struct Result {
        enum class Status : std::uint8_t { need_more, done, error };
        Status status = Status::need_more;
        std::size_t consumed = 0;           ///< bytes of the input used up (always valid)
        CloseCode error = CloseCode::none;  ///< error: the close code to send
        std::string_view reason;  ///< error: short static text, for the close frame / logs
    };

    FrameHeaderDecoder() noexcept = default;
    explicit FrameHeaderDecoder(Config config) noexcept : config_(config) {}

    /// Consumes header bytes from the front of `in` (never payload bytes). `done`: header() is
    /// complete and `consumed` bytes formed its end; the payload starts at in[consumed].
    /// `need_more`: all of `in` was consumed and kept. After `done`, the next feed() starts a new
    /// header; after `error`, feed() keeps returning the error until reset().
    Result feed(std::string_view in) noexcept;

    /// The header decoded by the last feed() that returned `done`.
    const FrameHeader& header() const noexcept { return header_; }

    /// Discards any partial header and error.
    void reset() noexcept;

    /// The current configuration.
    const Config& config() const noexcept { return config_; }
    /// Changes the configuration; takes effect from the next header.
    void set_config(Config config) noexcept { config_ = config; }

  private:
    Result fail(CloseCode code, std::string_view reason, std::size_t consumed) noexcept;
    // Validates the first two bytes; returns the total header size, or 0 after calling fail().
    std::size_t check_prefix(std::uint8_t b0, std::uint8_t b1, Result& r) noexcept;
    // Validates the (extended) payload length of the header at `p`; false after fail().
    bool check_length(const std::uint8_t* p, Result& r) noexcept;
    // Copies the mask key from the complete header of `size` bytes at `p`.
    void read_mask(const std::uint8_t* p, std::size_t size) noexcept;

    Config config_{};
    FrameHeader header_{};
    std::array<std::uint8_t, kMaxFrameHeaderSize> buf_{};
    std::uint8_t have_ = 0;        // bytes of a partial header in buf_
    std::uint8_t need_ = 0;        // total header size once the first two bytes are known, else 0
    bool length_checked_ = false;  // the partial header's length field has been validated
    CloseCode error_ = CloseCode::none;
    std::string_view error_reason_;
};

/// XORs `data` in place with the masking key `key` (RFC 6455 section 5.3), starting at byte
/// `offset` of the key stream, i.e. `offset` is the number of payload bytes already unmasked.
/// Returns the offset to pass with the next piece of the same payload, so a payload can be
/// unmasked piecewise as it arrives. Masking and unmasking are the same operation. Works 8 bytes
/// at a time after aligning the pointer.
std::size_t apply_mask(std::span<char> data, const MaskKey& key, std::size_t offset = 0) noexcept;

/// Tracks the sequence of frames that make up messages (RFC 6455 section 5.4) and enforces the
/// message size limit.
///
/// Errors: continuation frame with no message started, or a text/binary frame while a
/// fragmented message is in progress -> 1002; message payload (the sum of its frames' wire
/// lengths) over the limit -> 1009. For compressed messages the inflated size is bounded
/// separately by the Inflater (deflate.hpp).
class MessageAssembler {
  public:
    /// Per-frame verdict.
    struct FrameInfo {
        CloseCode error = CloseCode::none;  ///< none when the frame is acceptable
        std::string_view reason;            ///< error: short static text
        Opcode opcode = Opcode::text;  ///< data frames: the message's opcode (text or binary, also
                                       ///< for continuations); control frames: their own opcode
        bool message_start = false;    ///< first frame of a data message (or a control frame)
        bool message_end = false;      ///< the message is complete after this frame's payload
        bool compressed = false;       ///< the message had RSV1 on its first frame
    };

    explicit MessageAssembler(std::uint64_t max_message_size = kDefaultMaxMessageSize) noexcept
        : max_message_(max_message_size) {}

    /// Checks a decoded header against the message state and updates the state (a final frame
    /// ends the message at once, since the next header cannot arrive before its payload).
    /// Control frames never change the state: they may sit between fragments.
    FrameInfo on_frame(const FrameHeader& header) noexcept;

    /// True while a fragmented data message has started and not ended.
    bool in_message() const noexcept { return in_message_; }
    /// Opcode (text or binary) of the message in progress.
    Opcode opcode() const noexcept { return opcode_; }
    /// Whether the message in progress is compressed.
    bool compressed() const noexcept { return compressed_; }
    /// Wire payload bytes of the message in progress so far (including the current frame).
    std::uint64_t size() const noexcept { return size_; }

    /// Back to "between messages".
    void reset() noexcept;

  private:
    std::uint64_t max_message_;
    std::uint64_t size_ = 0;
    Opcode opcode_ = Opcode::text;
    bool in_message_ = false;
    bool compressed_ = false;
};

/// Writes `header` into `out` (room for kMaxFrameHeaderSize bytes) and returns its size. Uses
/// the minimal length encoding. Writes the mask key only when header.masked.
std::size_t encode_frame_header(const FrameHeader& header, char* out) noexcept;

/// Appends the encoded `header` to `out`.
void append_frame_header(std::string& out, const FrameHeader& header);

/// Appends a complete unmasked (server) frame: header then `payload`.
void append_frame(std::string& out, Opcode opcode, std::string_view payload, bool fin = true,
                  bool rsv1 = false);

/// Appends an unmasked ping or pong frame. Returns false, appending nothing, when `opcode` is
/// not ping/pong or the payload is over 125 bytes.
bool append_ping_pong(std::string& out, Opcode opcode, std::string_view payload);

/// True for codes an endpoint may put in a close frame (RFC 6455 section 7.4): 1000-1003,
/// 1007-1014, 3000-4999. 1004, 1005, 1006, 1015, 1016-2999, <1000 and >=5000 are not.
bool is_valid_close_code(std::uint16_t code) noexcept;

/// Writes a close payload into `out` (room for kMaxControlPayload bytes): the code in network
/// order, then `reason` truncated to 123 bytes at a UTF-8 character boundary (the reason must
/// be valid UTF-8). CloseCode::no_status gives an empty payload (and drops the reason).
/// Returns the payload size.
std::size_t encode_close_payload(CloseCode code, std::string_view reason, char* out) noexcept;

/// Appends an unmasked close frame built by encode_close_payload(). Returns false, appending
/// nothing, when `code` is neither no_status nor is_valid_close_code().
bool append_close_frame(std::string& out, CloseCode code, std::string_view reason = {});

/// A received close frame's payload, parsed.
struct ClosePayload {
    CloseCode error = CloseCode::none;      ///< none when valid; else the code to close with
    std::string_view reason_error;          ///< error: short static text
    CloseCode code = CloseCode::no_status;  ///< the peer's code; no_status for an empty payload
    std::string_view reason;                ///< the peer's reason: a view into the payload
};

/// Parses a received (already unmasked) close payload. Empty is valid (no status). One byte,
/// or a code that is not is_valid_close_code() -> 1002. A reason that is not valid UTF-8 ->
/// 1007.
ClosePayload parse_close_payload(std::string_view payload) noexcept;

}  // namespace gannet::ws
