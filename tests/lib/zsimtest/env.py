"""Where things are. ctest sets the ZSIM_* variables (tests/CMakeLists.txt);
bench/ and ci/ run outside it and get the same answers from the default
layout: the source tree this package lives in and its build/ directory."""
import os

from .files import stage

SOURCE_DIR = os.environ.get("ZSIM_SOURCE_DIR") or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BUILD_DIR = os.environ.get("ZSIM_BUILD_DIR") or os.path.join(SOURCE_DIR, "build")

# The built programs. zsim-orch is staged where unprivileged users can run
# it (some tests drop to nobody), with zsim-touch beside it as it expects.
ZSIM_ORCH = stage(os.environ.get("ZSIM_ORCH")
                  or os.path.join(BUILD_DIR, "orchestrator", "zsim-orch"),
                  companions=("zsim-touch",))
ZSIM_TOUCH = os.environ.get("ZSIM_TOUCH") or os.path.join(BUILD_DIR, "orchestrator",
                                                          "zsim-touch")

# Fixture trees: some tests give them to zsim-orch run as nobody (--root).
FIXTURES = stage(os.path.join(SOURCE_DIR, "tests", "fixtures"))
GOLDEN = os.path.join(SOURCE_DIR, "tests", "integration", "golden")

# What one test builds for others (ctest fixtures); the CMake lists pass the
# same paths.
VM_INITRAMFS = os.environ.get("ZSIM_VM_INITRAMFS") or os.path.join(
    BUILD_DIR, "tests", "vm", "initramfs.cpio")
E2E_TARGET = os.environ.get("ZSIM_E2E_TARGET") or os.path.join(BUILD_DIR, "tests", "e2e",
                                                               "target")
E2E_CLOUD = os.environ.get("ZSIM_E2E_CLOUD") or os.path.join(BUILD_DIR, "tests", "e2e",
                                                             "cloud")
E2E_PREPARED = os.environ.get("ZSIM_E2E_PREPARED") or os.path.join(BUILD_DIR, "tests", "e2e",
                                                                   "prepared")
DEMO_DIR = os.environ.get("ZSIM_DEMO_DIR") or os.path.join(BUILD_DIR, "demo")


def golden(name):
    with open(os.path.join(GOLDEN, name)) as f:
        return f.read()

# the static programs run in the target (orchestrator/CMakeLists.txt's
# ZSIM_WORKLOADS), in the order target prepare copies them
WORKLOADS = ["zsim-touch", "time_loop", "locality_mem_access", "hog", "memcached_gen_data",
             "redis_gen_data", "memcached_and_capture_thp"]
