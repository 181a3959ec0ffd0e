"""zsim: 0sim simulation hosts on CloudLab. Each node gets CentOS 7 with the
0sim kernel, zsim-orch and its units, and sets up its swap, thin pool and EPT
on its first boot into the 0sim kernel. Optionally one extra node runs the
Slurm controller and exports a shared results directory over NFS.

Instructions:
Each node installs itself (`/local/repository/cloudlab/install-node`, run by
the profile at every boot; its log is `/var/log/zsim-install-node.log`) and
reboots once into the 0sim kernel; this takes about ten minutes. Then
`zsim-orch status` shows the 0sim kernel, the swap and EPT, and
`zsim-orch run exp00000 4096` runs an experiment (results under
`/var/lib/zsim/results/`). See the README's CloudLab section.
"""
# This is a geni-lib script (CloudLab's profile language): the portal runs
# it to turn the parameters into a request; each node then runs
# cloudlab/install-node from its clone of this repository.
import re

import geni.portal as portal
import geni.rspec.igext  # noqa: F401 (Blockstore)
import geni.rspec.pg as pg

try:
    from shlex import quote
except ImportError:  # the portal's Python 2
    from pipes import quote

CENTOS7 = "urn:publicid:IDN+emulab.net+image+emulab-ops//CENTOS7-64-STD"
INSTALL = "/local/repository/cloudlab/install-node"
LOG = "/var/log/zsim-install-node.log"
MAX_NODES = 64
# The experiment LAN: the controller first, then the nodes.
NET = "10.10.1"
NETMASK = "255.255.255.0"
CONTROLLER_ADDR = NET + ".1"

pc = portal.Context()
pc.defineParameter(
    "nodeCount", "Number of zsim nodes", portal.ParameterType.INTEGER, 1,
    longDescription="Nodes that run 0sim targets (1 to %d). With a Slurm "
    "controller they form one cluster." % MAX_NODES)
pc.defineParameter(
    "hardwareType", "Hardware type", portal.ParameterType.NODETYPE, "c220g2",
    longDescription="c220g2 suits 0sim: 160 GB of RAM, a spare SSD and a "
    "spare HDD for swap.")
pc.defineParameter(
    "diskImage", "Disk image", portal.ParameterType.IMAGE, CENTOS7,
    longDescription="CloudLab's CentOS 7 standard image, or a disk image "
    "taken of a finished zsim node (see the README): install-node then "
    "only writes the node's settings.")
pc.defineParameter(
    "swapDevices", "Swap devices", portal.ParameterType.STRING, "",
    longDescription="Disks used as swap, by stable name: "
    "/dev/disk/by-id/... paths or disk serials, separated by commas. "
    "Kernel names such as /dev/sdb change between boots and are refused.")
pc.defineParameter(
    "mapperDevice", "Thin-pool device", portal.ParameterType.STRING, "",
    longDescription="A disk (by-id path or serial) for a thin-provisioned "
    "10 TB swap volume (the old runner's --mapper_device).")
pc.defineParameter(
    "homeDevice", "Home device", portal.ParameterType.STRING, "",
    longDescription="A disk (by-id path or serial) to hold /home: the root "
    "volume is only 16 GB.")
pc.defineParameter(
    "ept", "EPT", portal.ParameterType.STRING, "off",
    [("off", "off (large targets)"), ("on", "on"), ("keep", "leave as is")],
    longDescription="kvm_intel's EPT: 0sim's large targets need it off.")
pc.defineParameter(
    "slurm", "Slurm controller and shared results", portal.ParameterType.BOOLEAN,
    False,
    longDescription="One extra node, 'ctl', runs slurmctld and exports the "
    "shared results directory over NFS; the zsim nodes mount it.")
pc.defineParameter(
    "force", "Overwrite disk signatures", portal.ParameterType.BOOLEAN, False,
    longDescription="Let setup write over swap/thin devices that hold a "
    "filesystem or other signature (say, from an earlier experiment).",
    advanced=True)
pc.defineParameter(
    "zsimRepo", "zsim yum repository", portal.ParameterType.STRING, "",
    longDescription="URL of a yum repository holding kernel-0sim and "
    "zsim-orch (image/build makes one). Empty: the RPMs of this "
    "repository's GitHub release.", advanced=True)
pc.defineParameter(
    "resultsDir", "Shared results directory", portal.ParameterType.STRING,
    "/shared/zsim-results", advanced=True)
pc.defineParameter(
    "resultsSize", "Shared results size (GB)", portal.ParameterType.INTEGER,
    200, longDescription="The controller's local blockstore that holds the "
    "shared results directory.", advanced=True)
params = pc.bindParameters()

SAFE = re.compile(r"^[A-Za-z0-9._:+@-]+$")
KERNEL_NAME = re.compile(r"^/dev/(sd|hd|vd|xvd|nvme|mmcblk|dm-|md)")


