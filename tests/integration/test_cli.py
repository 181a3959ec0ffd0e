"""The command line: help, version, unknown commands and options, output
errors."""
import os
import re
import subprocess

from zsimtest import SOURCE_DIR, TestCase, main, run

USAGE = ("usage: zsim-orch [OPTIONS] COMMAND [ARGS]...\n"
         "Run 'zsim-orch --help' for the options and commands.\n")


def command_names():
    out = run("--help").out
    section = out.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in section.splitlines()]


class Help(TestCase):
    def test_main_help(self):
        res = run("--help")
        self.assertRun(res, 0, err="")
        self.assertTrue(res.out.startswith("usage: zsim-orch [OPTIONS] COMMAND"))
        for opt in ("--config FILE", "--connect URI", "--root DIR",
                    "--dry-run", "--json", "--verbose", "--quiet", "--help",
                    "--version"):
            self.assertIn(opt, res.out)
        self.assertEqual(run("help").out, res.out)
        self.assertEqual(run("-h").out, res.out)

    def test_every_command_has_help_both_ways(self):
        names = command_names()
        self.assertEqual(names, sorted(names))
        self.assertTrue({"config", "help", "status", "version"} <= set(names))
        for name in names:
            a = run("help", name)
            b = run(name, "--help")
            self.assertRun(a, 0, err="")
            self.assertRun(b, 0, out=a.out, err="")
            self.assertTrue(a.out.startswith(f"usage: zsim-orch {name}"), a.out)

    def test_readme_shows_the_help_and_points_to_the_man_pages(self):
        # every command's help is in zsim-orch(8), checked by test_doc
        with open(os.path.join(SOURCE_DIR, "README.md")) as f:
            readme = f.read()
        blocks = dict(re.findall(r"<!-- zsim-orch (--help|help \w+) -->\n```text\n(.*?)```",
                                 readme, re.S))
        self.assertEqual(set(blocks), {"--help"}, "README.md shows --help (ci/readme-help)")
        self.assertEqual(blocks["--help"], run("--help").out)
        for page in ("man zsim-orch", "man zsim.conf", "man zsim-job"):
            self.assertIn(page, readme)


class Mistakes(TestCase):
    def test_unknown_command_suggests_closest(self):
        self.assertRun(run("stauts"), 2, out="",
                       err="zsim-orch: error: unknown command 'stauts'; "
                           "did you mean 'status'?\n" + USAGE)

    def test_unknown_command_without_neighbour(self):
        self.assertRun(run("xyzzy"), 2, out="",
                       err="zsim-orch: error: unknown command 'xyzzy'\n" + USAGE)

    def test_unknown_option_suggests_closest(self):
        self.assertRun(run("--conect", "x", "status"), 2, out="",
                       err="zsim-orch: error: unknown option '--conect'; "
                           "did you mean '--connect'?\n" + USAGE)
        self.assertRun(run("--frobnicate", "status"), 2, out="",
                       err="zsim-orch: error: unknown option '--frobnicate'\n" + USAGE)
        self.assertRun(run("-Z", "status"), 2, out="",
                       err="zsim-orch: error: unknown option '-Z'\n" + USAGE)

    def test_option_without_value(self):
        self.assertRun(run("--root"), 2, out="",
                       err="zsim-orch: error: option '--root' needs a value\n" + USAGE)

    def test_no_command(self):
        self.assertRun(run(), 2, out="", err="zsim-orch: error: no command given\n" + USAGE)

    def test_command_option_errors(self):
        res = run("status", "--bogus")
        self.assertRun(res, 2, out="")
        self.assertEqual(res.err,
                         "zsim-orch: error: unknown option '--bogus'\n"
                         "usage: zsim-orch status [--json]\n"
                         "Run 'zsim-orch status --help' for details.\n")
        res = run("config", "shwo")
        self.assertRun(res, 2, out="")
        self.assertIn("unknown subcommand 'config shwo'; did you mean 'config show'?",
                      res.err)
        self.assertRun(run("help", "stauts"), 2, out="")
        self.assertRun(run("version", "extra"), 2, out="")

    def test_full_disk_on_stdout_is_a_failure(self):
        with open("/dev/full", "w") as full:
            res = run("--help", stdout=full)
            self.assertEqual(res.rc, 1)
            res = run("--root", os.path.join(SOURCE_DIR, "tests/fixtures/debian-stock"),
                      "--connect", "test:///default", "status", stdout=full)
        self.assertEqual(res.rc, 1)
        self.assertIn("cannot write output: No space left on device", res.err)


class Version(TestCase):
    def test_version_names_the_commit(self):
        res = run("--version")
        self.assertRun(res, 0, err="")
        self.assertEqual(run("version").out, res.out)
        git = subprocess.run(["git", "-C", SOURCE_DIR, "rev-parse", "--short=12", "HEAD"],
                             capture_output=True, text=True)
        if git.returncode != 0:
            self.assertRegex(res.out, r"^zsim-orch \d+\.\d+\.\d+ \(git unknown\)\n$")
            return
        self.assertRegex(res.out,
                         r"^zsim-orch \d+\.\d+\.\d+ \(git " + git.stdout.strip() +
                         r"(-dirty)?\)\n$")


if __name__ == "__main__":
    main()
