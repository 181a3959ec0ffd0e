"""Files: a digest of a tree, and directories the unprivileged side (QEMU
under the private libvirtd runs as that daemon's own user) can enter."""
import hashlib
import os
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
