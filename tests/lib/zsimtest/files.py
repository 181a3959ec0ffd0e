"""Files: a digest of a tree, and what the unprivileged side may read.

QEMU under the private libvirtd runs as that daemon's own user, and some
integration tests drop to `nobody`; neither can enter a clone in /root (mode
0700). `stage()` gives them a path they can read: the file itself when they
can reach it, else a hard link (or a copy) in a world-readable directory this
process creates under the system's temporary directory and removes at exit.
"""
import atexit
import hashlib
import os
import shutil
import stat
import sys
import tempfile

from .case import HarnessError

NOBODY = 65534


def tree_digest(path):
    """A digest of every file's path, mode and content under `path` (or of
    the file itself), to prove a command changed nothing."""
    h = hashlib.sha256()
    if os.path.isfile(path):
        with open(path, "rb") as f:
            h.update(f.read())
        return h.hexdigest()
    for dirpath, dirnames, filenames in sorted(os.walk(path)):
        dirnames.sort()
        for name in sorted(filenames):
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            h.update(f"{os.path.relpath(p, path)}:{st.st_mode}\n".encode())
            if os.path.isfile(p):
                with open(p, "rb") as f:
                    h.update(f.read())
    return h.hexdigest()


def unprivileged_access(path, mode=os.R_OK):
    """Whether an unprivileged user (nobody) can open `path` for `mode`,
    asked as that user: every directory on the way, symlinks, ACLs."""
    if os.geteuid() != 0:
        return os.access(path, mode)
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            os._exit(0 if os.access(path, mode) else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def shared_tmpdir(prefix, mode=0o755):
    """A new directory the unprivileged side can enter (`mode`), in the
    first of $TMPDIR, /var/tmp and /tmp that it can reach."""
    for base in (tempfile.gettempdir(), "/var/tmp", "/tmp"):
        if os.path.isdir(base) and unprivileged_access(base, os.X_OK):
            path = tempfile.mkdtemp(prefix=prefix, dir=base)
            os.chmod(path, mode)
            return path
    raise HarnessError("no temporary directory that unprivileged users can enter "
                       f"({tempfile.gettempdir()}, /var/tmp, /tmp); QEMU under the "
                       "private libvirtd and the tests run as nobody need one")


_staged = {}      # source directory -> staging subdirectory
_stage_root = []


def _stage_dir(srcdir):
    if not _stage_root:
        _stage_root.append(shared_tmpdir("zsim-stage."))
        atexit.register(shutil.rmtree, _stage_root[0], True)
    if srcdir not in _staged:
        _staged[srcdir] = os.path.join(_stage_root[0], str(len(_staged)))
        os.mkdir(_staged[srcdir], 0o755)
    return _staged[srcdir]


def _place(src, dest):
    st = os.stat(src)
    executable = st.st_mode & stat.S_IXUSR
    others = stat.S_IROTH | (stat.S_IXOTH if executable else 0)
    try:
        if st.st_mode & others != others:
            raise OSError("not readable by others in place")
        os.link(src, dest)
    except OSError:
        shutil.copyfile(src, dest)
        os.chmod(dest, 0o755 if executable else 0o644)


def _copy_tree(src, dest):
    """A copy of the tree `src` with the modes git would check it out with
    under umask 022: directories and executables 0755, other files 0644."""
    shutil.copytree(src, dest, symlinks=True)
    for dirpath, dirnames, filenames in os.walk(dest):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            p = os.path.join(dirpath, name)
            if not os.path.islink(p):
                os.chmod(p, 0o755 if os.stat(p).st_mode & stat.S_IXUSR else 0o644)


def stage(path, companions=()):
    """A path to `path` (a file or a tree) that an unprivileged user can
    read (and execute, if it is executable): `path` itself when it can,
    else a link or copy in this process's staging directory. `companions`
    are names of files beside it that must stay beside it (zsim-orch looks
    for zsim-touch next to itself). A missing path is returned unchanged,
    for the test that expects that."""
    if not os.path.exists(path):
        return path
    is_dir = os.path.isdir(path)
    mode = os.R_OK | (os.X_OK if is_dir or os.stat(path).st_mode & stat.S_IXUSR else 0)
    if unprivileged_access(path, mode):
        return path
    srcdir = os.path.dirname(os.path.abspath(path))
    dest_dir = _stage_dir(srcdir)
    staged = os.path.join(dest_dir, os.path.basename(path))
    if is_dir:
        if not os.path.exists(staged):
            _copy_tree(path, staged)
    else:
        for name in (os.path.basename(path), *companions):
            src, dest = os.path.join(srcdir, name), os.path.join(dest_dir, name)
            if os.path.exists(src) and not os.path.exists(dest):
                _place(src, dest)
    print(f"zsimtest: {path} is out of unprivileged users' reach; staged at {staged}",
          file=sys.stderr)
    return staged


# Rust's Debug of std::time::Duration, as the old runner's .time and zsim's
# have them: "93.514234151s", "850.3ms", "1.5µs", "999ns"
DURATION_UNITS = {"s": 1, "ms": 1e-3, "\u00b5s": 1e-6, "ns": 1e-9}


def read_time(path):
    """A .time file as [(label, seconds)], every line checked to be
    "LABEL: DURATION" with DURATION in Rust's Debug format."""
    import re
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f.read().splitlines():
            m = re.fullmatch(r"(.+): (0|[1-9][0-9]*)(?:\.([0-9]*[1-9]))?(s|ms|\u00b5s|ns)", line)
            if not m:
                raise HarnessError(f"{path}: not a runner-format .time line: {line!r}")
            out.append((m.group(1), float(f"{m.group(2)}.{m.group(3) or 0}")
                        * DURATION_UNITS[m.group(4)]))
    return out
