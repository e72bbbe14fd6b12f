// The live demo: one page (examples/demo/public, served by Gannet itself) that shows
//
//   - a chat room over WebSocket, with pub/sub across workers   (GET  /ws/chat)
//   - a server dashboard over Server-Sent Events, once a second  (GET  /events/stats)
//   - a streaming file upload to disk, with progress            (POST /upload)
//   - a load test the browser runs against this server          (GET  /api/ping)
//
//   demo [--port N] [--threads N] [--public DIR] [--uploads DIR]
//
// How the dashboard is gathered: each worker counts its own requests and streams in a slot that
// only it writes (no lock, no shared counter on the request path). Once a second a sampler
// thread reads the slots, adds what the process knows (RSS and CPU time from /proc/self, open
// sockets from /proc/self/fd) and publishes one event to the "stats" SSE channel, which every
// dashboard follows.
#include "../common/cli.hpp"
#include "../common/write_all.hpp"

#include "../hello/reference_routes.hpp"

#include <gannet/gannet.hpp>
#include <gannet/json.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>

using namespace gannet;
using namespace std::chrono_literals;

namespace {

// ---- per-worker counters ------------------------------------------------------------------

constexpr unsigned kMaxWorkers = 64;

// One slot per worker, on its own cache line. Only its worker writes it (a relaxed store to a
// line no other core writes costs what a plain store does); the sampler thread reads it.
struct alignas(64) WorkerSlot {
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::int64_t> websockets{0};
    std::atomic<std::int64_t> streams{0};
    std::atomic<bool> used{false};
};
std::array<WorkerSlot, kMaxWorkers> g_slots;
std::atomic<int> g_next_slot{0};
std::atomic<std::int64_t> g_online{0};  // chat members, all workers

// This worker's slot, claimed on its first request.
thread_local WorkerSlot* t_slot = nullptr;
thread_local int t_worker = -1;

WorkerSlot& my_slot() {
    if (!t_slot) {
        t_worker = g_next_slot.fetch_add(1) % static_cast<int>(kMaxWorkers);
        t_slot = &g_slots[static_cast<std::size_t>(t_worker)];
        t_slot->used.store(true, std::memory_order_release);
    }
    return *t_slot;
}

// Counts a long-lived stream (WebSocket, SSE) on this worker while it lives. Made and destroyed
// on the same worker: a handler always resumes on its connection's worker.
struct Live {
    std::atomic<std::int64_t>& n;
    explicit Live(std::atomic<std::int64_t>& counter) : n(counter) {
        n.store(n.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
    ~Live() { n.store(n.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed); }
    Live(const Live&) = delete;
    Live& operator=(const Live&) = delete;
};

// ---- what the process knows about itself --------------------------------------------------

std::uint64_t rss_kib() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
    }
    return 0;
}

// utime + stime of the whole process, in clock ticks.
std::uint64_t cpu_ticks() {
    std::ifstream in("/proc/self/stat");
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto close = s.rfind(')');  // the command name may hold spaces
    if (close == std::string::npos) return 0;
    std::istringstream fields(s.substr(close + 2));
    std::string f;
    std::uint64_t utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> f; ++i) {
        if (i == 14) utime = std::stoull(f);
        if (i == 15) stime = std::stoull(f);
    }
    return utime + stime;
}

// Open sockets of the process (TCP connections plus one listener per worker).
std::uint64_t open_sockets() {
    std::uint64_t n = 0;
    DIR* d = ::opendir("/proc/self/fd");
    if (!d) return 0;
    char target[64];
    while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.') continue;
        std::string path = std::string("/proc/self/fd/") + e->d_name;
        ssize_t len = ::readlink(path.c_str(), target, sizeof target - 1);
        if (len > 0 &&
            std::string_view(target, static_cast<std::size_t>(len)).rfind("socket:", 0) == 0)
            ++n;
    }
    ::closedir(d);
    return n;
}

// ---- the sampler: one stats event a second -----------------------------------------------

class Sampler {
  public:
    Sampler(App& app, SseChannel& channel) : app_(app), channel_(channel) {}
    ~Sampler() { stop(); }

    void start() {
        thread_ = std::thread([this] { loop(); });
    }
    void stop() {
        {
            std::lock_guard lock(mu_);
            stopping_ = true;
        }
        cv_.notify_all();
        if (thread_.joinable()) thread_.join();
    }
    /// The latest event's data, so that a new dashboard has numbers at once.
    std::string latest() {
        std::lock_guard lock(mu_);
        return latest_;
    }

  private:
    bool wait(std::chrono::milliseconds d) {
        std::unique_lock lock(mu_);
        return !cv_.wait_for(lock, d, [this] { return stopping_; });
    }

