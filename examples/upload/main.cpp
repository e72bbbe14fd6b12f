// Streaming upload to disk: the body is read chunk by chunk as it arrives and each chunk is
// written on the blocking pool (offload), so a 10 GiB upload uses one chunk of memory and the
// worker keeps serving other connections meanwhile. Backpressure is built in: the socket is
// read only when the handler asks for the next chunk.
//
//   upload [--port N] [--dir DIR]          (DIR defaults to ./uploads)
//
//   curl -T big.iso localhost:8080/files/big.iso     # PUT, streamed
//   curl localhost:8080/files/big.iso -o copy.iso    # served back with sendfile
#include "../common/cli.hpp"
#include "../common/write_all.hpp"

#include <gannet/gannet.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

using namespace gannet;

namespace {

// A file name we are willing to create: letters, digits, '.', '-', '_', not starting with '.'.
bool safe_name(std::string_view name) {
    if (name.empty() || name.size() > 100 || name.front() == '.') return false;
    for (char c : name) {
        bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  c == '.' || c == '-' || c == '_';
        if (!ok) return false;
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) try {
    ExampleCli args = parse_example_cli(argc, argv, "upload [--port N] [--dir DIR]", {"--dir"});
    std::string dir = args.value_or("--dir", "uploads");
    std::filesystem::create_directories(dir);

    App app;
    app.put(
        "/files/{name}",
        [dir](Request& req) -> Task<Response> {
            std::string name(req.param("name"));
            if (!safe_name(name)) throw HttpError(400, "bad file name");
            // Write to a temporary name and rename at the end: a reader never sees half a file,
            // and a failed upload leaves nothing behind.
            std::string final_path = dir + "/" + name;
            std::string tmp_path = final_path + ".part";
            int fd = co_await offload([&tmp_path] {
                return ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            });
            if (fd < 0) throw HttpError(500, "cannot create the file");

            std::uint64_t bytes = 0;
            bool write_failed = false;
            while (auto chunk = co_await req.body().read()) {
                std::string_view data = *chunk;  // valid until the next read()
                try {
                    co_await offload([fd, data] { write_all(fd, data); });
                } catch (const std::system_error&) {
                    write_failed = true;
                    break;
                }
                bytes += data.size();
            }
            bool complete = !write_failed && req.body().error() == 0;
            co_await offload([fd, complete, &tmp_path, &final_path] {
                ::close(fd);
                if (complete) {
                    std::filesystem::rename(tmp_path, final_path);
                } else {
                    ::unlink(tmp_path.c_str());
                }
            });
            if (write_failed) throw HttpError(507, "the disk refused the write");
            // 413 over the limit, 408 too slow, 400 broken chunking, 499 client gone.
            if (int err = req.body().error()) throw HttpError(err, "upload incomplete");
            co_return Response::json(
                R"({"name":")" + name + R"(","bytes":)" + std::to_string(bytes) + "}", 201);
        },
        RouteOptions{.max_body = std::uint64_t{16} << 30});  // up to 16 GiB per upload

    // What was uploaded, served back (sendfile, ETag, ranges).
    app.static_files("/files", dir);

    return listen_announce_run(app, {.port = args.port});
} catch (const std::exception& e) {
    std::fprintf(stderr, "upload: %s\n", e.what());
    return 2;
}
