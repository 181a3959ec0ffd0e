"""memcached_gen_data and redis_gen_data, the key-value workloads, against
Debian's real memcached (loopback TCP) and redis-server (a unix socket and
loopback TCP), and against small fake servers where a real one cannot be
made to misbehave. What the servers hold afterwards is read with tools of
their own (memcached's `stats`/`get` over a plain socket, redis-cli), and
every line printed is checked against the regexes the old plotting scripts
and CSV converter use."""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time

from zsimtest import BUILD_DIR, TestCase, main

# 0sim-plotting-scripts plot-memcached_gen_data-*.py
PLOT = re.compile(r"^DONE [0-9]+ Duration { secs: ([0-9]+), nanos: ([0-9]+) }( [0-9]+)?$")
# 0sim-plotting-scripts data-converter/src/main.rs (--memcached)
CSV = re.compile(r"^DONE (\d+) Duration \{ secs: (\d+), nanos: (\d+) \} 0$")
PAGE_TABLES = re.compile(r"^DONE (\d+) (\d+)$")
MC_VALUE = 523800
MC_PUTS = (1 << 30) // MC_VALUE  # 2049 for 1 GiB
RD_VALUE = 1 << 19
RD_PUTS = (1 << 30) // RD_VALUE  # 2048
EVERY_100TH = list(range(0, 2049, 100))  # keys of the DONE lines for both


def prog(name):
    return os.path.join(BUILD_DIR, "orchestrator", name)


def gen(name, *args, timeout=300):
    t = time.monotonic()
    res = subprocess.run([prog(name), *args], capture_output=True, text=True, timeout=timeout)
    res.wall = time.monotonic() - t
    return res


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, what, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def recv_exact(conn, n):
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    while got < n:
        k = conn.recv_into(view[got:], n - got)
        if not k:
            raise EOFError
        got += k
    return bytes(buf)


def recv_line(conn):
    line = b""
    while not line.endswith(b"\r\n"):
        c = conn.recv(1)
        if not c:
            raise EOFError
        line += c
    return line[:-2]


class Server:
    """A server process of ours, stopped (by its PID) when the test ends."""
    def start(self, test, argv):
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)
        test.addCleanup(self.stop)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def output(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")


class Memcached(Server):
    def __init__(self, test, *args):
        self.port = free_port()
        self.start(test, ["memcached", "-u", "nobody", "-l", "127.0.0.1", "-p", str(self.port),
                          "-U", "0", "-t", "1", *args])
        wait_for(lambda: self.proc.poll() is None and self.stats(), "memcached")

    def request(self, line):
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as s:
            s.sendall(line.encode() + b"\r\n")
            data = b""
            while not data.endswith(b"END\r\n"):
                chunk = s.recv(1 << 20)
                if not chunk:
                    raise EOFError(line)
                data += chunk
            return data

    def stats(self):
        out = {}
        for line in self.request("stats").decode().splitlines():
            if line.startswith("STAT "):
                _, k, v = line.split(" ", 2)
                out[k] = v
        return out

    def get(self, key):
        data = self.request(f"get {key}")
        if data == b"END\r\n":
            return None
        head, rest = data.split(b"\r\n", 1)
        self_key, flags, size = head.decode().split()[1:4]
        return rest[:int(size)]


class Redis(Server):
    def __init__(self, test, *args):
        self.dir = tempfile.mkdtemp(prefix="zsim-redis.")
        test.addCleanup(shutil.rmtree, self.dir, True)
        self.sock = os.path.join(self.dir, "redis.sock")
        self.port = free_port()
        self.start(test, ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                          "--unixsocket", self.sock, "--unixsocketperm", "700", "--save", "",
                          "--appendonly", "no", "--dir", self.dir, *args])
        wait_for(lambda: self.proc.poll() is None and self.cli("PING") == "PONG", "redis-server")

    def cli(self, *args):
        res = subprocess.run(["redis-cli", "-s", self.sock, *args], capture_output=True,
                             text=True, timeout=30)
        return res.stdout.strip()

    def info(self, key):
        for line in self.cli("INFO").splitlines():
            if line.startswith(key + ":"):
                return line.split(":", 1)[1]
        raise KeyError(key)


