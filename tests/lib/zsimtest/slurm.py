"""A Slurm cluster on one machine, for the slurm tier and bench/sweep:
one slurmctld and several `slurmd -N NAME` on loopback, each with its own
port, everything (config, state, spool, logs, job completion log) under a
temporary directory, every daemon stopped by the pid it was started with.

No munge: auth/none and cred/none, SlurmUser=root. Each node runs zsim-orch
with its own global options, usually its own root (a fixture tree): the
job's `zsim-orch` is a small script first in the job's PATH that puts the
options of node $SLURMD_NODENAME (`--root ROOT`, or `--config`/`--connect`)
before the command, and the health check and epilog programs do the same,
so what a node advertises (Features, Gres) and what zsim-orch reads on it
are that root's.

Self-contained (standard library only) so that it can move into tests/lib.

    with Cluster(workdir, nodes, orch=ZSIM_ORCH) as c:
        c.start()
        c.sbatch(...)            # or run zsim-orch with env=c.env()
        c.wait_jobs_done(jobid)
        c.jobcomp()              # one record per attempt
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import time

SLURM_PROGRAMS = ("slurmctld", "slurmd", "sbatch", "scontrol", "squeue", "sinfo")


def missing_programs():
    return [p for p in SLURM_PROGRAMS if not shutil.which(p)]


def free_ports(n):
    """n TCP ports free on loopback now (the kernel's choice)."""
    socks, ports = [], []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


class Node:
    """One slurmd: its name, the NodeName line's attributes after the name
    (CPUs=... RealMemory=... Features=... Gres=...), the root zsim-orch
    sees on it (None: no root prefix) and other global options for
    zsim-orch there (["--config", FILE, "--connect", URI])."""

    def __init__(self, name, conf, root=None, args=()):
        self.name = name
        self.conf = conf
        self.root = root
        self.args = (["--root", os.path.abspath(root)] if root else []) + list(args)
        self.proc = None
        self.port = None


class Cluster:
    def __init__(self, workdir, nodes, orch=None, partition="zsim",
                 slurmd_timeout=5, requeue_delay=30, healthcheck_interval=0, epilog=False,
                 extra_conf=()):
        self.dir = os.path.abspath(workdir)
        self.nodes = {n.name: n for n in nodes}
        self.orch = orch
        self.partition = partition
        self.slurmd_timeout = slurmd_timeout
        self.requeue_delay = requeue_delay
        self.healthcheck_interval = healthcheck_interval
        self.epilog = epilog
        self.extra_conf = list(extra_conf)
        self.ctld = None
        self.conf = os.path.join(self.dir, "slurm.conf")
        self.bin = os.path.join(self.dir, "bin")
        self.jobcomp_path = os.path.join(self.dir, "jobcomp.log")
        self.logs = os.path.join(self.dir, "log")

    # ---- setup ----

    def _write_shims(self):
        """`zsim-orch` for jobs, and the health check and epilog programs:
        each runs the real one with the node's options first."""
        os.makedirs(self.bin, exist_ok=True)
        opts = os.path.join(self.dir, "nodes")
        os.makedirs(opts, exist_ok=True)
        for n in self.nodes.values():
            with open(os.path.join(opts, f"{n.name}.args"), "w") as f:
                f.write("".join(f"{a}\n" for a in n.args))
        if not self.orch:
            return
        # the node's options (one per line) go before the command's
        common = (f'#!/bin/sh\n'
                  f'SLURM_CONF={self.conf}; export SLURM_CONF\n'
                  f'PATH={self.bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n'
                  f'export PATH\n'
                  f'opts={opts}/"$SLURMD_NODENAME".args\n'
                  f'if [ -f "$opts" ]; then\n'
                  f'\tn=$#\n'
                  f'\twhile IFS= read -r a; do set -- "$@" "$a"; done <"$opts"\n'
                  f'\twhile [ "$n" -gt 0 ]; do set -- "$@" "$1"; shift; n=$((n - 1)); done\n'
                  f'fi\n')
        scripts = {
            "zsim-orch": f'{common}exec {self.orch} "$@"\n',
            "zsim-slurm-healthcheck": f'{common}exec {self.orch} "$@" slurm healthcheck\n',
            "zsim-slurm-epilog": f'{common}exec {self.orch} "$@" slurm epilog\n',
        }
        for name, text in scripts.items():
            path = os.path.join(self.bin, name)
            with open(path, "w") as f:
                f.write(text)
            os.chmod(path, 0o755)

    def _write_conf(self):
        ports = free_ports(1 + len(self.nodes))
        self.ctld_port = ports[0]
        lines = [
            "ClusterName=zsimtest",
            f"SlurmctldHost={socket.gethostname().split('.')[0]}(127.0.0.1)",
            f"SlurmctldPort={self.ctld_port}",
            "AuthType=auth/none",
            "CredType=cred/none",
            "SlurmUser=root",
            "SlurmdUser=root",
            f"StateSaveLocation={self.dir}/state",
            f"SlurmdSpoolDir={self.dir}/spool/%n",
            f"SlurmctldPidFile={self.dir}/slurmctld.pid",
            f"SlurmdPidFile={self.dir}/slurmd-%n.pid",
            f"SlurmctldLogFile={self.logs}/slurmctld.log",
            f"SlurmdLogFile={self.logs}/slurmd-%n.log",
            "SlurmctldDebug=info",
            "SlurmdDebug=info",
            "ProctrackType=proctrack/pgid",
            "TaskPlugin=task/none",
            "SelectType=select/linear",
            "SchedulerType=sched/builtin",
            "MpiDefault=none",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "JobCompType=jobcomp/filetxt",
            f"JobCompLoc={self.jobcomp_path}",
            "GresTypes=swapgb",
            "JobRequeue=1",
            "RequeueExit=75",
            # a dead slurmd's node is DOWN (and its job requeued) about
            # 2 x SlurmdTimeout later
            f"SlurmdTimeout={self.slurmd_timeout}",
            # a requeued job is eligible again after the credential
            # lifetime (120 s by default)
            f"AuthInfo=cred_expire={self.requeue_delay}",
            # the main scheduling loop (60 s by default) starts jobs that
            # became eligible by time, such as requeued ones
            # and batch jobs are started as soon as one ends (3 s later by
            # default)
            "SchedulerParameters=sched_interval=2,batch_sched_delay=0",
            "ReturnToService=2",
            # the nodes' NodeName lines describe the fixture hosts, not
            # this machine: believe them
            "SlurmdParameters=config_overrides",
            "MaxArraySize=10001",
            "MinJobAge=600",
            "KillWait=10",
        ]
        if self.healthcheck_interval and self.orch:
            lines += [f"HealthCheckProgram={self.bin}/zsim-slurm-healthcheck",
                      f"HealthCheckInterval={self.healthcheck_interval}",
                      "HealthCheckNodeState=ANY"]
        if self.epilog and self.orch:
            lines.append(f"Epilog={self.bin}/zsim-slurm-epilog")
        lines += self.extra_conf
        for n, port in zip(self.nodes.values(), ports[1:]):
            n.port = port
            lines.append(f"NodeName={n.name} NodeAddr=127.0.0.1 Port={port} {n.conf}")
        lines.append(f"PartitionName={self.partition} Nodes={','.join(self.nodes)} "
                     "Default=YES MaxTime=INFINITE State=UP OverSubscribe=EXCLUSIVE")
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")

    def env(self, extra=None):
        """The environment for Slurm's commands and for submitting: the
        config, and the shims first in PATH (jobs inherit it)."""
        e = dict(os.environ)
        e.pop("ZSIM_ROOT", None)
        e["SLURM_CONF"] = self.conf
        e["PATH"] = f"{self.bin}:{e.get('PATH', '/usr/bin:/bin')}"
        e["LC_ALL"] = "C"
        if extra:
            e.update(extra)
        return e

    def start(self, timeout=60):
        for d in ("state", "spool", "log"):
            os.makedirs(os.path.join(self.dir, d), exist_ok=True)
        self._write_shims()
        self._write_conf()
        env = self.env()
        with self._log("slurmctld.out") as err:
            self.ctld = subprocess.Popen(["slurmctld", "-D", "-i"], env=env,
                                         stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + timeout
        while self.cmd("scontrol", "ping", check=False).returncode != 0:
            self._check_alive(self.ctld, "slurmctld")
            if time.monotonic() > deadline:
                raise RuntimeError("slurmctld did not answer:\n" + self.log_tail("slurmctld.log"))
            time.sleep(0.2)
        for n in self.nodes.values():
            self.start_slurmd(n.name)
        self.wait_nodes(lambda s: "IDLE" in s, timeout=deadline - time.monotonic())

    def _log(self, name):
        return open(os.path.join(self.logs, name), "ab")

    def _check_alive(self, proc, what):
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n" +
                               self.log_tail(f"{what}.log") + self.log_tail(f"{what}.out"))

    def start_slurmd(self, name):
        n = self.nodes[name]
        os.makedirs(os.path.join(self.dir, "spool", name), exist_ok=True)
        with self._log(f"slurmd-{name}.out") as err:
            n.proc = subprocess.Popen(["slurmd", "-D", "-N", name], env=self.env(),
                                      stdout=subprocess.DEVNULL, stderr=err,
                                      start_new_session=True)

    def kill_slurmd(self, name, sig=signal.SIGKILL):
        """Kill one node's slurmd (only the daemon: what it started goes on,
        as when a node's slurmd dies)."""
        n = self.nodes[name]
        if n.proc and n.proc.poll() is None:
            n.proc.send_signal(sig)
            n.proc.wait(timeout=30)

    def stop(self):
        procs = [n.proc for n in self.nodes.values() if n.proc] + ([self.ctld] if self.ctld else [])
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for p in procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        # jobs a killed slurmd left behind run in their own process groups,
        # started by it; stop those whose groups we can prove are ours: the
        # job's process runs the shim under this directory
        for pid in self._own_job_pids():
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def _own_job_pids(self):
        pids = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/environ", "rb") as f:
                    env = f.read().split(b"\0")
            except OSError:
                continue
            try:
                leader = os.getpgid(int(d)) == int(d)
            except ProcessLookupError:
                continue
            if leader and f"SLURM_CONF={self.conf}".encode() in env:
                pids.append(int(d))
        return pids

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    # ---- looking at it ----

    def cmd(self, *argv, check=True, timeout=60, env=None):
        return subprocess.run(list(argv), env=env or self.env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=timeout, check=check)

    def log_tail(self, name, lines=40):
        try:
            with open(os.path.join(self.logs, name), errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def node_states(self):
        """{name: state}, e.g. IDLE, ALLOCATED, DOWN*, IDLE+DRAIN."""
        out = self.cmd("sinfo", "-h", "-N", "-o", "%N %T").stdout
        states = {}
        for line in out.splitlines():
            name, state = line.split()
            states[name] = state.upper()
        return states

    def node(self, name):
        """`scontrol show node NAME` as a dict."""
        out = self.cmd("scontrol", "-o", "show", "node", name).stdout
        return dict(re.findall(r"(\w+)=((?:[^ =]| (?!\w+=))*)", out.strip()))

    def wait_nodes(self, pred, names=None, timeout=60):
        deadline = time.monotonic() + max(timeout, 1)
        while True:
            states = self.node_states()
            want = names or list(self.nodes)
            if all(pred(states.get(n, "")) for n in want):
                return states
            if time.monotonic() > deadline:
                raise RuntimeError(f"nodes not ready: {states}\n" + self.log_tail("slurmctld.log"))
            time.sleep(0.3)

    def squeue(self, jobid=None):
        """Pending and running array tasks: [(jobid_task, state, node)]."""
        argv = ["squeue", "-h", "-r", "-o", "%i %T %N"]
        if jobid:
            argv += ["-j", str(jobid)]
        rows = []
        for line in self.cmd(*argv).stdout.splitlines():
            parts = line.split()
            rows.append((parts[0], parts[1], parts[2] if len(parts) > 2 else ""))
        return rows

    def jobcomp(self):
        """One dict per finished attempt (jobcomp/filetxt), in order."""
        recs = []
        try:
            with open(self.jobcomp_path) as f:
                for line in f:
                    recs.append(dict(re.findall(r"(\w+)=(\S*)", line)))
        except FileNotFoundError:
            pass
        return recs

    def wait_jobs_done(self, jobid, timeout):
        """Until no task of `jobid` is pending or running in squeue."""
        deadline = time.monotonic() + timeout
        while True:
            active = [r for r in self.squeue(jobid)
                      if r[1] not in ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT")]
            if not active:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"job {jobid} still has {active}")
            time.sleep(0.5)
