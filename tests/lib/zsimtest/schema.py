"""The shapes of zsim-orch's --json documents, and checking a document
against its shape.

Every document is a JSON object whose "schema" member names it:
"zsim.status/1" is tests/integration/schemas/status.json, "zsim.queue.ls/1"
queue.ls.json. A shape file is {"schema": "zsim.NAME/VERSION", "type": T}
where T is
    "string", "int", "number", "bool", "null", "any", or alternatives such
    as "string|null";
    [T]: a list of T;
    {"key": T, ...}: an object with exactly these keys, every one present
    (a value that is not there is null, never left out). Its "*": T allows
    any other key with values of type T (a map keyed by data: settings,
    knobs); "$null": true allows null instead of the object;
    {"$items": T, "$null": true}: a list of T, or null.
Across every document: keys of fixed objects are snake_case, and a key
ending in _bytes, _ms or _blocks holds a whole number (or null).

Streams are JSON Lines: one such document a line, each line typed by its
own "schema" (STREAMS lists which types a stream may carry): `queue log
--json` on stdout, and stderr under the global --progress-json.

run() (zsimtest.proc) checks every --json output it sees, every line of
every stream included, so each test that asks for one checks its shape
too; check_output() is that check."""
import json
import os
import re

from .env import SOURCE_DIR

SCHEMAS = os.path.join(SOURCE_DIR, "tests", "integration", "schemas")
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
WHOLE = re.compile(r"_(bytes|ms|blocks)$")
SCALARS = {"string": str, "bool": bool, "null": type(None)}
# global options that take a value: skipped to find the command
VALUED = {"-c", "--config", "--connect", "-r", "--root"}
# JSON Lines streams: the command (or global option) that prints one, and
# the types of line it may print
STREAMS = {
    "queue.log": ["queue.log.state", "queue.log.line", "queue.log.end"],
    "--progress-json": ["progress.phase", "progress.update", "progress.end", "log"],
}


def names():
    """Every shape on file: documents and stream line types."""
    return sorted(f[:-len(".json")] for f in os.listdir(SCHEMAS) if f.endswith(".json"))


def documents():
    """The shapes of whole --json documents (not stream lines)."""
    lines = {t for types in STREAMS.values() for t in types}
    return [n for n in names() if n not in lines]


def load(name):
    with open(os.path.join(SCHEMAS, name + ".json")) as f:
        return json.load(f)


def _scalar(v, t):
    if t == "any":
        return True
    if t == "int":
        return isinstance(v, int) and not isinstance(v, bool)
    if t == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    return isinstance(v, SCALARS[t])


def check(doc, t, path="$"):
    """Problems of `doc` against type `t`, as a list of strings."""
    if isinstance(t, str):
        alts = t.split("|")
        if any(_scalar(doc, a) for a in alts):
            return []
        return [f"{path}: {json.dumps(doc)[:60]} is not {t}"]
    if isinstance(t, list):
        if not isinstance(doc, list):
            return [f"{path}: {json.dumps(doc)[:60]} is not a list"]
        return [p for i, v in enumerate(doc) for p in check(v, t[0], f"{path}[{i}]")]
    if doc is None and t.get("$null"):
        return []
    if "$items" in t:
        return check(doc, [t["$items"]], path)
    if not isinstance(doc, dict):
        return [f"{path}: {json.dumps(doc)[:60]} is not an object"]
    out = []
    fixed = {k: v for k, v in t.items() if not k.startswith("$") and k != "*"}
    for key, sub in fixed.items():
        if key not in doc:
            out.append(f"{path}: no {key!r} (absent values are null)")
        else:
            out += check(doc[key], sub, f"{path}.{key}")
    for key, value in doc.items():
        if key in fixed:
            if not SNAKE.match(key):
                out.append(f"{path}: key {key!r} is not snake_case")
            if WHOLE.search(key) and isinstance(value, float):
                out.append(f"{path}.{key}: not a whole number")
        elif "*" in t:
            out += check(value, t["*"], f"{path}.{key}")
        else:
            out.append(f"{path}: unexpected key {key!r}")
    return out


def check_document(doc, expected=None):
    """Problems of a whole --json document; `expected` names the schema it
    should be ("status", "queue.ls") when the command is known."""
    if not isinstance(doc, dict) or not isinstance(doc.get("schema"), str):
        return ["not an object with a \"schema\" member"]
    m = re.match(r"^zsim\.([a-z.]+)/(\d+)$", doc["schema"])
    if not m:
        return [f"schema {doc['schema']!r} is not zsim.NAME/VERSION"]
    if expected and m[1] != expected:
        return [f"schema {doc['schema']!r}, expected zsim.{expected}/..."]
    if m[1] not in names():
        return [f"no shape for {doc['schema']} in {SCHEMAS}"]
    shape = load(m[1])
    if shape["schema"] != doc["schema"]:
        return [f"{doc['schema']}: the shape on file is {shape['schema']}"]
    return check(doc, dict(shape["type"], schema="string"))


def expected_schema(args):
    """The schema zsim-orch ARGS prints under --json ("queue.ls"), or None
    when it prints none."""
    words, i = [], 0
    while i < len(args):
        a = args[i]
        if a in VALUED:
            i += 2
            continue
        if not a.startswith("-"):
            words.append(a)
        i += 1
    known = names()
    if len(words) >= 2 and f"{words[0]}.{words[1]}" in known:
        return f"{words[0]}.{words[1]}"
    return words[0] if words and words[0] in known else None


def check_lines(text, types, where="stdout"):
    """The problems of a JSON Lines stream: every line one document of one
    of `types` ("queue.log.line"), each with its shape."""
    out = []
    for i, line in enumerate(text.splitlines(), 1):
        try:
            doc = json.loads(line)
        except ValueError as e:
            out.append(f"{where} line {i}: not JSON ({e}): {line[:80]!r}")
            continue
        problems = check_document(doc)
        name = re.sub(r"^zsim\.|/\d+$", "", str(doc.get("schema")))
        if not problems and name not in types:
            problems = [f"a {name} line, expected one of {', '.join(types)}"]
        out += [f"{where} line {i}: {p}" for p in problems]
    return out


def command_words(args):
    """The command and its nested verb in `zsim-orch ARGS` ("queue.log")."""
    words, i = [], 0
    while i < len(args) and len(words) < 2:
        if args[i] in VALUED:
            i += 2
            continue
        if not args[i].startswith("-"):
            words.append(args[i])
        i += 1
    return ".".join(words)


def check_output(args, rc, out, err=""):
    """The problems of the output of `zsim-orch ARGS` when it is a --json
    document (queue show always is) or a stream, else []."""
    problems = []
    if "--progress-json" in args:
        problems += check_lines(err, STREAMS["--progress-json"], "stderr")
    if "--json" in args and command_words(args) in STREAMS:
        return problems + check_lines(out, STREAMS[command_words(args)])
    return problems + check_document_output(args, out)


def check_document_output(args, out):
    name = expected_schema(args)
    if not name or ("--json" not in args and name != "queue.show"):
        return []
    if "--help" in args or "-h" in args or not out.strip():
        return []
    try:
        doc = json.loads(out)
    except ValueError as e:
        return [f"not JSON ({e}): {out[:80]!r}"]
    return check_document(doc, name)