    void loop() {
        std::array<std::uint64_t, kMaxWorkers> last_requests{};
        std::uint64_t last_cpu = cpu_ticks();
        auto last_time = std::chrono::steady_clock::now();
        const double ticks_per_second = static_cast<double>(::sysconf(_SC_CLK_TCK));
        while (wait(1000ms)) {
            auto now = std::chrono::steady_clock::now();
            double seconds = std::chrono::duration<double>(now - last_time).count();
            last_time = now;
            std::uint64_t cpu = cpu_ticks();
            double cpu_percent =
                100.0 * static_cast<double>(cpu - last_cpu) / ticks_per_second / seconds;
            last_cpu = cpu;

            std::string workers = "[";
            double total_rps = 0;
            std::uint64_t total_requests = 0;
            for (std::size_t i = 0; i < kMaxWorkers; ++i) {
                WorkerSlot& s = g_slots[i];
                if (!s.used.load(std::memory_order_acquire)) continue;
                std::uint64_t r = s.requests.load(std::memory_order_relaxed);
                double rps = static_cast<double>(r - last_requests[i]) / seconds;
                last_requests[i] = r;
                total_rps += rps;
                total_requests += r;
                if (workers.size() > 1) workers += ',';
                workers += JsonWriter()
                               .field("worker", static_cast<std::uint64_t>(i))
                               .field("requests", r)
                               .field("rps", rps)
                               .field("websockets", s.websockets.load(std::memory_order_relaxed))
                               .field("streams", s.streams.load(std::memory_order_relaxed))
                               .str();
            }
            workers += ']';
            std::uint64_t sockets = open_sockets();
            std::uint64_t listeners = app_.threads();
            std::string data =
                JsonWriter()
                    .field("time", static_cast<std::int64_t>(
                                       std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count()))
                    .field("rps", total_rps)
                    .field("requests", total_requests)
                    .field("connections", sockets > listeners ? sockets - listeners : 0)
                    .field("rss_kib", rss_kib())
                    .field("cpu_percent", cpu_percent)
                    .field("online", g_online.load())
                    .raw_field("workers", workers)
                    .str();
            {
                std::lock_guard lock(mu_);
                latest_ = data;
            }
            channel_.publish({.event = "stats", .data = data});
        }
    }

    App& app_;
    SseChannel& channel_;
    std::thread thread_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::string latest_;
};

// ---- chat ---------------------------------------------------------------------------------

// A chat line from a client: {"name": "...", "text": "..."}. Returns the message to publish,
// or empty when the input is not a valid chat line (which is dropped).
std::string chat_message(std::string_view raw) {
    nlohmann::json in = nlohmann::json::parse(raw, nullptr, false);
    if (!in.is_object() || !in["text"].is_string() || !in["name"].is_string()) return {};
    std::string text = in["text"];
    std::string name = in["name"];
    if (text.empty() || text.size() > 500 || name.empty() || name.size() > 32) return {};
    return JsonWriter()
        .field("type", "chat")
        .field("name", name)
        .field("text", text)
        .field("time",
               static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count()))
        .str();
}

std::string presence(std::int64_t online) {
    return JsonWriter().field("type", "presence").field("online", online).str();
}

// ---- uploads ------------------------------------------------------------------------------

std::atomic<std::uint64_t> g_upload_seq{0};
constexpr std::uint64_t kKeepUploads = 10;

// ---- options ------------------------------------------------------------------------------

struct Options {
    Config config;
    std::string public_dir;
    std::string uploads_dir = "/tmp/gannet-demo-uploads";
};

Options parse_args(int argc, char** argv) {
    Options o;
    o.config.port = 8080;
    // The page sits next to this file in the source tree; --public overrides.
    o.public_dir = (std::filesystem::path(__FILE__).parent_path() / "public").string();
    for (int i = 1; i < argc; i += 2) {  // every option takes a value
        std::string_view a = argv[i];
        const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
        if (a == "--port") {
            o.config.port = cli_port(a, v);
        } else if (a == "--threads") {
            o.config.threads = static_cast<unsigned>(cli_number(a, v));
        } else if (a == "--public" && v) {
            o.public_dir = v;
        } else if (a == "--uploads" && v) {
            o.uploads_dir = v;
        } else if (a == "--help" || a == "-h") {
            std::puts("usage: demo [--port N] [--threads N] [--public DIR] [--uploads DIR]");
            std::exit(0);
        } else {
            throw std::invalid_argument("unknown option '" + std::string(a) + "' (try --help)");
        }
    }
    return o;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read " + path +
                                 " (run from the repository root or pass --public DIR)");
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

