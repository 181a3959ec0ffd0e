"""Every --json document zsim-orch prints, on fixture hosts, libvirt's
test driver, and a spool and results directory a real serve filled: each
has the shape tests/integration/schemas/ gives it (zsimtest.schema; every
run() of every tier checks the documents it sees the same way), so has
every line of the JSON Lines streams (queue log --json, stderr under
--progress-json), and every command that takes --json has a shape on
file."""
import json
import os
import signal
import subprocess
import tempfile
import time

from zsimtest import BUILD_DIR, FIXTURES, ZSIM_ORCH, TestCase, command, main, run
from zsimtest import schema

NODE = os.path.join(FIXTURES, "0sim-node")
STOCK = os.path.join(FIXTURES, "debian-stock")
DOCGEN = os.path.join(BUILD_DIR, "orchestrator", "zsim-docgen")
# thin status needs device-mapper: the vm tier checks it (tests/vm/test_thin.py);
# slurm submit/status need a cluster: the slurm tier checks them
ELSEWHERE = {"thin.status", "slurm.submit", "slurm.status"}


class Json(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="zsim-json.")
        os.chmod(cls.tmp, 0o755)
        cls.conf = os.path.join(cls.tmp, "zsim.conf")
        with open(cls.conf, "w") as f:
            f.write(f"[paths]\nspool = {cls.tmp}/spool\nresults = {cls.tmp}/results\n"
                    f"state = {cls.tmp}/state\n")
        daemon = subprocess.Popen([ZSIM_ORCH, "--config", cls.conf, "serve"],
                                  stderr=subprocess.DEVNULL)
        try:
            done = os.path.join(cls.tmp, "spool", ".zsim", "done")
            deadline = time.monotonic() + 30
            while not os.path.isdir(done):
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.05)
            for seconds in ("0", "1"):
                assert run("--config", cls.conf, "queue", "submit", "noop", "--seconds",
                           seconds).rc == 0
            while len(os.listdir(done)) < 2:
                assert time.monotonic() < deadline, "the runs did not finish"
                time.sleep(0.05)
            # one left running, one queued behind it
            for _ in range(2):
                run("--config", cls.conf, "queue", "submit", "noop", "--seconds", "60")
            while not os.listdir(os.path.join(cls.tmp, "spool", ".zsim", "running")):
                assert time.monotonic() < deadline, "the third run did not start"
                time.sleep(0.05)
            cls.runs = json.loads(run("--config", cls.conf, "--json", "queue", "ls").out)
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=60)
        cls.sets = sorted(os.path.join(d, p[:-len(".params")])
                          for d, _, files in os.walk(os.path.join(cls.tmp, "results"))
                          for p in files if p.endswith(".params"))
        cls.seen = set()

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["rm", "-rf", cls.tmp])

    def doc(self, *args, rc=0):
        res = run(*args)   # run() checks the shape
        self.assertRun(res, rc)
        doc = json.loads(res.out)
        name = schema.expected_schema(args)
        self.assertEqual(schema.check_document(doc, name), [])
        type(self).seen.add(name)
        return doc

    def lines(self, *args, rc=0, stderr=False):
        """The documents of a JSON Lines stream, on stdout (or stderr)."""
        res = run(*args)   # run() checks the shape of every line
        self.assertRun(res, rc)
        text = res.err if stderr else res.out
        docs = [json.loads(line) for line in text.splitlines()]
        type(self).seen.update(d["schema"][len("zsim."):-len("/1")] for d in docs)
        return docs

    def test_every_stream(self):
        c = ["--config", self.conf]
        ids = [j["id"] for j in self.runs["jobs"]]
        for rid, state in ((ids[0], "done"), (ids[2], "cancelled")):
            docs = self.lines(*c, "queue", "log", "--json", rid)
            self.assertEqual((docs[0]["schema"], docs[0]["state"]),
                             ("zsim.queue.log.state/1", state))
            self.assertEqual((docs[-1]["schema"], docs[-1]["state"]),
                             ("zsim.queue.log.end/1", state))
            self.assertTrue(all(d["id"] == rid for d in docs))
        self.assertEqual(docs[-1]["exit"], 143)
        docs = self.lines(*c, "--progress-json", "run", "noop", "--seconds", "0",
                          stderr=True)
        self.assertEqual([(d["schema"], d["phase"]) for d in docs],
                         [("zsim.progress.phase/1", "noop: sleep"),
                          ("zsim.progress.phase/1", "noop: collect"),
                          ("zsim.progress.end/1", "noop: collect")])
        # target prepare on libvirt's test driver: the copy, then a "boot"
        # no guest agent ever answers, each with updates, then the error
        image = os.path.join(self.tmp, "cloud.qcow2")
        self.assertRun(command("qemu-img", "create", "-f", "qcow2", image, "64M"), 0)
        os.makedirs(os.path.join(self.tmp, "state", "images"), exist_ok=True)
        docs = self.lines(*c, "--connect", "test:///default", "--progress-json", "target",
                          "prepare", "--from", image, "--profile", "debian12", "--timeout",
                          "1", rc=1, stderr=True)
        kinds = [d["schema"] for d in docs]
        self.assertIn("zsim.progress.update/1", kinds)
        self.assertEqual(kinds[-2:], ["zsim.progress.end/1", "zsim.log/1"])
        self.assertIn("cloud-init did not finish within 1 s", docs[-1]["text"])
        self.assertEqual([d["elapsed_ms"] for d in docs[:-1]],
                         sorted(d["elapsed_ms"] for d in docs[:-1]))
        docs = self.lines(*c, "--progress-json", "run", "nosuch", rc=2, stderr=True)
        self.assertEqual([d["schema"] for d in docs], ["zsim.log/1"])
        self.assertEqual(docs[0]["level"], "error")

    def test_every_document(self):
        c = ["--config", self.conf]
        self.doc("--root", NODE, "--connect", "test:///default", "--json", "status")
        self.doc("--root", STOCK, "--connect", "qemu+unix:///system?socket=/nonexistent",
                 "status", "--json")
        self.doc("--root", NODE, "config", "show", "--json")
        with tempfile.NamedTemporaryFile("w", suffix=".conf") as bad:
            bad.write("[thin]\nvirtual_size = lots\n[nope]\nx = 1\n")
            bad.flush()
            doc = self.doc("config", "check", "--json", bad.name, rc=1)
            self.assertFalse(doc["valid"])
        self.doc("--root", NODE, "ept", "status", "--json")
        self.doc("--root", STOCK, "--json", "ept", "status")
        self.doc("--root", NODE, "--json", "knobs", "show")
        self.doc("--root", STOCK, "--json", "knobs", "show")
        self.doc("--root", NODE, "--json", "preflight", "4")
        doc = self.doc("--root", STOCK, "--json", "preflight", "4096", "2", rc=3)
        self.assertTrue(doc["failed"])
        self.assertEqual((doc["vm_size_bytes"], doc["cores"]), (4096 << 30, 2))
        self.doc("--root", NODE, "--json", "swap", "status")
        self.doc("--connect", "test:///default", "--json", "target", "status")
        doc = self.doc(*c, "queue", "ls", "--json")
        self.assertEqual([j["state"] for j in doc["jobs"]], ["done", "done", "cancelled",
                                                             "queued"])
        self.doc(*c, "queue", "show", doc["jobs"][0]["id"])
        self.doc(*c, "queue", "show", "--json", doc["jobs"][3]["id"])
        self.doc(*c, "results", "ls", "--json")
        self.doc(*c, "results", "show", "--json", self.sets[0])
        self.doc(*c, "results", "compare", "--json", self.sets[0], self.sets[1])

    def test_a_running_run_and_one_queued(self):
        states = [(j["state"], j["phase"]) for j in self.runs["jobs"]]
        self.assertEqual([s for s, _ in states], ["done", "done", "running", "queued"])
        self.assertIsNone(states[3][1])
        self.assertEqual(schema.check_document(self.runs, "queue.ls"), [])

    def test_every_json_command_has_a_shape(self):
        takes = set()
        for line in command(DOCGEN, "names").out.splitlines():
            kind, what = line.split(" ", 1)
            if kind == "option" and what.endswith(" --json"):
                takes.add(what[:-len(" --json")].replace(" ", "."))
        streams = {s for s in schema.STREAMS if not s.startswith("-")}
        self.assertEqual(takes, set(schema.documents()) | streams)
        for name in schema.names():
            shape = schema.load(name)
            self.assertEqual(shape["schema"], f"zsim.{name}/1")

    def test_the_check_catches_what_it_should(self):
        t = schema.load("swap.status")["type"]
        good = {"devices": [{"id": "UUID=x", "device": None, "active": False,
                             "size_bytes": None, "used_bytes": None, "priority": None,
                             "error": "gone"}]}
        self.assertEqual(schema.check(good, t), [])
        bad = json.loads(json.dumps(good))
        del bad["devices"][0]["error"]
        bad["devices"][0]["size_bytes"] = "10G"
        bad["devices"][0]["sizeBytes"] = 1
        self.assertEqual(schema.check(bad, t), [
            '$.devices[0].size_bytes: "10G" is not int|null',
            "$.devices[0]: no 'error' (absent values are null)",
            "$.devices[0]: unexpected key 'sizeBytes'"])
        # whatever a shape says, sizes are whole bytes and keys snake_case
        self.assertEqual(schema.check({"size_bytes": 1.5, "Mode": 1},
                                      {"size_bytes": "number", "Mode": "int"}),
                         ["$.size_bytes: not a whole number", "$: key 'Mode' is not snake_case"])
        self.assertEqual(schema.check_document({"schema": "zsim.status/2"}),
                         ["zsim.status/2: the shape on file is zsim.status/1"])

    def test_zz_every_shape_was_seen(self):
        # after test_every_document (unittest runs tests in name order)
        self.assertEqual(set(schema.names()) - self.seen - ELSEWHERE, set())


if __name__ == "__main__":
    main()
