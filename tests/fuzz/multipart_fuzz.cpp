// The multipart/form-data parser fed whole and in pieces: same parts, same bytes, same verdict,
// no crash. The first byte picks the split step; the boundary is fixed ("XyZ").
#include <gannet/multipart.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using gannet::MultipartParser;
using Event = MultipartParser::Event;

namespace {

// Feeds `in` in pieces of `step` bytes (0: whole); returns a transcript of the events.
std::string run(std::string_view in, std::size_t step) {
    MultipartParser parser("XyZ");
    std::string transcript;
    std::string pending;
    std::size_t pos = 0;
    bool finished = false;
    while (!finished) {
        std::size_t take = step == 0 ? in.size() - pos : std::min(step, in.size() - pos);
        pending.append(in.substr(pos, take));
        pos += take;
        std::string_view view = pending;
        bool need_more = false;
        while (!need_more && !finished) {
            auto r = parser.next(view);
            if (r.consumed > view.size()) std::abort();
            view.remove_prefix(r.consumed);
            switch (r.event) {
                case Event::need_more:
                    need_more = true;
                    break;
                case Event::part_begin:
                    transcript += "[part]";
                    break;
                case Event::data:
                    transcript.append(r.data);
                    break;
                case Event::part_end:
                    transcript += "[end]";
                    break;
                case Event::done:
                    transcript += "[done]";
                    finished = true;
                    break;
                case Event::error:
                    transcript += "[error]";
                    finished = true;
                    break;
            }
        }
        pending.erase(0, pending.size() - view.size());
        if (pos == in.size() && !finished) finished = true;
    }
    return transcript;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::size_t step = 1 + data[0] % 11;
    std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
    if (run(in, 0) != run(in, step)) std::abort();
    return 0;
}
