"""zsimtest: the one harness of the Python-driven test tiers (integration,
vm, e2e, image), bench/ and ci/.

ctest puts tests/lib on PYTHONPATH for every Python test
(tests/CMakeLists.txt); bench/ and ci/demo.py add it with one line. Then:

    from zsimtest import run, command, TestCase, main     # any tier
    from zsimtest import vm as vmtest                     # the vm tier
    from zsimtest import e2e as e2etest                   # the e2e tier

Modules:
    env        where things are (ZSIM_ORCH, SOURCE_DIR, BUILD_DIR, fixtures)
    proc       run (zsim-orch), command (any program), Result
    schema     the shapes of the --json documents (tests/integration/schemas)
    case       TestCase (assertRun), main, the skip rule (exit 77; a failure
               under CI=true), need (a program or skip), HarnessError
    files      tree_digest; stage/shared_tmpdir: paths the unprivileged side
               (nobody, QEMU under the private libvirtd) can read
    qemu       one QEMU command line (TCG, serial console on stdout), boot
    initramfs  kernel, busybox, modules, binaries and libraries, cpio
    vm         the vm tier's guest: build, boot, VMTestCase
    libvirtd   the private libvirtd (its own user and socket)
    agent      guest_exec: a program in a guest through its agent
    target     the e2e tier's tiny target
    e2e        E2ETestCase
    exp        ExpCase (a case's own config, zo, plan), ResultFiles, STAMP: the
               experiment library's tests
"""
from .case import (SKIP, HarnessError, Missing, TestCase, in_ci, main, need, need_root,
                   script)
from .env import (BUILD_DIR, DEMO_DIR, E2E_CLOUD, E2E_TARGET, FIXTURES, GOLDEN,
                  SOURCE_DIR, VM_INITRAMFS, WORKLOADS, ZSIM_ORCH, ZSIM_TOUCH, golden)
from .files import read_time, shared_tmpdir, stage, tree_digest, unprivileged_access
from .proc import Result, command, run

__all__ = [
    "SKIP", "HarnessError", "Missing", "TestCase", "in_ci", "main", "need", "need_root",
    "script", "BUILD_DIR", "DEMO_DIR", "E2E_CLOUD", "E2E_TARGET", "FIXTURES", "GOLDEN",
    "SOURCE_DIR", "VM_INITRAMFS", "WORKLOADS", "ZSIM_ORCH", "ZSIM_TOUCH", "golden", "shared_tmpdir",
    "stage", "tree_digest", "unprivileged_access", "read_time", "Result", "command", "run",
]