int main(int argc, char** argv) try {
    Options opts = parse_args(argc, argv);
    std::filesystem::create_directories(opts.uploads_dir);

    App app;
    app.on_error(json_errors());

    // Count every request on the worker that serves it.
    app.use([](Request& req, Next next) -> Task<Response> {
        auto& n = my_slot().requests;
        n.store(n.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        co_return co_await next(req);
    });

    // The load-test target: a small JSON answer from a sync handler.
    app.get("/api/ping", [](Request&) {
        return JsonWriter().field("pong", true).field("worker", t_worker).response();
    });

    // Chat: every member subscribes to "chat"; what one sends is published to all, on every
    // worker. The handler lives as long as the connection.
    app.ws("/ws/chat", [&app](Request&, WebSocket& ws) -> Task<> {
        Live live(my_slot().websockets);
        ws.subscribe("chat");
        app.publish("chat", presence(++g_online));
        while (auto msg = co_await ws.receive()) {
            std::string out = msg->binary ? std::string() : chat_message(msg->data);
            if (!out.empty()) app.publish("chat", out);
        }
        app.publish("chat", presence(--g_online));
    });

    // Dashboard: the latest numbers at once, then every event of the "stats" channel.
    // No replay: a dashboard that reconnects wants the present, not the last 100 seconds.
    SseChannel& stats = app.channel("stats").set_replay(0);
    Sampler sampler(app, stats);
    app.sse("/events/stats", [&stats, &sampler](Request&, EventStream& es) -> Task<> {
        Live live(my_slot().streams);
        std::string now = sampler.latest();
        if (!now.empty()) co_await es.send({.event = "stats", .data = now});
        co_await es.follow(stats);
    });

    // Upload: the body streamed to a file as it arrives, each write on the blocking pool so
    // the worker keeps serving other connections. Memory use stays at one chunk.
    const std::string uploads = opts.uploads_dir;
    app.post(
        "/upload",
        [uploads](Request& req) -> Task<Response> {
            auto start = std::chrono::steady_clock::now();
            std::uint64_t seq = ++g_upload_seq;
            std::string path = uploads + "/upload-" + std::to_string(seq) + ".bin";
            int fd = co_await offload([&path] {
                return ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
            });
            if (fd < 0) throw HttpError(500, "cannot create the upload file");
            std::uint64_t bytes = 0;
            std::exception_ptr failed;
            try {
                while (auto chunk = co_await req.body().read()) {
                    std::string_view data = *chunk;  // valid until the next read
                    co_await offload([fd, data] { write_all(fd, data); });
                    bytes += data.size();
                }
            } catch (...) {
                failed = std::current_exception();
            }
            co_await offload([fd] { ::close(fd); });
            // Keep the last few uploads only.
            if (seq > kKeepUploads) {
                std::string old =
                    uploads + "/upload-" + std::to_string(seq - kKeepUploads) + ".bin";
                co_await offload([old] { ::unlink(old.c_str()); });
            }
            if (failed) std::rethrow_exception(failed);
            if (int err = req.body().error()) throw HttpError(err, "upload incomplete");
            double ms =
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                    .count();
            co_return JsonWriter()
                .field("bytes", bytes)
                .field("file", path)
                .field("ms", ms)
                .response(201);
        },
        RouteOptions{.max_body = std::uint64_t{1} << 30});  // streamed: up to 1 GiB

    // The reference app's routes (/json, /users/{id}, /echo, /ws/echo, /events, ...), so the
    // README's first command serves both the demo and what the docs and benchmarks use. `GET /`
    // is the page for a browser and "Hello, World!" for everyone else (curl, wrk).
    add_reference_routes(app);
    std::string index_html = read_file(opts.public_dir + "/index.html");
    app.get("/", [index_html](Request& req) {
        auto accept = req.header("Accept");
        if (accept && accept->find("text/html") != std::string_view::npos) {
            Response page = Response::html(index_html);
            page.header("Cache-Control", "no-cache");
            page.header("Vary", "Accept");
            return page;
        }
        Response text = Response::text("Hello, World!");
        text.header("Vary", "Accept");
        return text;
    });

    // The page's assets.
    StaticOptions page;
    page.cache_control = "no-cache";  // a demo: always revalidate (ETag) so edits show at once
    app.static_files("/", opts.public_dir, page);

    app.listen(opts.config);
    std::printf("gannet: listening on http://%s:%u (%u workers)\n",
                opts.config.host == "0.0.0.0" ? "127.0.0.1" : opts.config.host.c_str(), app.port(),
                app.threads());
    std::fflush(stdout);
    sampler.start();
    int rc = app.run();
    sampler.stop();
    std::printf("gannet: stopped\n");
    return rc;
} catch (const std::exception& e) {
    std::fprintf(stderr, "demo: %s\n", e.what());
    return 2;
}
