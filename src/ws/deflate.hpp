// permessage-deflate (RFC 7692): negotiation, and per-connection message compression and
// decompression on zlib.
//
// Session use:
//   auto agreement = negotiate_deflate(upgrade.extensions, config);
//   if (agreement) -> send agreement->response in Sec-WebSocket-Extensions; set
//                     FrameHeaderDecoder::Config::allow_rsv1; keep
//                     Compressor(agreement->params, config) and
//                     Inflater(agreement->params, max_message) for the connection.
//   receive: for a message whose first frame had RSV1, pass each unmasked payload piece to
//            inflater.inflate(piece, last_piece_of_message, message); on failure close with
//            close_code(status).
//   send:    messages of at least config.threshold bytes: compressor.compress(msg, payload),
//            then send payload with RSV1 on the first frame (it may be fragmented like any
//            payload); smaller ones go uncompressed.
//
// Memory: zlib allocates lazily, on the first message in each direction. A compressor costs
// about 2^(window_bits+2) + 2^(mem_level+9) bytes (256 KiB at 15 and 8), an inflater about
// 2^window_bits + 7 KiB. Smaller windows and mem_level trade ratio for memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "ws/frame.hpp"
#include "ws/handshake.hpp"

namespace gannet::ws {

/// The server's permessage-deflate preferences.
struct DeflateConfig {
    bool enabled = true;              ///< false: decline every offer
    int server_max_window_bits = 15;  ///< largest LZ77 window for what we send, 8..15
    int client_max_window_bits = 15;  ///< largest window we ask the client to use, 8..15 (only
                                      ///< possible when the client offers client_max_window_bits)
    bool server_no_context_takeover = false;  ///< reset our compressor after every message
    bool client_no_context_takeover = false;  ///< ask the client to reset after every message
    int level = 6;                 ///< zlib compression level, 0..9 (6 is zlib's default)
    int mem_level = 8;             ///< zlib memLevel, 1..9 (8 is zlib's default)
    std::size_t threshold = 1024;  ///< messages shorter than this are sent uncompressed; the
                                   ///< session applies it (compressing tiny messages costs
                                   ///< more CPU than the bytes it saves)
};

/// A valid permessage-deflate offer (RFC 7692 section 7.1).
struct DeflateOffer {
    bool server_no_context_takeover = false;
    bool client_no_context_takeover = false;
    int server_max_window_bits = 0;        ///< 0: not offered; else 8..15
    bool client_max_window_bits = false;   ///< the client_max_window_bits parameter is present
    int client_max_window_bits_value = 0;  ///< 0: present without a value; else 8..15
};

/// Validates one extension offer as permessage-deflate. nullopt when the name is not
/// permessage-deflate (case-insensitive) or a parameter is unknown, repeated, has a value it
/// must not have, lacks one it must have, or has a window size other than 8..15 (digits, no
/// leading zero; a quoted value is allowed). RFC 7692 section 7.1: such an offer is declined,
/// the handshake is not failed.
std::optional<DeflateOffer> parse_deflate_offer(const ExtensionOffer& offer);

/// The parameters both ends agreed on.
struct DeflateParams {
    bool server_no_context_takeover = false;  ///< we reset our compressor per message
    bool client_no_context_takeover = false;  ///< the client resets: we may reset our inflater
    int server_max_window_bits = 15;          ///< the window our compressor may use
    int client_max_window_bits = 15;          ///< the window the client's compressor may use
};

/// The result of negotiation: the parameters and the Sec-WebSocket-Extensions response value.
struct DeflateAgreement {
    DeflateParams params;
    std::string response;  ///< e.g. "permessage-deflate; server_no_context_takeover"
};

/// Accepts the first valid permessage-deflate offer among `offers` (the client's preference
/// order), or returns nullopt (no offer, all invalid, or config.enabled is false). Every valid
/// offer is acceptable: the server window is min(config, offer); the client window is limited
/// to config.client_max_window_bits only when the client offered client_max_window_bits (else
/// the client may use 15). server_max_window_bits is echoed only when offered (RFC 7692 allows
/// it otherwise, but Firefox has rejected that); client_max_window_bits is sent only when
/// offered (RFC 7692 section 7.1.2.2 forbids it otherwise). Out-of-range config values clamp
/// to 8..15.
std::optional<DeflateAgreement> negotiate_deflate(std::span<const ExtensionOffer> offers,
                                                  const DeflateConfig& config);

/// Compresses whole messages for sending (RFC 7692 section 7.2.1). Movable, not copyable.
class Compressor {
  public:
    /// `window_bits` 8..15: 8 runs as 9, because zlib refuses raw deflate with 8; that is still
    /// within a 256-byte window since zlib's deflate never emits a distance above
    /// 2^window_bits - 262 (250 for 9).
    Compressor(int window_bits, int level, int mem_level, bool no_context_takeover) noexcept;
    /// From the negotiated parameters (our side: server_*) and the config's level and memLevel.
    Compressor(const DeflateParams& params, const DeflateConfig& config) noexcept;
    Compressor(Compressor&&) noexcept;
    Compressor& operator=(Compressor&&) noexcept;
    ~Compressor();

