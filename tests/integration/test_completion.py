"""The bash completion (build/orchestrator/zsim-orch.bash, generated from
the command descriptors): sourced after bash-completion in a real bash,
with COMP_WORDS and COMP_CWORD set as readline sets them, _zsim_orch
fills COMPREPLY with every command, nested verb and option, option
values, and the experiments, job IDs and result sets of the spool and
results directory a --config names."""
import os
import shlex
import signal
import subprocess
import tempfile
import time

from zsimtest import BUILD_DIR, ZSIM_ORCH, Missing, TestCase, command, main, need, run

SCRIPT = os.path.join(BUILD_DIR, "orchestrator", "zsim-orch.bash")
DOCGEN = os.path.join(BUILD_DIR, "orchestrator", "zsim-docgen")
BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"
END = "--end--"

# What bash-completion defines and 2.1 (CentOS 7) lacks: the script must
# not use it.
NEWER_API = ("_comp_", "_comp_initialize", "_comp_compgen")


def complete(*cases, cwd=None):
    """COMPREPLY (sorted) for each case: the words of a command line, the
    last one the word being completed."""
    script = [f"source {shlex.quote(BASH_COMPLETION)}", f"source {shlex.quote(SCRIPT)}",
              "__t() {",
              ' COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))',
              ' COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()',
              ' _zsim_orch zsim-orch "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"',
              ' printf "%s\\n" "${COMPREPLY[@]}"',
              f" echo {END}",
              "}"]
    for words in cases:
        script.append("__t " + " ".join(shlex.quote(w) for w in ("zsim-orch",) + tuple(words)))
    env = dict(os.environ, PATH=os.path.dirname(ZSIM_ORCH) + ":" + os.environ["PATH"])
    res = subprocess.run(["bash", "--norc", "--noprofile"], input="\n".join(script) + "\n",
                         capture_output=True, text=True, env=env, cwd=cwd, timeout=120)
    assert res.returncode == 0, res.stderr
    outs = res.stdout.split(END + "\n")[:-1]
    assert len(outs) == len(cases), (res.stdout, res.stderr)
    return [sorted(filter(None, out.split("\n"))) for out in outs]


def names():
    return [line.split(" ", 1) for line in command(DOCGEN, "names").out.splitlines()]


class Completion(TestCase):
    @classmethod
    def setUpClass(cls):
        need("bash")
        if not os.path.exists(BASH_COMPLETION):
            raise Missing(f"{BASH_COMPLETION} not found; install bash-completion")

    def test_script_uses_only_bash_completion_2_1(self):
        with open(SCRIPT) as f:
            code = [line for line in f if not line.lstrip().startswith("#")]
        for line in code:
            for name in NEWER_API:
                self.assertNotIn(name, line)
        self.assertIn("\t_init_completion -s || return\n", code)

    def test_commands_and_global_options(self):
        cmds = sorted(n for kind, n in names() if kind == "command")
        globals_ = sorted(n for kind, n in names() if kind == "global")
        self.assertEqual(complete([""]), [cmds])
        self.assertEqual(complete(["st"], ["--conf"], ["--json", "q"], ["-n", "th"]),
                         [["status"], ["--config"], ["queue"], ["thin"]])
        got = complete(["--"])[0]
        self.assertEqual(got, globals_)

    def test_every_nested_verb_and_option(self):
        subs, opts = {}, {}
        for kind, what in names():
            if kind == "sub":
                cmd, sub = what.split()
                subs.setdefault(cmd, []).append(sub)
            elif kind == "option":
                *key, opt = what.split()
                opts.setdefault(tuple(key), []).append(opt)
        cases = [[cmd, ""] for cmd in subs]
        got = complete(*cases)
        for (cmd, _), reply in zip(cases, got):
            self.assertEqual(reply, sorted(subs[cmd]), cmd)
        cases = [list(key) + ["--"] for key in opts]
        got = complete(*cases)
        for key, reply in zip(opts, got):
            self.assertEqual(reply, sorted(opts[key] + ["--help"]), key)

    def test_option_values(self):
        with tempfile.TemporaryDirectory() as d:
            os.mkdir(os.path.join(d, "sub"))
            for name in ("a.job", "b.txt", "c.qcow2", "d.params"):
                open(os.path.join(d, name), "w").close()
            got = complete(["results", "plot", "--format", ""],
                           ["target", "prepare", "--profile", "d"],
                           ["target", "prepare", "--from", ""],
                           ["queue", "add", ""],
                           ["run", "--from", ""],
                           ["results", "csv", "--out", "b"],
                           ["results", "plot", "x", "--out", ""],
                           ["--config", "s"],
                           ["--format=p"],
                           ["results", "plot", "--format=s"],
                           ["help", "th"],
                           ["knobs", "set", "zswap_m"],
                           ["target", "log", "-n", ""],
                           ["status", "--json", ""],
                           cwd=d)
        self.assertEqual(got, [["pdf", "png", "svg"], ["debian12"], ["c.qcow2", "sub"],
                               ["a.job", "sub"], ["d.params", "sub"], ["b.txt"], ["sub"],
                               ["sub"], [], ["svg"], ["thin"], ["zswap_max_pool_percent="], [],
                               []])


class Dynamic(TestCase):
    """Experiments, job IDs and result sets, from a spool and a results
    directory that a real daemon filled (two noop runs)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="zsim-complete.")
        os.chmod(cls.tmp, 0o755)
        cls.conf = os.path.join(cls.tmp, "zsim.conf")
        with open(cls.conf, "w") as f:
            f.write(f"[paths]\nspool = {cls.tmp}/spool\nresults = {cls.tmp}/results\n"
                    f"state = {cls.tmp}/state\n"
                    # nothing may ask libvirt: this one would hang or fail
                    "[target]\nuri = qemu+unix:///system?socket=/nonexistent\n")
        daemon = subprocess.Popen([ZSIM_ORCH, "--config", cls.conf, "serve"],
                                  stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while not os.path.isdir(os.path.join(cls.tmp, "spool", ".zsim", "done")):
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.05)
            for _ in range(2):
                assert run("--config", cls.conf, "queue", "submit", "noop", "--seconds",
                           "0").rc == 0
            while len(os.listdir(os.path.join(cls.tmp, "spool", ".zsim", "done"))) < 2:
                assert time.monotonic() < deadline, "the runs did not finish"
                time.sleep(0.05)
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=60)
        cls.ids = sorted(os.listdir(os.path.join(cls.tmp, "spool", ".zsim", "done")))
        cls.sets = sorted(p[:-len(".params")] for _, _, files in os.walk(cls.tmp + "/results")
                          for p in files if p.endswith(".params"))

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["rm", "-rf", cls.tmp])

    def test_experiments_ids_and_sets(self):
        exps = sorted(line.split()[0] for line in run("run", "--list").out.splitlines())
        c = ["--config", self.conf]
        got = complete(["run", ""], ["queue", "submit", "no"],
                       c + ["queue", "show", ""], c + ["queue", "log", "-f", self.ids[0][:5]],
                       c + ["queue", "retry", "1"],
                       c + ["results", "show", ""], c + ["results", "compare", "x", ""],
                       ["--config=" + self.conf, "results", "ls", "--exp", ""],
                       c + ["results", "plot", "x", "y", ""])
        self.assertEqual(len(self.ids), 2)
        self.assertEqual(len(self.sets), 2)
        self.assertEqual(got, [exps, ["noop"], self.ids, self.ids, self.ids,
                               self.sets, self.sets, exps, self.sets])


if __name__ == "__main__":
    main()
