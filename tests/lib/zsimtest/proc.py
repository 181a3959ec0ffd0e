"""Running programs: zsim-orch (`run`) and anything else (`command`), both
in the C locale, returning a Result with the exit status and what they
printed."""
import os
import subprocess

from . import schema
from .env import ZSIM_ORCH


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr


def _run(argv, base_env, env, cwd, stdin, timeout, stdout, preexec_fn):
    full_env = dict(base_env, LC_ALL="C")
    if env:
        full_env.update(env)
    return Result(subprocess.run(list(argv), env=full_env, cwd=cwd, input=stdin, text=True,
                                 stdout=stdout, stderr=subprocess.PIPE, timeout=timeout,
                                 preexec_fn=preexec_fn))


def command(*argv, env=None, cwd=None, stdin=None, timeout=300, stdout=subprocess.PIPE,
            preexec_fn=None):
    """Run the program `argv[0]` with our environment plus `env`."""
    return _run(argv, os.environ, env, cwd, stdin, timeout, stdout, preexec_fn)


def run(*args, env=None, cwd=None, stdin=None, timeout=60, stdout=subprocess.PIPE,
        preexec_fn=None):
    """Run the built zsim-orch with `args`. ZSIM_ROOT is dropped from our
    environment: a test that means it passes it in `env`. A --json
    document it prints, and every line of a JSON Lines stream (queue log
    --json, stderr under --progress-json), must have its shape
    (zsimtest.schema), or this raises AssertionError."""
    base = {k: v for k, v in os.environ.items() if k != "ZSIM_ROOT"}
    res = _run([ZSIM_ORCH, *args], base, env, cwd, stdin, timeout, stdout, preexec_fn)
    # every --json document a test sees is checked against its shape
    problems = schema.check_output(args, res.rc, res.out or "", res.err or "")
    if problems:
        raise AssertionError(f"zsim-orch {' '.join(args)}: its JSON does not have the shape "
                             f"in tests/integration/schemas:\n" + "\n".join(problems))
    return res
