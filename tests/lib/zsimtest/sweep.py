"""The slurm tier's nodes: three fixture hosts, each described to Slurm by
its own `zsim-orch slurm node-conf` line, so that what Slurm routes by
(Features, the swapgb GRES) is what zsim-orch reads on that node.

  zn1  tests/fixtures/0sim-node: 0sim kernel, EPT off, 39 address bits,
       10 TiB of swap enabled
  zn2  the same node with EPT on, 46 address bits and 2 TiB of swap (the
       kernel capped a 10T volume)
  zn3  tests/fixtures/debian-stock: no 0sim kernel (1 GiB of swap), set to
       run anyway (require_0sim = no) so that its health check passes and
       only the features keep zsim runs away from it

Also used by bench/sweep (emulated nodes: copies of zn1)."""
import os
import shutil
import subprocess
import sys

from .env import FIXTURES
from .slurm import Cluster, Node, missing_programs  # noqa: F401 (for the tier and bench/sweep)


def _replace(path, old, new):
    with open(path) as f:
        text = f.read()
    if old not in text:
        raise RuntimeError(f"{path}: no '{old}' to replace")
    with open(path, "w") as f:
        f.write(text.replace(old, new))


def make_root(dest, kind):
    """A fixture host under `dest`: 'ept_off' (zn1), 'ept_on' (zn2) or
    'stock' (zn3)."""
    src = "debian-stock" if kind == "stock" else "0sim-node"
    shutil.copytree(os.path.join(FIXTURES, src), dest, symlinks=True)
    os.makedirs(os.path.join(dest, "var", "lib", "zsim"), exist_ok=True)
    if kind == "ept_on":
        with open(os.path.join(dest, "sys/module/kvm_intel/parameters/ept"), "w") as f:
            f.write("Y\n")
        _replace(os.path.join(dest, "proc/cpuinfo"), "39 bits physical", "46 bits physical")
        _replace(os.path.join(dest, "proc/swaps"), "10737418236", "2147483644")
        _replace(os.path.join(dest, "etc/zsim/zsim.conf"), "ept = off", "ept = on")
    if kind == "stock":
        os.makedirs(os.path.join(dest, "etc", "zsim"), exist_ok=True)
        with open(os.path.join(dest, "etc/zsim/zsim.conf"), "w") as f:
            f.write("[host]\nrequire_0sim = no\n\n[target]\nuri = test:///default\n")
    return dest


def node_line(orch, root, name):
    """`zsim-orch slurm node-conf` for the node: everything after NodeName."""
    out = subprocess.run([orch, "--root", root, "slurm", "node-conf", "--name", name],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=True,
                         env={**os.environ, "LC_ALL": "C"}).stdout.strip()
    head, rest = out.split(" ", 1)
    assert head == f"NodeName={name}", out
    return rest


def three_nodes(workdir, orch):
    roots = os.path.join(workdir, "fixtures")
    kinds = (("zn1", "ept_off"), ("zn2", "ept_on"), ("zn3", "stock"))
    nodes = []
    for name, kind in kinds:
        root = make_root(os.path.join(roots, name), kind)
        nodes.append(Node(name, node_line(orch, root, name), root))
    return nodes


def emulated_nodes(workdir, orch, n):
    """n copies of zn1 (bench/sweep's fleet)."""
    roots = os.path.join(workdir, "fixtures")
    nodes = []
    for i in range(1, n + 1):
        name = f"zn{i}"
        root = make_root(os.path.join(roots, name), "ept_off")
        nodes.append(Node(name, node_line(orch, root, name), root))
    return nodes


def write_job(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


__all__ = ["Cluster", "Node", "missing_programs", "make_root", "node_line", "three_nodes",
           "emulated_nodes", "write_job"]
