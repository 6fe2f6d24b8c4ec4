#!/usr/bin/env python3
"""A one-name DNS server for scripts/test-image: answers A queries for NAME with ADDRESS,
every other query with an empty NOERROR answer, and logs each query's name and type (one line
each, flushed) so the test can see that the image's binary really asked it.
Usage: dns_responder.py <listen ip> <name> <address> <log file>   (serves UDP port 53)"""
import socket
import struct
import sys

listen, name, address, log_path = sys.argv[1:5]
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((listen, 53))
with open(log_path, "a", buffering=1) as log:
    log.write("ready\n")
    while True:
        query, client = sock.recvfrom(512)
        labels, i = [], 12
        while query[i]:
            labels.append(query[i + 1 : i + 1 + query[i]].decode("ascii", "replace"))
            i += query[i] + 1
        qtype = struct.unpack(">H", query[i + 1 : i + 3])[0]
        question = query[12 : i + 5]
        asked = ".".join(labels)
        log.write(f"{asked} {qtype}\n")
        answers = b""
        if asked.lower() == name.lower() and qtype == 1:  # A, class IN
            answers = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton(address)
        header = query[:2] + b"\x81\x80" + struct.pack(">HHHH", 1, 1 if answers else 0, 0, 0)
        sock.sendto(header + question + answers, client)
