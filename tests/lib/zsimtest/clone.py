"""The suite as a newcomer runs it: cloned into a directory only root can
enter (/root is mode 0700 on Debian), so neither `nobody` nor QEMU under the
private libvirtd can reach the build tree. A test copies the tests and the
build outputs it needs into such a directory and runs one of the suite's
own test files from there (the harness must stage what they read)."""
import os
import shutil
import subprocess
import sys
import tempfile

from .env import BUILD_DIR, SOURCE_DIR

# What a test file finds by itself from ZSIM_BUILD_DIR: left unset, so it
# looks inside the clone.
DERIVED = ("ZSIM_VM_INITRAMFS", "ZSIM_E2E_TARGET", "ZSIM_E2E_CLOUD", "ZSIM_E2E_PREPARED",
           "ZSIM_DEMO_DIR")


def _link_or_copy(src, dest):
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    try:
        os.link(src, dest)
    except OSError:
        shutil.copy2(src, dest)


class PrivateClone:
    """tests/ and `build_files` (relative to the build directory) under
    `self.top`/zsim, with `self.top` of mode 0700. Remove with cleanup()."""

    def __init__(self, build_files):
        self.top = tempfile.mkdtemp(prefix="zsim-private.")
        os.chmod(self.top, 0o700)
        self.source = os.path.join(self.top, "zsim")
        self.build = os.path.join(self.source, "build")
        shutil.copytree(os.path.join(SOURCE_DIR, "tests"), os.path.join(self.source, "tests"),
                        ignore=shutil.ignore_patterns("__pycache__"))
        for rel in build_files:
            _link_or_copy(os.path.join(BUILD_DIR, rel), os.path.join(self.build, rel))

    def path(self, rel):
        return os.path.join(self.build, rel)

    def env(self):
        env = {k: v for k, v in os.environ.items() if k not in DERIVED}
        env.update(ZSIM_SOURCE_DIR=self.source, ZSIM_BUILD_DIR=self.build,
                   ZSIM_ORCH=self.path("orchestrator/zsim-orch"),
                   ZSIM_TOUCH=self.path("orchestrator/zsim-touch"),
                   PYTHONPATH=os.path.join(self.source, "tests", "lib"),
                   PYTHONDONTWRITEBYTECODE="1")
        return env

    def run_test(self, tier_file, *names, timeout=900):
        """Run tests/`tier_file` of the clone (only the tests `names`, if
        given) the way ctest would; returns the CompletedProcess."""
        return subprocess.run([sys.executable, os.path.join(self.source, "tests", tier_file),
                               *names], env=self.env(), capture_output=True, text=True,
                              timeout=timeout)

    def cleanup(self):
        shutil.rmtree(self.top, ignore_errors=True)
