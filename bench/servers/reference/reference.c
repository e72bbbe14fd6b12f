// The syscall-only reference server of docs/architecture.md, "Measuring": the floor.
//
// Single-threaded epoll. It accepts, reads, counts "\r\n\r\n" occurrences and
// answers each with a canned "HTTP/1.1 200 OK" response (Content-Length, no
// Date), with one write per read batch. It parses nothing: whatever the request
// says, the answer is "Hello, World!". So it is only meaningful for the
// plaintext scenarios, where it shows what the system calls alone cost.
//
// One concession to the short-connection scenario: if a batch contains
// "Connection: close" (a byte search, not a parse), the answer carries
// "Connection: close" and the socket is closed after it, as any server must do
// for the client to see the end of the exchange.
//
// Usage: reference --port N   (listens on 127.0.0.1)
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static const char kResponse[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";
static const char kResponseClose[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n"
    "Connection: close\r\n\r\nHello, World!";
enum { kReadBuf = 65536, kMaxConns = 65536 };

struct Conn {
    int matched;        // how many bytes of "\r\n\r\n" the previous read ended with
    char *pending;      // unwritten output (only after a short write)
    size_t pending_len;
    int closing;        // close once the pending output is written
};

static struct Conn *conns;  // indexed by fd
static char rbuf[kReadBuf];
static char *wbuf;
static size_t wcap;
static volatile sig_atomic_t stop;

static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

static void close_conn(int fd) {
    free(conns[fd].pending);
    memset(&conns[fd], 0, sizeof conns[fd]);
    close(fd);
}

// Writes what it can; keeps the rest for EPOLLOUT. Returns -1 if the
// connection was closed.
static int send_out(int ep, int fd, const char *data, size_t len) {
    struct Conn *c = &conns[fd];
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n > 0) {
            off += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        } else {
            close_conn(fd);
            return -1;
        }
    }
    if (off < len) {
        char *p = malloc(len - off);
        if (!p) {
            close_conn(fd);
            return -1;
        }
        memcpy(p, data + off, len - off);
        c->pending = p;
        c->pending_len = len - off;
        struct epoll_event ev = {.events = EPOLLOUT, .data.fd = fd};
        epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
        return 0;
    }
    if (c->closing) {
        close_conn(fd);
        return -1;
    }
    return 0;
}

static void on_writable(int ep, int fd) {
    struct Conn *c = &conns[fd];
    char *p = c->pending;
    size_t len = c->pending_len;
    c->pending = NULL;
    c->pending_len = 0;
    int r = send_out(ep, fd, p, len);
    free(p);
    if (r == 0 && conns[fd].pending == NULL) {
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
        epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
    }
}

static void on_readable(int ep, int fd) {
    struct Conn *c = &conns[fd];
    ssize_t n = read(fd, rbuf, sizeof rbuf);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        close_conn(fd);
        return;
    }
    if (n < 0) return;
    // Count "\r\n\r\n", carrying a partial match across reads.
    static const char pat[4] = {'\r', '\n', '\r', '\n'};
    size_t count = 0;
    int m = c->matched;
    for (ssize_t i = 0; i < n; ++i) {
        char ch = rbuf[i];
        if (ch == pat[m]) {
            if (++m == 4) {
                ++count;
                m = 0;
            }
        } else {
            m = (ch == '\r') ? 1 : 0;
        }
    }
    c->matched = m;
    if (count == 0) return;
    int close_after = memmem(rbuf, (size_t)n, "onnection: close", 16) != NULL;
    const char *resp = close_after ? kResponseClose : kResponse;
    size_t rlen = close_after ? sizeof kResponseClose - 1 : sizeof kResponse - 1;
    if (close_after) count = 1;
    size_t total = count * rlen;
    if (total > wcap) {
        free(wbuf);
        wcap = total * 2;
        wbuf = malloc(wcap);
        if (!wbuf) {
            perror("malloc");
            exit(1);
        }
    }
    for (size_t i = 0; i < count; ++i) memcpy(wbuf + i * rlen, resp, rlen);
    c->closing = close_after;
    send_out(ep, fd, wbuf, total);
}

int main(int argc, char **argv) {
    int port = 8080;
    for (int i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            port = atoi(argv[++i]);
        } else {
            fprintf(stderr, "usage: %s --port N\n", argv[0]);
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    conns = calloc(kMaxConns, sizeof *conns);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (!conns || lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(lfd, 4096) != 0) {
        perror("reference: listen");
        return 1;
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event lev = {.events = EPOLLIN, .data.fd = lfd};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev);
    printf("reference: listening on http://127.0.0.1:%d\n", port);
    fflush(stdout);

    struct epoll_event events[512];
    while (!stop) {
        int n = epoll_wait(ep, events, 512, 1000);
        for (int i = 0; i < n; ++i) {
            int fd = events[i].data.fd;
            if (fd == lfd) {
                for (;;) {
                    int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (cfd < 0) break;
                    if (cfd >= kMaxConns) {
                        close(cfd);
                        continue;
                    }
                    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct epoll_event ev = {.events = EPOLLIN, .data.fd = cfd};
                    epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev);
                }
            } else if (conns[fd].pending) {
                if (events[i].events & (EPOLLERR | EPOLLHUP)) {
                    close_conn(fd);
                } else {
                    on_writable(ep, fd);
                }
            } else {
                on_readable(ep, fd);
            }
        }
    }
    return 0;
}