class FakeServer:
    """Answers each request with the next of `replies` (a TCP server on
    127.0.0.1, or a unix socket server when `unix` is a path); None closes
    the connection. `per_connection` answers one request per connection, as
    a redis client that connects for every command needs. Every request is
    parsed by `read_request` and kept in `requests`."""
    def __init__(self, test, read_request, replies, unix=None, per_connection=False):
        if unix:
            self.sock = socket.socket(socket.AF_UNIX)
            self.sock.bind(unix)
        else:
            self.sock = socket.socket()
            self.sock.bind(("127.0.0.1", 0))
            self.port = self.sock.getsockname()[1]
        self.sock.listen(8)
        self.read_request, self.replies = read_request, replies
        self.per_connection = per_connection
        self.requests, self.connections, self.error = [], 0, None
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()
        test.addCleanup(self.sock.close)

    def next_reply(self):
        n = len(self.requests) - 1
        return self.replies(n) if callable(self.replies) else (
            self.replies[n] if n < len(self.replies) else None)

    def serve(self):
        try:
            while True:
                try:
                    conn, _ = self.sock.accept()
                except OSError:
                    return
                self.connections += 1
                with conn:
                    while True:
                        try:
                            self.requests.append(self.read_request(conn))
                        except EOFError:
                            break
                        reply = self.next_reply()
                        if reply is None:
                            return
                        conn.sendall(reply)
                        if self.per_connection:
                            break
        except Exception as e:  # reported by the test, not lost in the thread
            self.error = e


def memcached_set(conn):
    """One text-protocol set: (header line, whether the value was all zero)."""
    head = recv_line(conn)
    size = int(head.split()[4])
    value = recv_exact(conn, size + 2)
    return head, value[:-2] == bytes(size) and value[-2:] == b"\r\n"


def redis_set(conn):
    """One RESP command: (its arguments but the last, whether the last was
    2^19 zero bytes)."""
    n = int(recv_line(conn)[1:])
    args = []
    for _ in range(n):
        size = int(recv_line(conn)[1:])
        args.append(recv_exact(conn, size + 2)[:-2])
    return args[:-1], args[-1] == bytes(RD_VALUE)


class KvTestCase(TestCase):
    def done_lines(self, lines, keys=EVERY_100TH):
        """The DONE lines parse with both old regexes, come every 100 puts
        from key 0, and add up to no more than the run took."""
        for line in lines:
            self.assertRegex(line, PLOT)
            self.assertRegex(line, CSV)
        self.assertEqual([int(CSV.match(l).group(1)) for l in lines], keys)
        return sum(int(CSV.match(l).group(2)) + int(CSV.match(l).group(3)) / 1e9 for l in lines)


