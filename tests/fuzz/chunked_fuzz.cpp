// The chunked decoder fed whole and split: same body bytes, same verdict, no crash.
#include "http/parser.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace gannet::http;
using Status = ChunkedDecoder::Result::Status;

namespace {

// Decodes `in` fed in pieces of `step` bytes (0: all at once); returns the final status.
Status decode(std::string_view in, std::size_t step, std::string& body) {
    ChunkedDecoder dec(1 << 20, 1024);
    std::string pending;
    std::size_t pos = 0;
    for (;;) {
        std::size_t take = step == 0 ? in.size() - pos : std::min(step, in.size() - pos);
        pending.append(in.substr(pos, take));
        pos += take;
        std::string_view view = pending;
        for (;;) {
            auto r = dec.next(view);
            if (r.consumed > view.size()) std::abort();
            if (r.status == Status::data) body.append(r.data);
            view.remove_prefix(r.consumed);
            if (r.status == Status::done || r.status == Status::error) return r.status;
            if (r.status == Status::need_more) break;
        }
        pending.erase(0, pending.size() - view.size());
        if (pos == in.size()) return Status::need_more;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::size_t step = 1 + data[0] % 13;
    std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
    std::string whole_body, split_body;
    Status whole = decode(in, 0, whole_body);
    Status split = decode(in, step, split_body);
    if (whole != split || whole_body != split_body) std::abort();
    return 0;
}
