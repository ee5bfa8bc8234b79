"""A host-side client for tests/programs/echo_server.c (test_net.py's echo
cases and scripts/bench_net.py): N concurrent TCP connections, each
sending M messages of pseudo-random sizes and contents (a fixed seed per
connection, so a failure reproduces) and reading every echo back before
the next message, comparing each byte."""
import random
import socket
import threading
import time


class EchoError(Exception):
    pass


def _one(port, idx, msgs, max_size, seed, timeout, out):
    rnd = random.Random(seed * 1000003 + idx)
    t0 = time.monotonic()
    nbytes = 0
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for m in range(msgs):
                # sizes from 1 byte to max_size, biased to small and to the extremes
                pick = rnd.random()
                if pick < 0.1:
                    size = max_size
                elif pick < 0.2:
                    size = 1
                elif pick < 0.6:
                    size = rnd.randint(1, 512)
                else:
                    size = rnd.randint(1, max_size)
                data = rnd.randbytes(size)
                s.sendall(data)
                got = bytearray()
                while len(got) < size:
                    chunk = s.recv(size - len(got))
                    if not chunk:
                        raise EchoError(f"connection {idx}: message {m}: the server closed after "
                                        f"{len(got)} of {size} bytes")
                    got += chunk
                if got != data:
                    bad = next(i for i in range(size) if got[i] != data[i])
                    raise EchoError(f"connection {idx}: message {m} ({size} bytes): byte {bad} "
                                    f"is {got[bad]:#x}, sent {data[bad]:#x}")
                nbytes += size
            s.shutdown(socket.SHUT_WR)
            if s.recv(1):
                raise EchoError(f"connection {idx}: bytes after the last echo")
    except (OSError, EchoError) as e:
        out[idx] = e
        return
    out[idx] = (time.monotonic() - t0, nbytes)


def drive(port, conns=16, msgs=200, max_size=65536, seed=1, timeout=120):
    """Run the client; returns {"conns", "msgs", "bytes", "seconds", "per_msg_us"}
    (per_msg_us: the mean time of one message's round trip on one connection).
    Raises EchoError naming the first connection that failed."""
    out = [None] * conns
    ths = [threading.Thread(target=_one, args=(port, i, msgs, max_size, seed, timeout, out))
           for i in range(conns)]
    t0 = time.monotonic()
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    wall = time.monotonic() - t0
    for i, r in enumerate(out):
        if not isinstance(r, tuple):
            raise EchoError(f"connection {i}: {r!r}")
    per_conn = sum(r[0] for r in out) / conns
    return {"conns": conns, "msgs": msgs, "bytes": sum(r[1] for r in out), "seconds": wall,
            "per_msg_us": per_conn / msgs * 1e6}


def wait_port(port, proc=None, timeout=60):
    """True once 127.0.0.1:port accepts a connection (False if proc ended or time ran out).
    The probe connection counts as one connection for the server."""
    end = time.time() + timeout
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False