class MemcachedGenData(KvTestCase):
    def test_fills_memcached(self):
        mc = Memcached(self, "-m", "2048")
        res = gen("memcached_gen_data", f"127.0.0.1:{mc.port}", "1")
        self.assertEqual((res.returncode, res.stderr), (0, ""))
        total = self.done_lines(res.stdout.splitlines())
        self.assertGreater(total, 0)
        self.assertLessEqual(total, res.wall)  # the monotonic clock, in seconds
        stats = mc.stats()
        self.assertEqual(int(stats["curr_items"]), MC_PUTS)
        self.assertEqual(int(stats["total_items"]), MC_PUTS)
        self.assertGreaterEqual(int(stats["bytes"]), MC_PUTS * MC_VALUE)
        self.assertEqual(mc.get(MC_PUTS - 1), bytes(MC_VALUE))
        self.assertIsNone(mc.get(MC_PUTS))

    def test_tsc_clock_localhost_and_page_tables(self):
        mc = Memcached(self, "-m", "2048")
        # --freq 1 (MHz): each Duration is TSC cycles / 1e6 in seconds, so
        # the total over the run's wall time is the TSC's rate in MHz
        res = gen("memcached_gen_data", f"localhost:{mc.port}", "1", "-f", "1")
        self.assertEqual((res.returncode, res.stderr), (0, ""))
        mhz = self.done_lines(res.stdout.splitlines()) / res.wall
        self.assertTrue(100 < mhz < 20000, f"{mhz:.0f} MHz")
        res = gen("memcached_gen_data", f"127.0.0.1:{mc.port}", "--page_tables", "1")
        self.assertEqual((res.returncode, res.stderr), (0, ""))
        lines = res.stdout.splitlines()
        self.assertTrue(all(PAGE_TABLES.match(l) for l in lines), lines[:3])
        self.assertEqual([int(PAGE_TABLES.match(l).group(1)) for l in lines], EVERY_100TH)
        self.assertTrue(all(int(PAGE_TABLES.match(l).group(2)) > 0 for l in lines))
        res = gen("memcached_gen_data", f"127.0.0.1:{mc.port}", "0")
        self.assertEqual((res.returncode, res.stdout, res.stderr), (0, "", ""))

    def test_refused_puts_are_reported_and_the_run_goes_on(self):
        mc = Memcached(self, "-m", "8", "-M")  # full after a few values, no eviction
        res = gen("memcached_gen_data", f"127.0.0.1:{mc.port}", "1")
        self.assertEqual((res.returncode, res.stderr), (0, ""))
        lines = res.stdout.splitlines()
        errors = [l for l in lines if not l.startswith("DONE ")]
        self.done_lines([l for l in lines if l.startswith("DONE ")])
        self.assertEqual(set(errors),
                         {"memcached returned error: SERVER_ERROR out of memory storing object"})
        stored = int(mc.stats()["curr_items"])
        self.assertGreater(stored, 0)
        self.assertEqual(stored + len(errors), MC_PUTS)

    def test_wire_format_and_a_lost_connection(self):
        fake = FakeServer(self, memcached_set,
                          [b"STORED\r\n", b"SERVER_ERROR boom\r\n", None])
        res = gen("memcached_gen_data", f"127.0.0.1:{fake.port}", "1")
        self.assertIsNone(fake.error)
        self.assertEqual(fake.requests[:3], [(f"set {k} 0 1000000 523800".encode(), True)
                                             for k in range(3)])
        self.assertEqual(res.returncode, 1)
        lines = res.stdout.splitlines()
        self.assertEqual(len(lines), 3, lines)
        self.done_lines(lines[:1], [0])
        self.assertEqual(lines[1], "memcached returned error: SERVER_ERROR boom")
        self.assertRegex(lines[2], r"^memcached returned error: (the server closed the "
                                   r"connection|.* \(os error \d+\))$")
        self.assertIn(f"memcached_gen_data: lost the connection to memcached at "
                      f"127.0.0.1:{fake.port} at key 2: ", res.stderr)

    def test_results_that_cannot_be_written(self):
        # every put is made; the lines are lost, and that is an error
        mc = Memcached(self, "-m", "2048")
        with open("/dev/full", "w") as full:
            res = subprocess.run([prog("memcached_gen_data"), f"127.0.0.1:{mc.port}", "1"],
                                 stdout=full, stderr=subprocess.PIPE, text=True, timeout=300)
        self.assertEqual(res.returncode, 1)
        self.assertEqual(res.stderr, "memcached_gen_data: cannot write the results: "
                                     "No space left on device\n")
        self.assertEqual(int(mc.stats()["curr_items"]), MC_PUTS)

    def test_no_server(self):
        port = free_port()
        res = gen("memcached_gen_data", f"127.0.0.1:{port}", "1")
        self.assertEqual((res.returncode, res.stdout), (1, ""))
        self.assertEqual(res.stderr, f"memcached_gen_data: cannot connect to memcached at "
                                     f"127.0.0.1:{port}: Connection refused\n")


