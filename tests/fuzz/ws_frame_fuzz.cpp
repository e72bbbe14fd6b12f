// WebSocket frame decoding as a server session does it: header decoder, message assembler,
// unmasking in pieces, UTF-8 validation of text and close payload parsing. Must never crash or
// read past what it was given.
#include "ws/frame.hpp"
#include "ws/utf8.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace gannet::ws;
using Status = FrameHeaderDecoder::Result::Status;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const bool rsv1 = data[0] & 1;
    std::string buf(reinterpret_cast<const char*>(data + 1), size - 1);
    FrameHeaderDecoder decoder({Role::server, rsv1, 4096});
    MessageAssembler assembler(16384);
    Utf8Validator utf8;
    std::size_t pos = 0;
    while (pos < buf.size()) {
        auto r = decoder.feed(std::string_view(buf).substr(pos));
        pos += r.consumed;
        if (r.status != Status::done) break;
        const FrameHeader& h = decoder.header();
        auto info = assembler.on_frame(h);
        if (info.error != CloseCode::none) break;
        std::size_t len =
            static_cast<std::size_t>(std::min<std::uint64_t>(h.payload_length, buf.size() - pos));
        // Unmask in two pieces to exercise the rolling offset.
        std::size_t half = len / 2;
        std::size_t off = apply_mask(std::span<char>(buf.data() + pos, half), h.mask, 0);
        apply_mask(std::span<char>(buf.data() + pos + half, len - half), h.mask, off);
        std::string_view payload(buf.data() + pos, len);
        if (h.opcode == Opcode::close) {
            (void)parse_close_payload(payload);
        } else if (!is_control(h.opcode) && info.opcode == Opcode::text && !info.compressed) {
            if (info.message_start) utf8.reset();
            if (!utf8.feed(payload)) break;
            if (info.message_end) (void)utf8.finish();
        }
        pos += len;
    }
    return 0;
}
