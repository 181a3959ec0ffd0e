"""The man pages in doc/: remade from their scdoc sources and the
program's own tables (zsim-docgen) they are what is committed, mandoc
finds nothing wrong with them, and they name every command, nested verb,
option, global option, exit status and config key the program has."""
import os
import re
import tempfile

from zsimtest import BUILD_DIR, SOURCE_DIR, TestCase, command, main, need, run

DOC = os.path.join(SOURCE_DIR, "doc")
PAGES = ["zsim-orch.8", "zsim.conf.5", "zsim-job.5"]
DOCGEN = os.path.join(BUILD_DIR, "orchestrator", "zsim-docgen")


def names():
    res = command(DOCGEN, "names")
    assert res.rc == 0, res.err
    return [line.split(" ", 1) for line in res.out.splitlines()]


def page_text(page):
    """The roff without font changes and escapes: what a reader sees."""
    with open(os.path.join(DOC, page)) as f:
        roff = f.read()
    return re.sub(r"\\f[BIR]|\\&", "", roff).replace("\\(aq", "'").replace("\\e", "\\")


def sections(text, macro):
    """{title: body} for each .SH (or .SS) of the roff."""
    parts = re.split(rf"^\.{macro} (.*)$", text, flags=re.M)
    return {parts[i].strip('"'): parts[i + 1] for i in range(1, len(parts), 2)}


class Doc(TestCase):
    def test_remaking_them_changes_nothing(self):
        need("scdoc")
        with tempfile.TemporaryDirectory() as d:
            res = command("cmake", f"-DDOCGEN={DOCGEN}", f"-DSRC={DOC}", f"-DOUT={d}",
                          "-DPAGES=" + ",".join(PAGES), "-P", os.path.join(DOC, "man.cmake"))
            self.assertRun(res, 0)
            for page in PAGES:
                with open(os.path.join(d, page)) as a, open(os.path.join(DOC, page)) as b:
                    self.assertEqual(a.read(), b.read(),
                                     f"doc/{page} is not what its source makes: run "
                                     "'cmake --build build --target man' and commit it")

    def test_mandoc_finds_nothing(self):
        need("mandoc")
        for page in PAGES:
            res = command("mandoc", "-T", "lint", "-W", "warning", os.path.join(DOC, page))
            self.assertRun(res, 0, out="", err="")

    def test_zsim_orch_8_names_every_command_option_and_exit_status(self):
        text = page_text("zsim-orch.8")
        top = sections(text, "SH")
        cmds = sections(top["COMMANDS"], "SS")
        for kind, what in names():
            if kind == "global":
                self.assertIn(what, top["OPTIONS"])
            elif kind == "command":
                self.assertIn(what, cmds)
            elif kind == "sub":
                cmd, sub = what.split()
                self.assertRegex(cmds[cmd], rf"(?<![\w-]){re.escape(sub)}(?![\w-])", what)
            elif kind == "option":
                *key, opt = what.split()
                self.assertIn(opt, cmds[key[0]], what)
            elif kind == "exit":
                self.assertIn(f"\n{what}\n.RS 4", top["EXIT STATUS"])

    def test_zsim_conf_5_names_every_key_with_its_default(self):
        keys = sections(sections(page_text("zsim.conf.5"), "SH")["KEYS"], "SS")
        defaults = run("config", "default").out
        for kind, what in names():
            if kind != "key":
                continue
            section, key = what.split()
            default = re.search(rf"^\[{section}\]$.*?^#{key} = ([^\n]*)$", defaults,
                                re.M | re.S).group(1)
            self.assertIn(f"\n{key} = {default or '(empty)'}\n", keys[f"[{section}]"], what)


if __name__ == "__main__":
    main()