class RedisGenData(KvTestCase):
    def test_fills_redis_over_a_unix_socket_then_tcp(self):
        rd = Redis(self)
        res = gen("redis_gen_data", f"unix:{rd.sock}", "1")
        self.assertEqual((res.returncode, res.stderr), (0, ""))
        total = self.done_lines(res.stdout.splitlines())
        self.assertLessEqual(total, res.wall)
        self.assertEqual(rd.cli("DBSIZE"), str(RD_PUTS))
        self.assertEqual(rd.cli("STRLEN", str(RD_PUTS - 1)), str(RD_VALUE))
        self.assertEqual(rd.cli("EXISTS", str(RD_PUTS)), "0")
        # a connection per SET, as the original's redis::Client made
        self.assertGreaterEqual(int(rd.info("total_connections_received")), RD_PUTS)
        rd.cli("FLUSHALL")
        res = gen("redis_gen_data", f"redis://127.0.0.1:{rd.port}", "1", "--freq=1")
        self.assertEqual((res.returncode, res.stderr), (0, ""))
        mhz = self.done_lines(res.stdout.splitlines()) / res.wall
        self.assertTrue(100 < mhz < 20000, f"{mhz:.0f} MHz")
        self.assertEqual(rd.cli("DBSIZE"), str(RD_PUTS))

    def test_out_of_memory_ends_the_run(self):
        rd = Redis(self, "--maxmemory", "4mb", "--maxmemory-policy", "noeviction")
        res = gen("redis_gen_data", f"unix:{rd.sock}", "1")
        self.assertEqual(res.returncode, 1)
        oom = "OOM: command not allowed when used memory > 'maxmemory'."
        lines = res.stdout.splitlines()
        self.done_lines(lines[:1], [0])
        self.assertEqual(lines[1:], ["Error " + oom])
        m = re.fullmatch(r"redis_gen_data: Error: (.*) \(key (\d+), tried twice\)\n", res.stderr)
        self.assertIsNotNone(m, res.stderr)
        self.assertEqual(m.group(1), oom)
        self.assertEqual(rd.cli("DBSIZE"), m.group(2))
        self.assertGreater(int(m.group(2)), 0)

    def test_an_err_reply(self):
        rd = Redis(self, "--rename-command", "SET", "")
        res = gen("redis_gen_data", f"unix:{rd.sock}", "1")
        self.assertEqual(res.returncode, 1)
        self.assertEqual(len(res.stdout.splitlines()), 1, res.stdout)
        self.assertTrue(res.stdout.startswith(
            "Error An error was signalled by the server: unknown command 'SET'"), res.stdout)
        self.assertEqual(rd.cli("DBSIZE"), "0")

    def test_wire_format_and_a_retry_that_works(self):
        d = tempfile.mkdtemp(prefix="zsim-fake-redis.")
        self.addCleanup(shutil.rmtree, d, True)
        sock = os.path.join(d, "redis.sock")
        fake = FakeServer(self, redis_set,
                          lambda n: b"-LOADING Redis is loading the dataset in memory\r\n"
                          if n == 0 else b"+OK\r\n", unix=sock, per_connection=True)
        res = gen("redis_gen_data", f"redis+unix://{sock}", "1")
        self.assertIsNone(fake.error)
        self.assertEqual((res.returncode, res.stderr), (0, ""))
        lines = res.stdout.splitlines()
        self.assertEqual(lines[0], "Error An error was signalled by the server: "
                                   "Redis is loading the dataset in memory")
        self.done_lines(lines[1:])
        self.assertEqual(fake.connections, RD_PUTS + 1)
        self.assertEqual(fake.requests[:3], [([b"SET", b"0"], True), ([b"SET", b"0"], True),
                                             ([b"SET", b"1"], True)])
        self.assertEqual(len(fake.requests), RD_PUTS + 1)

    def test_an_unknown_error_code(self):
        d = tempfile.mkdtemp(prefix="zsim-fake-redis.")
        self.addCleanup(shutil.rmtree, d, True)
        sock = os.path.join(d, "redis.sock")
        FakeServer(self, redis_set, lambda n: b"-WEIRD\r\n", unix=sock, per_connection=True)
        res = gen("redis_gen_data", f"unix:{sock}", "1")
        self.assertEqual(res.returncode, 1)
        self.assertEqual(res.stdout, "Error WEIRD: Unknown extension error encountered\n")

    def test_no_server(self):
        res = gen("redis_gen_data", "unix:/nonexistent/redis.sock", "1")
        self.assertEqual(res.returncode, 1)
        self.assertEqual(res.stdout, "Error No such file or directory (os error 2)\n")
        self.assertEqual(res.stderr, "redis_gen_data: Error: No such file or directory "
                                     "(os error 2) (key 0, tried twice)\n")


