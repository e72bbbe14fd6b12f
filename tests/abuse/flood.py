#!/usr/bin/python3
"""Opens N connections to 127.0.0.1:PORT from source addresses 127.0.0.2.., sends a partial
head on each (TCP_DEFER_ACCEPT needs a byte), holds them HOLD seconds or until the server closes
them, and prints one line: connected=N failed=N answered=N closed=N.

    flood.py PORT N HOLD [FIRST_SOURCE_INDEX]
"""

import resource
import selectors
import socket
import sys
import time

port, n, hold = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
first = int(sys.argv[4]) if len(sys.argv) > 4 else 2
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

sel = selectors.DefaultSelector()
socks = []
failed = 0
for i in range(n):
    s = socket.socket()
    s.setblocking(False)
    try:
        s.bind((f"127.0.0.{first + i // 2000}", 0))
        s.connect_ex(("127.0.0.1", port))
    except OSError:
        failed += 1
        s.close()
        continue
    socks.append(s)
    sel.register(s, selectors.EVENT_WRITE)
connected = 0
answered = 0
closed = 0
deadline = time.monotonic() + hold
pending = len(socks)
while time.monotonic() < deadline and (pending or closed + failed < n):
    events = sel.select(min(0.5, max(0.0, deadline - time.monotonic())))
    for key, mask in events:
        s = key.fileobj
        if mask & selectors.EVENT_WRITE:
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            pending -= 1
            if err:
                failed += 1
                sel.unregister(s)
                continue
            connected += 1
            try:
                s.send(b"GET / HTTP/1.1\r\nHost: x\r\n")
            except OSError:
                pass
            sel.modify(s, selectors.EVENT_READ)
        else:
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if data:
                answered += 1
                continue
            closed += 1
            sel.unregister(s)
    if not events and not pending and connected == n:
        pass
print(f"connected={connected} failed={failed} answered={answered} closed={closed}", flush=True)
for s in socks:
    s.close()
