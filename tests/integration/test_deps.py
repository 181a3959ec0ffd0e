"""Every program a test tier runs is installed by a deps list: `ci/deps`
(its build and test lists) and tests/*/deps.txt. A minimal Debian (what
debootstrap gives) has only the packages of priority "required"; anything
else a tier runs must be listed, or a newcomer's first `ci/test` fails where
CI passes (as `file` did in the image tier).

The programs are found in the Python the tiers run (tests/**/*.py, ci/demo.py,
ci/abi-gate) by reading it: the first word of a literal argument vector
given to subprocess or to a runner (`run([...])`, `Popen([...])`), the
program named to the harness's `command` (under any name it is imported
as), `need` and `shutil.which`, and loop variables over a module's list of
names passed to those; and in the shell scripts the image tier runs, the
programs they look for with `command -v`. PROGRAMS below maps each to the Debian package that
provides it; where dpkg is there (CI installs everything first), the map
is checked against `dpkg -S` and the "required" set against dpkg's
priorities."""
import ast
import glob
import os
import re
import shutil
import subprocess

from zsimtest import SOURCE_DIR, TestCase, main

# program -> the Debian package that provides it
PROGRAMS = {
    "bash": "bash",
    "blkid": "util-linux",
    "busybox": "busybox-static",
    "chroot": "coreutils",
    "cmake": "cmake",
    "cp": "coreutils",
    "cpio": "cpio",
    "debootstrap": "debootstrap",
    "createrepo_c": "createrepo-c",
    "ctest": "cmake",
    "gnuplot": "gnuplot-nox",
    "grub-editenv": "grub-common",
    "kexec": "kexec-tools",
    "memcached": "memcached",
    "mount": "mount",
    "redis-cli": "redis-tools",
    "sleep": "coreutils",
    "tail": "coreutils",
    "slurmctld": "slurmctld",
    "slurmd": "slurmd",
    "unshare": "util-linux",
    "debugfs": "e2fsprogs",
    "depmod": "kmod",
    "dmsetup": "dmsetup",
    "dpkg": "dpkg",
    "dpkg-query": "dpkg",
    "dpkg-deb": "dpkg",
    "file": "file",
    "find": "findutils",
    "git": "git",
    "grub-mkimage": "grub-common",
    "gzip": "gzip",
    "kmod": "kmod",
    "ldd": "libc-bin",
    "libvirtd": "libvirt-daemon",
    "losetup": "mount",
    "make": "make",
    "man": "man-db",
    "mandoc": "mandoc",
    "lsblk": "util-linux",
    "mkfs.ext4": "e2fsprogs",
    "mkfs.xfs": "xfsprogs",
    "getfattr": "attr",
    "setfattr": "attr",
    "sfdisk": "fdisk",
    "mkswap": "util-linux",
    "modprobe": "kmod",
    "objdump": "binutils",
    "qemu-ga": "qemu-guest-agent",
    "qemu-img": "qemu-utils",
    "qemu-io": "qemu-utils",
    "qemu-system-x86_64": "qemu-system-x86",
    "rm": "coreutils",
    "rpm": "rpm",
    "rpm2cpio": "rpm2cpio",
    "rpmbuild": "rpm",
    "rpmlint": "rpmlint",
    "scdoc": "scdoc",
    "sh": "dash",
    "shellcheck": "shellcheck",
    "swapoff": "mount",
    "swapon": "mount",
    "systemd-analyze": "systemd",
    "tar": "tar",
    "umount": "mount",
    "useradd": "passwd",
    "virsh": "libvirt-clients",
    "wipefs": "util-linux",
    "xorriso": "xorriso",
}

# Priority "required": on every Debian system, debootstrap's minbase included.
REQUIRED = {"bash", "coreutils", "dash", "dpkg", "findutils", "gzip", "libc-bin", "mount",
            "passwd", "tar", "util-linux"}

# Names that are not host programs: the guest's (run inside QEMU through
# the agent) and ours (built here).
NOT_HOST = {"/bin/cat", "/usr/bin/cloud-init", "/usr/bin/systemctl",
            "/usr/bin/systemd-analyze"}

