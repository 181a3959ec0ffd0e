"""Unpack Debian's linux-source tarball once into the build directory
(about 15 s and 1.4 GB), so the kernel tests merge configs against a real
tree. Reused while the tarball is unchanged; skipped (a failure under
CI=true) when the package is missing. The kernel tests import
linux_source() to find the tree."""
import glob
import os
import shutil
import subprocess
import time

from zsimtest import BUILD_DIR, Missing, script

# Where this tier caches what is slow to make.
CACHE = os.path.join(BUILD_DIR, "tests", "image")


def linux_source():
    """The tree unpacked from Debian's linux-source package by this fixture."""
    trees = glob.glob(os.path.join(CACHE, "linux-source", "linux-source-*"))
    if len(trees) != 1:
        raise Missing(f"no unpacked linux-source under {CACHE}; the "
                      "image.linux-source fixture makes it")
    return trees[0]


def main():
    tarballs = sorted(glob.glob("/usr/src/linux-source-*.tar.xz"))
    if not tarballs:
        raise Missing("linux-source: no /usr/src/linux-source-*.tar.xz; install the "
                      "image tier's packages (linux-source): ci/deps test")
    tarball = tarballs[-1]
    st = os.stat(tarball)
    stamp_text = f"{tarball} {st.st_size} {int(st.st_mtime)}\n"
    dest = os.path.join(CACHE, "linux-source")
    stamp = os.path.join(dest, ".unpacked")
    if os.path.exists(stamp):
        with open(stamp) as f:
            if f.read() == stamp_text:
                print(f"linux-source: reusing {dest} ({tarball})")
                return 0
    start = time.monotonic()
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    subprocess.run(["tar", "-xJf", tarball, "-C", dest], check=True)
    with open(stamp, "w") as f:
        f.write(stamp_text)
    print(f"linux-source: unpacked {tarball} into {dest} in "
          f"{time.monotonic() - start:.1f} s")
    return 0


if __name__ == "__main__":
    script(main)
