"""Send 512 MiB to HOST PORT over TCP and wait until the peer has closed (bench/network.sh)."""
import socket
import sys
import time

for attempt in range(50):  # the sink may still be starting
    try:
        s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=30)
        break
    except ConnectionRefusedError:
        time.sleep(0.1)
buf = bytes(1 << 20)
with s:
    for _ in range(512):
        s.sendall(buf)
    s.shutdown(socket.SHUT_WR)
    while s.recv(1 << 16):
        pass