RUNNERS = {"run", "Popen", "check_output", "check_call", "call"}
NAMERS = {"command", "need", "which"}
# The shell scripts the image tier runs (test_boot, test_kernel, test_rpm, test_units).
SCRIPTS = ["image/build", "image/make-tarball", "kernel/build-rpm", "kernel/mkspec-0sim",
           "initramfs/build-overlay", "units/zsim-boot"]


def tier_of(path):
    rel = os.path.relpath(path, SOURCE_DIR)
    parts = rel.split(os.sep)
    if parts[0] == "tests" and parts[1] == "lib":
        return "the harness (tests/lib)"
    if parts[0] == "tests":
        return f"the {parts[1]} tier ({rel})"
    if rel in SCRIPTS:
        return f"the image tier ({rel})"
    return {"ci/demo.py": "the e2e tier (ci/demo.py, e2e.demo)",
            "ci/abi-gate": "the integration tier (ci/abi-gate, integration.abi_gate)"}[rel]


def sources():
    files = glob.glob(os.path.join(SOURCE_DIR, "tests", "**", "*.py"), recursive=True)
    files += [os.path.join(SOURCE_DIR, p) for p in ["ci/demo.py", "ci/abi-gate", *SCRIPTS]]
    return sorted(files)


def call_name(func):
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def programs_in(path):
    """The literal program names `path` runs, with their line numbers."""
    with open(path) as f:
        text = f.read()
    if not path.endswith(".py") and not text.startswith("#!/usr/bin/env python3"):
        for n, line in enumerate(text.splitlines(), 1):
            for prog in re.findall(r"command -v ([\w.+-]+)", line):
                yield prog, n
        return
    tree = ast.parse(text, path)
    namers = set(NAMERS) - {"command"}
    for node in ast.walk(tree):
        # `from zsimtest import command as run`: run is the harness's command
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("zsimtest"):
            for alias in node.names:
                if alias.name in NAMERS:
                    namers.add(alias.asname or alias.name)
    namers |= {"command"} if "command" in namers else set()
    lists = {}    # module-level NAME = ["a", "b"] and loops over them
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, (ast.List, ast.Tuple)) \
                and all(isinstance(e, ast.Constant) and isinstance(e.value, str)
                        for e in node.value.elts):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    lists[t.id] = [e.value for e in node.value.elts]
    loops = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.For) and isinstance(node.iter, ast.Name) \
                and node.iter.id in lists and isinstance(node.target, ast.Name):
            loops[node.target.id] = lists[node.iter.id]
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name, first = call_name(node.func), node.args[0]
        if isinstance(first, (ast.List, ast.Tuple)) and name in RUNNERS | {"command"} \
                and first.elts and isinstance(first.elts[0], ast.Constant) \
                and isinstance(first.elts[0].value, str):
            yield first.elts[0].value, node.lineno
        elif name in namers and isinstance(first, ast.Constant) \
                and isinstance(first.value, str):
            yield first.value, node.lineno
        elif name in namers and isinstance(first, ast.Name) and first.id in loops:
            for prog in loops[first.id]:
                yield prog, node.lineno


def listed_packages():
    """What `ci/deps test` installs: its build and test lists and every
    tests/*/deps.txt."""
    with open(os.path.join(SOURCE_DIR, "ci", "deps")) as f:
        text = f.read()
    pkgs = set()
    for var in ("build", "test"):
        m = re.search(rf'^{var}="([^"]*)"', text, re.M)
        assert m, f"ci/deps has no {var}=\"...\" list"
        pkgs.update(m.group(1).split())
    for deps in glob.glob(os.path.join(SOURCE_DIR, "tests", "*", "deps.txt")):
        with open(deps) as f:
            pkgs.update(l.strip() for l in f if l.strip() and not l.startswith("#"))
    return pkgs


