#!/usr/bin/env python3
"""A small validator for the kickstart commands and sections zsim uses
(CentOS 7 / anaconda 21 syntax), not a general kickstart parser.

    python3 ks_validate.py FILE...    exit 0 when valid, 1 with one line per problem
    python3 ks_validate.py --extract SECTION FILE   print a %pre or %post body
"""
import re
import shlex
import sys

# command -> options it may take (None: any positional value, no options)
COMMANDS = {
    "text": set(), "skipx": set(), "reboot": set(), "zerombr": set(),
    "eula": {"--agreed"},
    "firstboot": {"--disable", "--enable"},
    "lang": None, "keyboard": None,
    "timezone": {"--utc"},
    "network": {"--bootproto", "--activate", "--onboot", "--device", "--hostname"},
    "rootpw": {"--lock", "--iscrypted", "--plaintext"},
    "selinux": {"--enforcing", "--permissive", "--disabled"},
    "firewall": {"--disabled", "--enabled"},
    "services": {"--disabled", "--enabled"},
    "bootloader": {"--location", "--append", "--timeout"},
    "url": {"--url", "--proxy"},
    "repo": {"--name", "--baseurl", "--mirrorlist", "--proxy"},
    "ignoredisk": {"--only-use", "--drives"},
    "clearpart": {"--all", "--initlabel", "--drives"},
    "autopart": {"--type"},
    "%include": None,
}
SECTIONS = {"%pre": {"--log", "--interpreter", "--erroronfail"},
            "%post": {"--log", "--interpreter", "--nochroot", "--erroronfail"},
            "%packages": {"--ignoremissing", "--nobase"}}
NEEDS_VALUE = {"--bootproto", "--onboot", "--device", "--hostname", "--disabled",
               "--enabled", "--location", "--append", "--timeout", "--url",
               "--proxy", "--name", "--baseurl", "--mirrorlist", "--only-use",
               "--drives", "--type", "--log", "--interpreter"}
# Commands whose option names collide with value-less uses.
VALUELESS_IN = {("selinux", "--disabled"), ("firewall", "--disabled"),
                ("firewall", "--enabled")}


def check_options(cmd, words, allowed, where, problems):
    for w in words:
        if not w.startswith("--"):
            if allowed is not None and cmd not in ("lang", "keyboard", "timezone"):
                problems.append(f"{where}: {cmd}: unexpected argument '{w}'")
            continue
        name, eq, value = w.partition("=")
        if allowed is None or name not in allowed:
            problems.append(f"{where}: {cmd}: unknown option {name}")
        elif name in NEEDS_VALUE and (cmd, name) not in VALUELESS_IN and not value:
            problems.append(f"{where}: {cmd}: {name} needs =VALUE")


def validate(path):
    problems = []
    section = None
    seen = set()
    packages = []
    with open(path) as f:
        lines = f.read().splitlines()
    for n, line in enumerate(lines, 1):
        where = f"{path}:{n}"
        stripped = line.strip()
        if section in ("%pre", "%post"):
            if stripped == "%end":
                section = None
            continue
        if not stripped or stripped.startswith("#"):
            continue
        if section == "%packages":
            if stripped == "%end":
                section = None
            elif stripped.startswith("%"):
                problems.append(f"{where}: {stripped}: inside %packages (missing %end?)")
            else:
                packages.append(stripped)
            continue
        try:
            words = shlex.split(stripped)
        except ValueError as e:
            problems.append(f"{where}: {e}")
            continue
        head = words[0]
        if head in SECTIONS:
            section = head
            seen.add(head)
            check_options(head, words[1:], SECTIONS[head], where, problems)
            continue
        if head == "%end":
            problems.append(f"{where}: %end without a section")
            continue
        if head not in COMMANDS:
            problems.append(f"{where}: unknown or unsupported command '{head}'")
            continue
        if head in seen and head not in ("repo", "%include"):
            problems.append(f"{where}: {head} given twice")
        seen.add(head)
        check_options(head, words[1:], COMMANDS[head], where, problems)
    if section:
        problems.append(f"{path}: {section} has no %end")
    return problems, seen, packages


def extract(section, path):
    """The body of the first `section` (%pre or %post)."""
    body, inside = [], False
    with open(path) as f:
        for line in f.read().splitlines():
            if not inside and line.split()[:1] == [section]:
                inside = True
                continue
            if inside and line.strip() == "%end":
                return "\n".join(body) + "\n"
            if inside:
                body.append(line)
    raise SystemExit(f"{path}: no {section} section")


def main(argv):
    if len(argv) == 4 and argv[1] == "--extract":
        sys.stdout.write(extract(argv[2], argv[3]))
        return 0
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    problems = []
    for path in argv[1:]:
        problems += validate(path)[0]
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
