#!/usr/bin/env python3
"""A fake CentOS 7 node for unit-style tests of cloudlab/install-node: the
commands it runs (rpm, yum, grubby, dracut, systemctl, shutdown, exportfs,
mount) are this script under those names, first in PATH. Each call appends
its argv to FAKE_LOG (one JSON list a line) and reads or changes a small
state under FAKE_STATE (installed packages, grub entries and default,
enabled units); yum installing kernel-0sim puts a vmlinuz under FAKE_ROOT,
as the RPM would. These are fakes, not CentOS: they prove which commands
install-node runs and when, not that yum or grubby would accept them."""
import json
import os
import sys

MUTATING = {"yum", "dracut", "shutdown", "exportfs", "mount"}
ZSIM_RELEASE = "4.4.0-0sim-g0123456789ab"


def state(*parts):
    return os.path.join(os.environ["FAKE_STATE"], *parts)


def touch(path, text=""):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def rpm(args):
    inst = state("installed")
    if args[:1] == ["-q"]:
        return 0 if all(os.path.exists(os.path.join(inst, p)) for p in args[1:]) else 1
    if args[:1] == ["-qa"]:
        for name in sorted(os.listdir(inst)) if os.path.isdir(inst) else []:
            with open(os.path.join(inst, name)) as f:
                print(name, f.read().strip() or "1.el7")
        return 0
    return 2


def yum(args):
    words = [a for a in args if not a.startswith("-")]
    verb, pkgs = words[0], words[1:]
    for pkg in pkgs:
        name = os.path.basename(pkg)
        if name.endswith(".x86_64.rpm"):
            name = name[:-len(".x86_64.rpm")]
        path = state("installed", name)
        if verb == "install":
            touch(path, "1.el7")
            if name == "kernel-0sim":
                touch(os.path.join(os.environ["FAKE_ROOT"], "boot",
                                   "vmlinuz-" + ZSIM_RELEASE), "kernel")
        elif verb == "remove" and os.path.exists(path):
            os.unlink(path)
    return 0


def grubby(args):
    entries = state("grub")
    for a in args:
        key, _, value = a.partition("=")
        if key == "--info":
            return 0 if os.path.exists(os.path.join(entries, value.replace("/", "_"))) else 1
        if key == "--default-kernel":
            if os.path.exists(state("grub-default")):
                with open(state("grub-default")) as f:
                    print(f.read().strip())
            return 0
        if key == "--set-default":
            touch(state("grub-default"), value)
            return 0
        if key == "--add-kernel":
            touch(os.path.join(entries, value.replace("/", "_")), " ".join(args))
            return 0
    return 2


def dracut(args):
    touch(os.environ["FAKE_ROOT"] + args[1], "initramfs")
    return 0


def systemctl(args):
    verb, units = args[0], args[1:]
    if verb == "is-enabled":
        on = os.path.exists(state("enabled", units[0]))
        print("enabled" if on else "disabled")
        return 0 if on else 1
    for unit in units:
        if verb == "enable":
            touch(state("enabled", unit))
        elif verb == "disable" and os.path.exists(state("enabled", unit)):
            os.unlink(state("enabled", unit))
    return 0


def main():
    name = os.path.basename(sys.argv[0])
    args = sys.argv[1:]
    with open(os.environ["FAKE_LOG"], "a") as f:
        f.write(json.dumps([name] + args) + "\n")
    handler = {"rpm": rpm, "yum": yum, "grubby": grubby, "dracut": dracut,
               "systemctl": systemctl}.get(name)
    return handler(args) if handler else 0


if __name__ == "__main__":
    sys.exit(main())
