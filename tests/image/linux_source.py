"""Unpack Debian's linux-source tarball once into the build directory
(about 15 s and 1.4 GB), so the kernel tests merge configs against a real
tree. Reused while the tarball is unchanged; fails, never skips, when the
package is missing."""
import glob
import os
import shutil
import subprocess
import sys
import time

from imagetest import CACHE


def main():
    tarballs = sorted(glob.glob("/usr/src/linux-source-*.tar.xz"))
    if not tarballs:
        print("linux-source: no /usr/src/linux-source-*.tar.xz; install the "
              "image tier's packages: ci/deps test")
        return 1
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
    sys.exit(main())