def dpkg_owners(progs):
    """{program: the package dpkg says installed it} for the installed ones:
    the owner of the name PATH finds (objdump is binutils' link to
    binutils-x86-64-linux-gnu's), else of the file it leads to."""
    def merged(p):     # merged /usr: dpkg may know /usr/bin/x as /bin/x
        for a, b in (("/usr/bin/", "/bin/"), ("/usr/sbin/", "/sbin/"), ("/bin/", "/usr/bin/"),
                     ("/sbin/", "/usr/sbin/")):
            if p.startswith(a):
                return [p, b + p[len(a):]]
        return [p]

    candidates = {}
    for prog in progs:
        path = shutil.which(prog) or shutil.which(prog, path="/usr/sbin:/usr/bin:/sbin:/bin")
        if path:
            candidates[prog] = merged(path) + merged(os.path.realpath(path))
    every = sorted({p for c in candidates.values() for p in c})
    res = subprocess.run(["dpkg", "-S", *every], capture_output=True, text=True)
    owner_of = {}
    for line in res.stdout.splitlines():
        if not line.startswith("diversion by "):    # /bin/sh: dash diverts it
            pkgs, _, path = line.partition(": ")
            owner_of[path] = pkgs.split(",")[0].strip()
    return {prog: next(owner_of[p] for p in c if p in owner_of)
            for prog, c in candidates.items() if any(p in owner_of for p in c)}


def problems(listed):
    """What a tier runs that no list in `listed` (nor the required set)
    provides, or that PROGRAMS does not know; and how many programs were seen."""
    found, out = 0, []
    for path in sources():
        for prog, line in programs_in(path):
            found += 1
            if prog in NOT_HOST or prog.startswith("/"):
                continue
            where = f"{tier_of(path)}, line {line}"
            pkg = PROGRAMS.get(prog)
            if pkg is None:
                out.append(f"{where} runs '{prog}', which PROGRAMS in "
                           "tests/integration/test_deps.py does not map to a package: "
                           "add it there and its package to the tier's deps.txt")
            elif pkg not in listed and pkg not in REQUIRED:
                out.append(f"{where} runs '{prog}' from package {pkg}, which no deps "
                           "list installs: add it to the tier's deps.txt")
    return found, out


class Deps(TestCase):
    def test_every_program_a_tier_runs_is_in_a_deps_list(self):
        found, out = problems(listed_packages())
        self.assertGreater(found, 50, "the scan found too few programs: is it still "
                                      "reading the tests?")
        self.assertEqual(out, [], "\n" + "\n".join(out))

    def test_the_map_holds_only_what_the_tiers_run(self):
        seen = {prog for path in sources() for prog, _ in programs_in(path)}
        self.assertEqual(sorted(set(PROGRAMS) - seen), [])

    def test_a_program_no_list_installs_is_named_with_its_tier(self):
        """The newcomer's failure: the image tier ran `file`, which nothing
        installed. Without it in a list, the check names the program and the tier."""
        _, out = problems(listed_packages() - {"file"})
        self.assertTrue(out)
        for line in out:
            self.assertRegex(line, r"^the image tier \(tests/image/test_\w+.py\), line \d+ "
                                   r"runs 'file' from package file, which no deps list installs")
        self.assertIn("tests/image/test_boot.py", "\n".join(out))

    def test_the_map_agrees_with_dpkg(self):
        """Where the programs are installed (CI installs every list first),
        dpkg says they come from the packages PROGRAMS names, and the
        packages taken as present everywhere have priority "required"."""
        if not shutil.which("dpkg-query"):
            self.skipTest("no dpkg here to check the map against")
        owners = dpkg_owners(PROGRAMS)
        wrong = [f"{prog}: PROGRAMS says {PROGRAMS[prog]}, dpkg -S says {owner}"
                 for prog, owner in sorted(owners.items()) if owner != PROGRAMS[prog]]
        self.assertEqual(wrong, [])
        self.assertGreater(len(owners), len(PROGRAMS) // 2, "dpkg found too few programs")
        for pkg in sorted(REQUIRED):
            res = subprocess.run(["dpkg-query", "-W", "-f", "${Priority}", pkg],
                                 capture_output=True, text=True)
            self.assertEqual(res.stdout, "required", f"{pkg} is not of priority required")


if __name__ == "__main__":
    main()
