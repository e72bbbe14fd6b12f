#include "io/stream.hpp"
#include "net/connect.hpp"

#include <gannet/net.hpp>

#include <string>

namespace gannet::net {

namespace {

[[noreturn]] void fail(const char* op, const io::Stream& s, const char* why, bool timed_out) {
    throw ConnectionError(std::string(op) + " " + std::string(s.peer_address()) + ": " + why,
                          timed_out);
}

// A wait that did not end ready: the timeout, close() from another coroutine, or the task's
// cancellation.
[[noreturn]] void wait_failed(const char* op, const io::Stream& s, io::WaitResult r, bool closing) {
    if (r == io::WaitResult::cancelled && closing) fail(op, s, "the connection was closed", false);
    if (r == io::WaitResult::cancelled) throw Cancelled();
    fail(op, s, "timed out", true);
}

Task<TcpConnection> connect_impl(std::string host, std::uint16_t port, ConnectOptions options) {
    co_return TcpConnection(co_await connect_stream(host, port, options));
}

}  // namespace

TcpConnection::TcpConnection() noexcept = default;
TcpConnection::TcpConnection(std::unique_ptr<io::Stream> stream) noexcept
    : stream_(std::move(stream)) {}
TcpConnection::TcpConnection(TcpConnection&& other) noexcept
    : stream_(std::move(other.stream_)), timeout_(other.timeout_) {}

TcpConnection& TcpConnection::operator=(TcpConnection&& other) noexcept {
    if (this != &other) {
        close();
        stream_ = std::move(other.stream_);
        timeout_ = other.timeout_;
    }
    return *this;
}

TcpConnection::~TcpConnection() {
    close();
}

void TcpConnection::close() noexcept {
    if (!stream_) return;
    closing_ = true;
    stream_->cancel_waits();
    closing_ = false;
    stream_->close();
    // The poller's current batch may still hold a report for the fd (this coroutine was
    // resumed by another one's): the stream's memory lives until the batch is done.
    if (io::Worker* w = io::Worker::current()) {
        w->destroy_after_batch(std::move(stream_));
    } else {
        stream_.reset();
    }
}

void TcpConnection::shutdown_write() noexcept {
    if (stream_) stream_->shutdown_write();
}

std::string_view TcpConnection::peer_address() const noexcept {
    return stream_ ? stream_->peer_address() : std::string_view();
}

std::string_view TcpConnection::local_address() const noexcept {
    return stream_ ? stream_->local_address() : std::string_view();
}

Task<std::size_t> TcpConnection::read(std::span<char> buf) {
    if (!stream_) throw ConnectionError("read: the connection is closed", false);
    if (buf.empty()) co_return 0;
    const auto ms = static_cast<std::uint64_t>(timeout_.count());
    for (;;) {
        io::IoResult r = stream_->read(buf);
        if (r.bytes > 0) co_return r.bytes;
        if (r.error == io::IoError::eof) co_return 0;
        if (r.error != io::IoError::would_block)
            fail("read from", *stream_, "connection reset", false);
        io::WaitResult w = co_await stream_->wait_readable(ms);
        if (!stream_) throw ConnectionError("read: the connection was closed", false);
        if (w != io::WaitResult::ready) wait_failed("read from", *stream_, w, closing_);
    }
}

Task<void> TcpConnection::write(std::string_view data) {
    if (!stream_) throw ConnectionError("write: the connection is closed", false);
    const auto ms = static_cast<std::uint64_t>(timeout_.count());
    while (!data.empty()) {
        std::string_view piece[1] = {data};
        io::IoResult r = stream_->write(piece);
        data.remove_prefix(r.bytes);
        if (data.empty()) break;
        if (r.error != io::IoError::none && r.error != io::IoError::would_block) {
            fail("write to", *stream_, "connection reset", false);
        }
        io::WaitResult w = co_await stream_->wait_writable(ms);
        if (!stream_) throw ConnectionError("write: the connection was closed", false);
        if (w != io::WaitResult::ready) wait_failed("write to", *stream_, w, closing_);
    }
}

Task<TcpConnection> connect(std::string_view host, std::uint16_t port, ConnectOptions options) {
    return connect_impl(std::string(host), port, options);
}

}  // namespace gannet::net