class BadArguments(TestCase):
    """Exit 2, the reason and the usage on stderr, nothing on stdout."""
    COMMON = ((["1.2.3.4:5"], "give ADDR and GB"),
              (["ADDR", "1", "2"], "give ADDR and GB"),
              (["ADDR", "x"], "GB x is not a whole number of GiB"),
              (["ADDR", "-1"], "unknown option -1"),
              (["ADDR", "1", "--freq", "0"], "--freq 0 is not a frequency in MHz"),
              (["ADDR", "1", "-f", "3.5"], "--freq 3.5 is not a frequency in MHz"),
              (["ADDR", "1", "--freq"], "--freq needs a value"),
              (["ADDR", "1", "-h"], "-h (--hyperv) needs the 0sim kernel's hypercalls: "
                                    "not supported"),
              (["ADDR", "1", "--pftime", "7"], "--pftime needs the 0sim kernel's hypercalls"),
              (["ADDR", "1", "-x"], "unknown option -x"))

    def check(self, name, addr, cases):
        for args, why in self.COMMON + cases:
            args = [addr if a == "ADDR" else a for a in args]
            res = gen(name, *args)
            self.assertEqual(res.returncode, 2, (name, args, res.stderr))
            self.assertIn(f"{name}: {why}", res.stderr, args)
            self.assertIn(f"usage: {name} ADDR GB", res.stderr, args)
            self.assertEqual(res.stdout, "", args)
        res = gen(name, "--help")
        self.assertEqual(res.returncode, 0)
        self.assertTrue(res.stdout.startswith(f"usage: {name} ADDR GB"), res.stdout)

    def test_memcached(self):
        self.check("memcached_gen_data", "127.0.0.1:11211", tuple(
            ([a, "1"], f"ADDR {a} is not an IP:PORT")
            for a in ("memcached.example:11211", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536",
                      "[::1]", "::1:11211", "unix:/tmp/x")))

    def test_redis(self):
        self.check("redis_gen_data", "unix:/tmp/redis.sock", tuple(
            ([a, "1"], f"ADDR {a} is not unix:PATH or redis://HOST[:PORT]")
            for a in ("/tmp/redis.sock", "unix:", "redis://127.0.0.1:6379/1",
                      "redis://redis.example", "http://127.0.0.1")))

    def test_addresses_that_parse(self):
        # GB 0: nothing to put, so nothing connects; the address is still checked
        # (memcached_gen_data connects before its first put, as the original did)
        for name, addr in (("redis_gen_data", "redis://127.0.0.1"),
                           ("redis_gen_data", "redis://[::1]:1/0"),
                           ("redis_gen_data", "unix:///nonexistent"),
                           ("redis_gen_data", "redis+unix:/nonexistent")):
            res = gen(name, addr, "0")
            self.assertEqual((res.returncode, res.stdout, res.stderr), (0, "", ""), (name, addr))


if __name__ == "__main__":
    main()
