"""Config files: show, check, default, and every bad input from the
foundation issue, each with its exit code, its message, and proof that
nothing changed."""
import json
import os
import pwd
import re
import shutil
import tempfile

from zsimtest import BUILD_DIR, FIXTURES, TestCase, golden, main, run, tree_digest

STOCK = os.path.join(FIXTURES, "debian-stock")
NODE = os.path.join(FIXTURES, "0sim-node")


class Bad(TestCase):
    """Bad input gets a clear error and changes nothing."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="zsim-config-")
        os.chmod(self.dir, 0o755)
        self.before = tree_digest(STOCK)

    def tearDown(self):
        self.assertEqual(tree_digest(STOCK), self.before)
        shutil.rmtree(self.dir)

    def conf(self, text, name="zsim.conf", mode="w"):
        path = os.path.join(self.dir, name)
        with open(path, mode) as f:
            f.write(text)
        return path

    def status(self, *args, **kw):
        return run("--root", STOCK, "--connect", "test:///default", *args, **kw)

    def assertRefusedFile(self, path, rc, err):
        digest = tree_digest(path) if os.path.exists(path) else None
        res = self.status("--config", path, "status")
        self.assertRun(res, rc, out="", err=err)
        if digest:
            self.assertEqual(tree_digest(path), digest)

    def test_missing_config_file(self):
        path = os.path.join(self.dir, "missing.conf")
        self.assertRefusedFile(
            path, 2,
            f"zsim-orch: error: config file {path} does not exist; give an existing "
            "file, or leave out --config to use /etc/zsim/zsim.conf\n")
        self.assertFalse(os.path.exists(path))

    def test_config_is_a_directory(self):
        self.assertRefusedFile(
            self.dir, 1,
            f"zsim-orch: error: cannot read config file {self.dir}: Is a directory\n")

    def test_unreadable_config(self):
        path = self.conf("[target]\nvcpus = 2\n")
        os.chmod(path, 0o000)
        nobody = pwd.getpwnam("nobody")

        def drop():
            if os.geteuid() == 0:
                os.setgid(nobody.pw_gid)
                os.setuid(nobody.pw_uid)
        res = run("--root", STOCK, "--connect", "test:///default",
                  "--config", path, "status", preexec_fn=drop)
        self.assertRun(res, 1, out="",
                       err=f"zsim-orch: error: cannot read config file {path}: "
                           "Permission denied\n")

    def test_bad_sizes(self):
        for value, why in (("10Q", "not a size"), ("-5G", "not a size"),
                           ("99999999999T", "too large"), ("0", "out of range")):
            path = self.conf(f"[thin]\n# the swap volume\nvirtual_size = {value}\n")
            self.assertRefusedFile(
                path, 1,
                f"{path}:3: error: [thin] virtual_size: \"{value}\": {why}; use a whole "
                "number of bytes with an optional K, M, G or T suffix (powers of "
                "1024), e.g. 128M or 10T, at least 1M\n"
                f"zsim-orch: error: {path} has errors; nothing was done\n")

    def test_every_error_at_once(self):
        path = self.conf("[target]\nmemory = 10Q\nvcpus = many\naccel = fast\n"
                         "[host]\nswap = /dev/sdb\n")
        res = self.status("--config", path, "status")
        self.assertRun(res, 1, out="")
        self.assertEqual([l.split(": error: ")[1].split(":")[0]
                          for l in res.err.splitlines()[:4]],
                         ["[target] memory", "[target] vcpus", "[target] accel",
                          "[host] swap"])
        self.assertIn("kernel device names change across reboots", res.err)

    def test_unknown_key_warns_and_goes_on(self):
        path = self.conf("[thin]\nvirtual_sise = 1T\n[tagret]\nname = x\n")
        res = self.status("--config", path, "status")
        self.assertRun(res, 0)
        self.assertEqual(res.err,
                         f"{path}:2: warning: [thin] virtual_sise: unknown key, ignored; "
                         "did you mean \"virtual_size\"?\n"
                         f"{path}:3: warning: unknown section [tagret], ignored; "
                         "did you mean [target]?\n")
        self.assertIn("kernel:", res.out)

    def test_empty_file_warns(self):
        path = self.conf("")
        res = self.status("--config", path, "status")
        self.assertRun(res, 0)
        self.assertEqual(res.err, f"{path}: warning: the file holds no settings; "
                                  "every key takes its default\n")

    def test_binary_file(self):
        path = self.conf(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)), mode="wb")
        self.assertRefusedFile(
            path, 1,
            f"{path}:1: error: not a text file: byte 0x02 at offset 4; give the "
            "path of an INI file\n"
            f"zsim-orch: error: {path} has errors; nothing was done\n")

    def test_huge_file(self):
        path = self.conf("# padding\n" * 200000)
        self.assertRefusedFile(
            path, 1,
            f"zsim-orch: error: config file {path} is larger than 1024 KiB; is it "
            "the right file?\n")

    def test_syntax_errors_name_lines(self):
        path = self.conf("[thin\nvirtual_size = 1T\njust some words\n")
        res = self.status("--config", path, "status")
        self.assertRun(res, 1, out="")
        self.assertIn(f"{path}:1: error: section header \"[thin\" has no closing ']'", res.err)
        self.assertIn(f"{path}:3: error: expected \"[section]\" or \"key = value\", "
                      "found \"just some words\"", res.err)

    def test_unterminated_quote_names_the_line(self):
        for value in ('"console=ttyS0', "'console=ttyS0", '"console=ttyS0; quiet'):
            path = self.conf(f"[target]\nvcpus = 2\ncmdline = {value}\n")
            self.assertRefusedFile(
                path, 1,
                f"{path}:3: error: the value opens a quote and does not close it; close "
                "it, or leave the quotes out\n"
                f"zsim-orch: error: {path} has errors; nothing was done\n")
            res = run("config", "check", path)
            self.assertRun(res, 1, out=f"{path}: 1 error, 0 warnings\n")

    def test_trailing_backslash_on_the_last_line(self):
        for text in ("[target]\nvcpus = 2 \\", "[target]\nvcpus = 2 \\\n"):
            path = self.conf(text)
            res = self.status("--config", path, "status")
            self.assertRun(res, 1, out="")
            self.assertRegex(res.err, rf"^{re.escape(path)}:2: error: .*'\\' on the last "
                                      r"line.*\nzsim-orch: error: .* has errors; nothing was "
                                      r"done\n$")

    def test_root_missing(self):
        missing = os.path.join(self.dir, "no-such-root")
        res = run("--root", missing, "status")
        self.assertRun(res, 2, out="")
        self.assertTrue(res.err.startswith(
            f"zsim-orch: error: --root {missing}: No such file or directory; give an "
            "existing directory (a fixture tree or a mounted system)\n"))
        self.assertFalse(os.path.exists(missing))
        res = run("status", env={"ZSIM_ROOT": missing})
        self.assertRun(res, 2, out="")

    def test_connect_not_a_uri(self):
        res = run("--root", STOCK, "--connect", "not a uri", "status")
        self.assertRun(res, 2, out="",
                       err="zsim-orch: error: --connect not a uri: not a libvirt URI; "
                           "use a form such as qemu:///system or test:///default\n")


class Show(TestCase):
    def test_show_marks_sources(self):
        res = run("--root", NODE, "config", "show")
        self.assertRun(res, 0, err="")
        self.assertEqual(res.out, golden("config-show-0sim-node.txt").replace(
            "@ROOT@", NODE))

    def test_show_json(self):
        res = run("--root", NODE, "--connect", "qemu:///system", "config", "show", "--json")
        self.assertRun(res, 0, err="")
        c = json.loads(res.out)
        self.assertTrue(c["file_present"])
        self.assertEqual(c["sections"]["thin"]["virtual_size"],
                         {"value": "10T", "source": "file", "line": 7})
        self.assertEqual(c["sections"]["thin"]["block_size"],
                         {"value": "128M", "source": "default", "line": None})
        self.assertEqual(c["sections"]["target"]["uri"],
                         {"value": "qemu:///system", "source": "command line", "line": None})
        self.assertEqual(list(c["sections"]),
                         ["host", "thin", "kvm", "zswap", "zerosim", "target", "paths",
                          "slurm", "kbuild"])

    def test_show_names_the_line_that_wins(self):
        with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
            f.write("[target]\nvcpus = 2\n# later\nvcpus = 4\n")
            f.flush()
            res = run("--config", f.name, "--json", "config", "show")
            self.assertRun(res, 0)
            self.assertEqual(json.loads(res.out)["sections"]["target"]["vcpus"],
                             {"value": "4", "source": "file", "line": 4})
            self.assertEqual(res.err, f"{f.name}:4: warning: [target] vcpus: set again "
                                      "(first on line 2); the last value wins\n")
            res = run("--config", f.name, "config", "show")
            self.assertRegex(res.out, r"(?m)^vcpus = 4 +# file:4$")

    def test_show_quotes_as_the_file_is_written(self):
        # a quote inside a value needs no quotes; one first does
        with tempfile.NamedTemporaryFile("w", suffix=".conf") as f, \
                tempfile.NamedTemporaryFile("w", suffix=".conf") as again:
            f.write("[target]\ncmdline = init=/bin/sh x=\"y\"\n"
                    "base_sha256 = \"'quoted'\"\n")
            f.flush()
            res = run("--config", f.name, "config", "show")
            self.assertRegex(res.out, r'(?m)^cmdline = init=/bin/sh x="y" +# file:2$')
            self.assertRegex(res.out, r"(?m)^base_sha256 = \"'quoted'\" +# file:3$")
            again.write(res.out)
            again.flush()
            target = json.loads(run("--config", again.name, "--json", "config",
                                    "show").out)["sections"]["target"]
            self.assertEqual(target["cmdline"]["value"], 'init=/bin/sh x="y"')
            self.assertEqual(target["base_sha256"]["value"], "'quoted'")

    def test_show_output_reads_back(self):
        # `config show` prints valid INI: fed back, every key is "from file"
        # and the values are the same.
        with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
            f.write(run("--root", NODE, "config", "show").out)
        try:
            res = run("--config", f.name, "--json", "config", "show")
            self.assertRun(res, 0, err="")
            again = json.loads(res.out)["sections"]
            first = json.loads(run("--root", NODE, "--json", "config", "show").out)["sections"]
            for sec in first:
                for key in first[sec]:
                    self.assertEqual(again[sec][key]["value"], first[sec][key]["value"])
                    self.assertEqual(again[sec][key]["source"], "file")
        finally:
            os.unlink(f.name)


class Check(TestCase):
    def test_check_good_file(self):
        path = os.path.join(NODE, "etc/zsim/zsim.conf")
        self.assertRun(run("config", "check", path), 0, out=f"{path}: OK\n", err="")
        self.assertRun(run("--root", NODE, "config", "check"), 0, out=f"{path}: OK\n")

    def test_check_reports_everything(self):
        with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
            f.write("[thin]\nvirtual_size = 10Q\nblock_size = 100K\n[nope]\nx = 1\n"
                    "[target]\nmemroy = 1G\nvcpus = 0\n")
        try:
            res = run("config", "check", f.name)
            self.assertRun(res, 1)
            self.assertEqual(res.out, f"{f.name}: 3 errors, 2 warnings\n")
            self.assertEqual([re.match(r"[^:]+:(\d+): (\w+)", l).groups()
                              for l in res.err.splitlines()],
                             [("2", "error"), ("3", "error"), ("4", "warning"),
                              ("7", "warning"), ("8", "error")])
            res = run("config", "check", "--json", f.name)
            self.assertRun(res, 1)
            c = json.loads(res.out)
            self.assertFalse(c["valid"])
            self.assertEqual([(e["line"], e["section"], e["key"]) for e in c["errors"]],
                             [(2, "thin", "virtual_size"), (3, "thin", "block_size"),
                              (8, "target", "vcpus")])
            self.assertEqual(len(c["warnings"]), 2)
        finally:
            os.unlink(f.name)

    def test_check_missing_file(self):
        res = run("config", "check", "/nonexistent/zsim.conf")
        self.assertRun(res, 2, out="",
                       err="zsim-orch: error: config file /nonexistent/zsim.conf does "
                           "not exist; give an existing file\n")
        res = run("--root", FIXTURES, "config", "check")
        self.assertRun(res, 0, out=f"{FIXTURES}/etc/zsim/zsim.conf: not present; every "
                                   "key takes its default\n")


class Default(TestCase):
    def test_built_default_file_is_the_table(self):
        res = run("config", "default")
        self.assertRun(res, 0, err="")
        with open(os.path.join(BUILD_DIR, "orchestrator", "zsim.conf")) as f:
            self.assertEqual(f.read(), res.out)
        for line in res.out.splitlines():
            self.assertLessEqual(len(line), 80, line)

    def test_default_file_is_valid_as_is_and_uncommented(self):
        text = run("config", "default").out
        with tempfile.TemporaryDirectory() as d:
            commented = os.path.join(d, "commented.conf")
            uncommented = os.path.join(d, "uncommented.conf")
            with open(commented, "w") as f:
                f.write(text)
            with open(uncommented, "w") as f:
                f.write(re.sub(r"^#(\w+ = )", r"\1", text, flags=re.M))
            self.assertRun(run("config", "check", commented), 0,
                           out=f"{commented}: OK\n", err="")
            self.assertRun(run("config", "check", uncommented), 0,
                           out=f"{uncommented}: OK\n", err="")
            shown = json.loads(run("--config", uncommented, "--json", "config", "show").out)
            defaults = json.loads(run("--config", commented, "--json", "config", "show").out)
            for sec, keys in shown["sections"].items():
                for key, v in keys.items():
                    self.assertEqual(v["source"], "file", f"[{sec}] {key}")
                    self.assertEqual(v["value"], defaults["sections"][sec][key]["value"])


if __name__ == "__main__":
    main()
