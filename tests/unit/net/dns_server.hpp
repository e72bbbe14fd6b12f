// A small, real DNS server for the resolver's tests: UDP on 127.0.0.1, port 0, answering A and
// AAAA questions from a table with chosen TTLs, NODATA for a known name without records of the
// type asked, NXDOMAIN otherwise, or nothing at all (a server that never answers). It counts the
// questions it receives per name, so a test can tell a cached answer from a fresh one.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdint>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace gannet::test {

class DnsServer {
  public:
    /// `silent`: read every question and answer none.
    explicit DnsServer(bool silent = false) : silent_(silent) {
        fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
        socklen_t len = sizeof a;
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0 || ::pipe(stop_) != 0) {
            throw std::runtime_error("test DNS server: cannot bind 127.0.0.1");
        }
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~DnsServer() {
        char b = 0;
        [[maybe_unused]] auto n = ::write(stop_[1], &b, 1);
        thread_.join();
        ::close(fd_);
        ::close(stop_[0]);
        ::close(stop_[1]);
    }
    DnsServer(const DnsServer&) = delete;
    DnsServer& operator=(const DnsServer&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    /// "127.0.0.1:PORT", as ResolverOptions::servers takes it.
    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

    /// Answers `name` with these addresses ("10.0.0.5", "::1") and `ttl` seconds.
    void add(const std::string& name, std::vector<std::string> addresses, std::uint32_t ttl) {
        std::lock_guard lock(mutex_);
        records_[lower(name)] = Record{std::move(addresses), ttl};
    }
    /// Questions received for `name` (any type).
    int questions(const std::string& name) {
        std::lock_guard lock(mutex_);
        auto it = asked_.find(lower(name));
        return it == asked_.end() ? 0 : it->second;
    }
    int total_questions() {
        std::lock_guard lock(mutex_);
        int n = 0;
        for (auto& [k, v] : asked_) n += v;
        return n;
    }

  private:
    struct Record {
        std::vector<std::string> addresses;
        std::uint32_t ttl = 0;
    };
    static std::string lower(std::string s) {
        for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (!s.empty() && s.back() == '.') s.pop_back();
        return s;
    }
    static void put16(std::string& out, unsigned v) {
        out += static_cast<char>((v >> 8) & 0xff);
        out += static_cast<char>(v & 0xff);
    }
    static void put32(std::string& out, std::uint32_t v) {
        put16(out, v >> 16);
        put16(out, v & 0xffff);
    }

    void serve() {
        for (;;) {
            pollfd p[2] = {{fd_, POLLIN, 0}, {stop_[0], POLLIN, 0}};
            if (::poll(p, 2, -1) < 0) continue;
            if (p[1].revents != 0) return;
            unsigned char q[1500];
            sockaddr_storage from{};
            socklen_t from_len = sizeof from;
            ssize_t n =
                ::recvfrom(fd_, q, sizeof q, 0, reinterpret_cast<sockaddr*>(&from), &from_len);
            if (n < 12) continue;
            std::string answer;
            if (!answer_to(q, static_cast<std::size_t>(n), answer) || silent_) continue;
            ::sendto(fd_, answer.data(), answer.size(), 0, reinterpret_cast<sockaddr*>(&from),
                     from_len);
        }
    }

    // Builds the response to the query `q`; false when it is not one we can parse.
    bool answer_to(const unsigned char* q, std::size_t n, std::string& out) {
        std::size_t at = 12;
        std::string name;
        while (at < n && q[at] != 0) {
            std::size_t len = q[at];
            if ((len & 0xc0) != 0 || at + 1 + len > n) return false;
            if (!name.empty()) name += '.';
            name.append(reinterpret_cast<const char*>(q + at + 1), len);
            at += 1 + len;
        }
        if (at + 5 > n) return false;
        const std::size_t question_end = at + 5;
        const unsigned qtype = (q[at + 1] << 8) | q[at + 2];
        name = lower(name);
        std::vector<std::string> rdata;
        std::uint32_t ttl = 0;
        bool known = false;
        {
            std::lock_guard lock(mutex_);
            ++asked_[name];
            auto it = records_.find(name);
            if (it != records_.end()) {
                known = true;
                ttl = it->second.ttl;
                for (const std::string& a : it->second.addresses) {
                    unsigned char buf[16];
                    if (qtype == 1 && inet_pton(AF_INET, a.c_str(), buf) == 1) {
                        rdata.emplace_back(reinterpret_cast<char*>(buf), 4);
                    } else if (qtype == 28 && inet_pton(AF_INET6, a.c_str(), buf) == 1) {
                        rdata.emplace_back(reinterpret_cast<char*>(buf), 16);
                    }
                }
            }
        }
        out.assign(reinterpret_cast<const char*>(q), 2);  // the query's id
        const unsigned rd = q[2] & 0x01;
        put16(out, 0x8400u | (rd << 8) | 0x0080u | (known ? 0u : 3u));  // QR AA RD RA, rcode
        put16(out, 1);
        put16(out, static_cast<unsigned>(rdata.size()));
        put16(out, 0);
        put16(out, 0);
        out.append(reinterpret_cast<const char*>(q + 12), question_end - 12);
        for (const std::string& r : rdata) {
            put16(out, 0xc00c);  // the name: a pointer to the question's
            put16(out, qtype);
            put16(out, 1);  // IN
            put32(out, ttl);
            put16(out, static_cast<unsigned>(r.size()));
            out += r;
        }
        return true;
    }

    bool silent_;
    int fd_ = -1;
    int stop_[2] = {-1, -1};
    std::uint16_t port_ = 0;
    std::mutex mutex_;
    std::map<std::string, Record> records_;
    std::map<std::string, int> asked_;
    std::thread thread_;
};

}  // namespace gannet::test
