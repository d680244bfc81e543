#!/usr/bin/env python3
# bench/outage_servers.py: stand-ins for dead name servers, for bench/outages.sh; no DNS data.
# silent: UDP and TCP bound, nothing ever answered (TCP connections accepted by the kernel, never read).
# tcp-only: UDP bound and dropped; TCP answers every question with A 192.0.2.77, authoritatively.
#   outage_servers.py MODE ADDRESS:PORT...   (runs until killed)
import socket
import struct
import sys
import threading


def answer(query):
    """An authoritative A 192.0.2.77 reply to a one-question query, or None."""
    if len(query) < 12:
        return None
    (ident,) = struct.unpack("!H", query[:2])
    end = 12
    while end < len(query) and query[end] != 0:
        end += 1 + query[end]
    question = query[12 : end + 5]
    if len(question) < 5:
        return None
    header = struct.pack("!HHHHHH", ident, 0x8400, 1, 1, 0, 0)
    record = struct.pack("!HHHIH", 0xC00C, 1, 1, 300, 4) + bytes([192, 0, 2, 77])
    return header + question + record


def serve_tcp(listener):
    while True:
        connection, _ = listener.accept()
        with connection:
            try:
                prefix = connection.recv(2, socket.MSG_WAITALL)
                if len(prefix) < 2:
                    continue
                query = connection.recv(struct.unpack("!H", prefix)[0], socket.MSG_WAITALL)
                reply = answer(query)
                if reply:
                    connection.sendall(struct.pack("!H", len(reply)) + reply)
            except OSError:
                pass


def main():
    mode, addresses = sys.argv[1], sys.argv[2:]
    keep = []
    for text in addresses:
        host, port = text.rsplit(":", 1)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind((host, int(port)))
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind((host, int(port)))
        tcp.listen(64)
        keep += [udp, tcp]
        if mode == "tcp-only":
            threading.Thread(target=serve_tcp, args=(tcp,), daemon=True).start()
    print("outage servers ready", flush=True)
    threading.Event().wait()


main()
