"""QEMU for the tiers that boot it directly (the vm tier's guest, the image
tier's PXE and ISO chains, the e2e tier's cloud image check): one command
line for a headless TCG machine whose serial console is QEMU's stdout.

/dev/kvm may exist and still not run a stock kernel here (HARNESS-NOTES):
always TCG.
"""
import collections
import subprocess
import time

from .case import HarnessError, need


def command(*args, memory_mb=512):
    """qemu-system-x86_64 under TCG, one vCPU, no default devices, no
    display, the serial console on stdout, exiting instead of rebooting;
    then `args`."""
    return [need("qemu-system-x86_64", "qemu-system-x86"), "-accel", "tcg",
            "-m", str(memory_mb), "-smp", "1", "-nodefaults", "-display", "none",
            "-serial", "stdio", "-no-reboot", *args]


def tail(text, lines=60):
    return "\n".join(text.splitlines()[-lines:])


def start(*args, memory_mb=512, console):
    """Start QEMU with `args`, its console going to the open file `console`."""
    return subprocess.Popen(command(*args, memory_mb=memory_mb), stdin=subprocess.DEVNULL,
                            stdout=console, stderr=subprocess.STDOUT)


def stop(proc, wait=10):
    """Terminate `proc` if it still runs, then kill it."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(wait)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


Run = collections.namedtuple("Run", "console seconds rc")


def boot(*args, memory_mb=512, timeout=90):
    """Boot once with `args` until QEMU exits (the guest powers off).
    Returns a Run: the console text, the seconds it took and QEMU's exit
    status; raises HarnessError with the end of
    the console when the guest has not finished within `timeout` s."""
    start_t = time.monotonic()
    proc = subprocess.Popen(command(*args, memory_mb=memory_mb), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        raw, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raw, _ = proc.communicate()
        raise HarnessError(f"the guest did not finish within {timeout} s; console:\n"
                           + tail(raw.decode("utf-8", "replace")))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return Run(raw.decode("utf-8", "replace").replace("\r", ""), time.monotonic() - start_t,
               proc.returncode)