def device(name, value):
    """The install-node spelling of one device, or None after reporting
    why it is refused."""
    if value.startswith("/dev/disk/by-id/"):
        rest = value[len("/dev/disk/by-id/"):]
        if SAFE.match(rest):
            return value
    elif KERNEL_NAME.match(value):
        pc.reportError(portal.ParameterError(
            "%s: '%s' is a kernel name, which a CloudLab node does not keep "
            "from boot to boot; give its /dev/disk/by-id/ path or its serial"
            % (name, value), [name]))
        return None
    elif value.startswith("SERIAL=") and SAFE.match(value[len("SERIAL="):]):
        return value
    elif SAFE.match(value):
        return value
    pc.reportError(portal.ParameterError(
        "%s: '%s' is not a /dev/disk/by-id/ path or a disk serial (letters, "
        "digits and . _ : + @ -)" % (name, value), [name]))
    return None


def devices(name, value):
    return [device(name, v) for v in re.split(r"[,\s]+", value.strip()) if v]


if not 1 <= params.nodeCount <= MAX_NODES:
    pc.reportError(portal.ParameterError(
        "Number of zsim nodes: %d; give 1 to %d" % (params.nodeCount, MAX_NODES),
        ["nodeCount"]))
if not re.match(r"^[A-Za-z0-9_-]+$", params.hardwareType):
    pc.reportError(portal.ParameterError(
        "Hardware type '%s': a CloudLab node type such as c220g2"
        % params.hardwareType, ["hardwareType"]))
if not re.match(r"^urn:publicid:IDN\+[^+\s]+\+image\+\S+$", params.diskImage):
    pc.reportError(portal.ParameterError(
        "Disk image '%s': give an image URN (urn:publicid:IDN+...+image+...)"
        % params.diskImage, ["diskImage"]))
if params.zsimRepo and not re.match(r"^(https?://|file:///)[A-Za-z0-9._:/~%?=+@-]+$",
                                    params.zsimRepo):
    pc.reportError(portal.ParameterError(
        "zsim yum repository '%s': give an http(s):// URL" % params.zsimRepo,
        ["zsimRepo"]))
if not re.match(r"^/[A-Za-z0-9._/-]+$", params.resultsDir) or "/.." in params.resultsDir:
    pc.reportError(portal.ParameterError(
        "Shared results directory '%s': an absolute path (letters, digits, "
        ". _ / -)" % params.resultsDir, ["resultsDir"]))
if params.slurm and not 1 <= params.resultsSize <= 10000:
    pc.reportError(portal.ParameterError(
        "Shared results size: %d GB; give 1 to 10000" % params.resultsSize,
        ["resultsSize"]))

swap = devices("swapDevices", params.swapDevices)
mapper = devices("mapperDevice", params.mapperDevice)
home = devices("homeDevice", params.homeDevice)
for name, got in (("mapperDevice", mapper), ("homeDevice", home)):
    if len(got) > 1:
        pc.reportError(portal.ParameterError(
            "%s: give one disk, not %d" % (name, len(got)), [name]))
named = {}
for name, got in (("swapDevices", swap), ("mapperDevice", mapper),
                  ("homeDevice", home)):
    for dev in got:
        if dev is None:
            continue
        if dev in named:
            pc.reportError(portal.ParameterError(
                "'%s' is given twice (%s and %s); each disk has one use"
                % (dev, named[dev], name), sorted({named[dev], name})))
        named[dev] = name

pc.verifyParameters()


def install_command(role, **extra):
    """The execute service's command line: install-node with this node's
    settings, every value quoted for the shell."""
    args = [INSTALL, "--role", role, "--log", LOG]
    if params.zsimRepo:
        args += ["--repo", params.zsimRepo]
    for key in ("controller", "results_dir", "nfs_clients"):
        if extra.get(key):
            args += ["--" + key.replace("_", "-"), extra[key]]
    if role != "controller":
        if swap:
            args += ["--swap", ",".join(swap)]
        if mapper:
            args += ["--mapper", mapper[0]]
        if home:
            args += ["--home", home[0]]
        if params.ept in ("on", "off"):
            args += ["--ept", params.ept]
        if params.force:
            args += ["--force"]
    return "sudo " + " ".join(quote(a) for a in args)


request = pc.makeRequestRSpec()
lan = None
if params.nodeCount + (1 if params.slurm else 0) > 1:
    lan = request.LAN("lan")


def add_node(name, addr):
    node = request.RawPC(name)
    node.hardware_type = params.hardwareType
    node.disk_image = params.diskImage
    if lan is not None:
        iface = node.addInterface("if1")
        iface.addAddress(pg.IPv4Address(addr, NETMASK))
        lan.addInterface(iface)
    return node


cluster = {}
if params.slurm:
    ctl = add_node("ctl", CONTROLLER_ADDR)
    store = ctl.Blockstore("results", params.resultsDir)
    store.size = "%dGB" % params.resultsSize
    ctl.addService(pg.Execute(shell="sh", command=install_command(
        "controller", results_dir=params.resultsDir,
        nfs_clients="%s.0/24" % NET)))
    cluster = dict(controller=CONTROLLER_ADDR, results_dir=params.resultsDir)

for i in range(params.nodeCount):
    node = add_node("node%d" % i, "%s.%d" % (NET, 10 + i))
    node.addService(pg.Execute(shell="sh", command=install_command(
        "compute" if params.slurm else "standalone", **cluster)))

pc.printRequestRSpec(request)
