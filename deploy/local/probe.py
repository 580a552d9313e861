#!/usr/bin/env python3
"""Readiness probes and small helpers for the local servers, standard library only.

The shell scripts call this before the project's virtualenv exists, so it must not import
aiokafka or pymongo. Each probe speaks just enough of the wire protocol to know the server
really answers requests, not merely that its port accepts connections.

    probe.py free-port                  print a free TCP port on 127.0.0.1
    probe.py port-free PORT             exit 0 when nothing listens on 127.0.0.1:PORT
    probe.py kafka HOST:PORT            exit 0 when a Kafka Metadata request lists a live broker
    probe.py mongo HOST:PORT            exit 0 when a MongoDB `ping` answers ok
    probe.py cluster-id                 print a new Kafka cluster id (base64url of a random UUID)
"""

from __future__ import annotations

import base64
import socket
import struct
import sys
import uuid

TIMEOUT_S = 3.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) != 0


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("server closed the connection mid-response")
        buf += chunk
    return buf


def _split(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host, int(port)


def kafka_broker_count(address: str) -> int:
    """Send Metadata v4 (the oldest version Kafka 4 still serves) for no topics; return #brokers.

    A broker lists itself only once it has registered with the controller and been unfenced,
    which is the moment clients can produce and consume.
    """
    client_id = b"pv-probe"
    # request header v1: api_key=3 (Metadata), api_version=4, correlation_id, client_id
    header = struct.pack(">hhih", 3, 4, 7, len(client_id)) + client_id
    body = struct.pack(">ib", 0, 0)  # topics: empty array; allow_auto_topic_creation: false
    request = header + body
    with socket.create_connection(_split(address), timeout=TIMEOUT_S) as sock:
        sock.sendall(struct.pack(">i", len(request)) + request)
        (size,) = struct.unpack(">i", _recv_exact(sock, 4))
        response = _recv_exact(sock, size)
    correlation_id, _throttle_ms, brokers = struct.unpack_from(">iii", response, 0)
    if correlation_id != 7:
        raise ConnectionError(f"unexpected correlation id {correlation_id}")
    return brokers


def _bson_ping() -> bytes:
    def cstring(s: str) -> bytes:
        return s.encode() + b"\x00"

    elements = b"\x10" + cstring("ping") + struct.pack("<i", 1)
    db = cstring("admin")
    elements += b"\x02" + cstring("$db") + struct.pack("<i", len(db)) + db
    return struct.pack("<i", 4 + len(elements) + 1) + elements + b"\x00"


def _bson_ok(doc: bytes) -> bool:
    """Read the top-level `ok` field of a BSON reply (numbers only; `ok` is always one)."""
    pos = 4
    while pos < len(doc) - 1:
        kind = doc[pos]
        end = doc.index(b"\x00", pos + 1)
        name = doc[pos + 1 : end].decode()
        pos = end + 1
        if kind == 0x01:  # double
            value: float = struct.unpack_from("<d", doc, pos)[0]
            pos += 8
        elif kind == 0x10:  # int32
            value = struct.unpack_from("<i", doc, pos)[0]
            pos += 4
        elif kind in (0x12, 0x09, 0x11):  # int64, datetime, timestamp
            value = struct.unpack_from("<q", doc, pos)[0]
            pos += 8
        elif kind in (0x02, 0x0D, 0x0E):  # string-like: int32 length + bytes
            pos += 4 + struct.unpack_from("<i", doc, pos)[0]
            continue
        elif kind in (0x03, 0x04):  # embedded document or array
            pos += struct.unpack_from("<i", doc, pos)[0]
            continue
        elif kind == 0x08:  # bool
            value = doc[pos]
            pos += 1
        elif kind == 0x0A:  # null
            continue
        else:
            return False
        if name == "ok":
            return value == 1
    return False


def mongo_ping(address: str) -> bool:
    doc = _bson_ping()
    body = struct.pack("<I", 0) + b"\x00" + doc  # OP_MSG flagBits, section kind 0, document
    header = struct.pack("<iiii", 16 + len(body), 1, 0, 2013)
    with socket.create_connection(_split(address), timeout=TIMEOUT_S) as sock:
        sock.sendall(header + body)
        length, _request_id, _response_to, opcode = struct.unpack("<iiii", _recv_exact(sock, 16))
        reply = _recv_exact(sock, length - 16)
    if opcode != 2013 or reply[4] != 0:
        return False
    return _bson_ok(reply[5:])


def cluster_id() -> str:
    while True:
        value = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not value.startswith("-"):  # a leading dash would read as a command-line option
            return value


def main(argv: list[str]) -> int:
    command, args = argv[0], argv[1:]
    if command == "free-port":
        print(free_port())
        return 0
    if command == "port-free":
        return 0 if port_free(int(args[0])) else 1
    if command == "cluster-id":
        print(cluster_id())
        return 0
    try:
        if command == "kafka":
            return 0 if kafka_broker_count(args[0]) >= 1 else 1
        if command == "mongo":
            return 0 if mongo_ping(args[0]) else 1
    except (OSError, ValueError, struct.error, IndexError):
        return 1
    print(f"probe.py: unknown command {command!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