    /// Compresses `message` as one whole message and appends the payload to send (with RSV1 on
    /// the first frame) to `out`: raw DEFLATE, sync-flushed, without the final 00 00 ff ff. An
    /// empty message gives the single byte 00 (RFC 7692 section 7.2.3.6). Returns false on a
    /// zlib failure (out of memory), leaving `out` as it was. Allocates only to grow `out`.
    bool compress(std::string_view message, std::string& out);

    /// Drops the LZ77 context (the next message is compressed on its own).
    void reset() noexcept;

  private:
    struct Stream;
    bool init();

    std::unique_ptr<Stream> stream_;
    int window_bits_;
    int level_;
    int mem_level_;
    bool no_context_takeover_;
};

/// Decompresses received messages (RFC 7692 section 7.2.2), piece by piece, never producing
/// more than a bound. Movable, not copyable.
class Inflater {
  public:
    /// inflate() outcome.
    enum class Status : std::uint8_t {
        ok,
        too_big,  ///< the message inflates beyond the limit: close with 1009
        error,    ///< corrupt data (or out of memory): close with 1007
    };

    /// `window_bits` 8..15: the client's negotiated window. `max_message_size` bounds the
    /// inflated size of each message.
    Inflater(int window_bits, bool no_context_takeover, std::uint64_t max_message_size) noexcept;
    /// From the negotiated parameters (the client's side: client_*).
    explicit Inflater(const DeflateParams& params,
                      std::uint64_t max_message_size = kDefaultMaxMessageSize) noexcept;
    Inflater(Inflater&&) noexcept;
    Inflater& operator=(Inflater&&) noexcept;
    ~Inflater();

    /// Inflates the next piece `in` of a compressed message's payload (pieces may split frames
    /// anywhere) and appends the output to `out`. `message_end`: `in` is the last piece; the
    /// 00 00 ff ff tail is added and the per-message count restarts. The output of one message
    /// never exceeds max_message_size: inflation runs in bounded steps and stops with too_big as
    /// soon as one more byte would be produced, so a small "zip bomb" cannot make it allocate
    /// beyond the bound (plus std::string's growth slack in `out`). After too_big or error the
    /// state is undefined until reset().
    Status inflate(std::string_view in, bool message_end, std::string& out);

    /// Inflated bytes of the current message so far.
    std::uint64_t message_size() const noexcept { return produced_; }

    /// Drops the LZ77 context and the per-message count.
    void reset() noexcept;

  private:
    struct Stream;
    bool init();
    Status run(std::string_view in, std::string& out);

    std::unique_ptr<Stream> stream_;
    std::uint64_t max_message_;
    std::uint64_t produced_ = 0;
    int window_bits_;
    bool no_context_takeover_;
};

/// The close code for a failed inflate(): 1009 for too_big, 1007 for error (the compressed
/// payload is invalid data for the message), none for ok.
constexpr CloseCode close_code(Inflater::Status status) noexcept {
    switch (status) {
        case Inflater::Status::ok:
            return CloseCode::none;
        case Inflater::Status::too_big:
            return CloseCode::message_too_big;
        case Inflater::Status::error:
            break;
    }
    return CloseCode::invalid_payload;
}

}  // namespace gannet::ws
