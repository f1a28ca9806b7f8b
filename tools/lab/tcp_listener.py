#!/usr/bin/env python3
"""Minimal misbehaving TCP servers for the capture lab (127.0.0.1 only).

usage: tcp_listener.py MODE PORT LIFETIME_SECONDS
  close   accept and send FIN at once without answering (read until peer closes)
  reset   accept, read the first request, then abort the connection (RST via SO_LINGER 0)
  silent  accept, read and never answer (until LIFETIME)
  http    accept, read the request, answer like a web server (HTTP 400) and close
The process exits by itself after LIFETIME seconds.
"""
import select, socket, struct, sys, time

mode, port, life = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
end = time.time() + life
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(8)
held = []
while time.time() < end:
    r, _, _ = select.select([srv] + held, [], [], 0.2)
    for s in r:
        if s is srv:
            c, _ = srv.accept()
            if mode == "close":
                # FIN at once without answering; then read until the peer
                # closes, so the kernel never turns our close into an RST
                c.shutdown(socket.SHUT_WR)
                held.append(c)
            elif mode == "reset":
                c.settimeout(5)
                try:
                    c.recv(4096)
                except OSError:
                    pass
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                c.close()
            elif mode == "http":
                c.settimeout(5)
                try:
                    c.recv(4096)
                    c.sendall(b"HTTP/1.1 400 Bad Request\r\nServer: lab-httpd\r\n"
                              b"Content-Length: 0\r\nConnection: close\r\n\r\n")
                    c.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                held.append(c)
            else:
                held.append(c)
        else:
            try:
                if not s.recv(4096):
                    held.remove(s); s.close()
            except OSError:
                held.remove(s); s.close()
for s in held:
    s.close()
srv.close()
