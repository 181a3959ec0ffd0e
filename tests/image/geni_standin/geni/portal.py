"""Stand-in for geni-lib's geni.portal: Context, ParameterType and the
parameter errors, with geni-lib's names and signatures. What a profile
asks for is recorded (see ../README.md)."""
import argparse
import json
import os
import sys

from .rspec import igext  # noqa: F401 (geni-lib imports it here too)
from .rspec.pg import Request


def parseBool(b):
    if isinstance(b, str):
        if b in ("False", "false"):
            return False
        if b in ("True", "true"):
            return True
    return bool(b)


class ParameterType(object):
    INTEGER = "integer"
    STRING = "string"
    BOOLEAN = "boolean"
    IMAGE = "image"
    AGGREGATE = "aggregate"
    NODETYPE = "nodetype"
    BANDWIDTH = "bandwidth"
    LATENCY = "latency"
    SIZE = "size"
    PUBKEY = "pubkey"
    LOSSRATE = "lossrate"
    argparsemap = {INTEGER: int, STRING: str, BOOLEAN: parseBool, IMAGE: str,
                   AGGREGATE: str, NODETYPE: str, BANDWIDTH: float,
                   LATENCY: float, SIZE: int, PUBKEY: str, LOSSRATE: float}


class PortalError(Exception):
    def __init__(self, message):
        super(PortalError, self).__init__()
        self.message = message

    def __str__(self):
        return self.__class__.__name__ + ": " + self.message

    def __objdict__(self):
        d = {"errorType": self.__class__.__name__}
        d.update((k, v) for k, v in self.__dict__.items() if not k.startswith("_"))
        return d


class ParameterError(PortalError):
    def __init__(self, message, paramList, fixedValues={}):
        super(ParameterError, self).__init__(message)
        self.params = paramList or []
        self.fixedValues = fixedValues or {}


class ParameterWarning(ParameterError):
    pass


class Context(object):
    _instance = None
    _initialized = False

    def __new__(cls, *args, **kwargs):
        if not cls._instance:
            cls._instance = super(Context, cls).__new__(cls)
        return cls._instance

    def __init__(self):
        if self.__class__._initialized:
            return
        self._parameters = {}
        self._order = []
        self._errors = []
        self._warnings = []
        self._request = None
        self._bound = None
        self.__class__._initialized = True

    def defineParameter(self, name, description, typ, defaultValue,
                        legalValues=None, longDescription=None,
                        inputFieldHint=None, inputConstraints=None,
                        advanced=False, groupId=None, hide=False,
                        multiValue=False, min=None, max=None,
                        itemDefaultValue=None, multiValueTitle=None,
                        prefix="emulab.net.parameter."):
        if name in self._parameters:
            raise AssertionError("parameter %s defined twice" % name)
        if typ not in ParameterType.argparsemap:
            raise AssertionError("parameter %s: unknown type %r" % (name, typ))
        legal = [v[0] if isinstance(v, tuple) else v for v in legalValues or []]
        conv = ParameterType.argparsemap[typ]
        if conv(defaultValue) != defaultValue:
            raise AssertionError("parameter %s: default %r is not a %s"
                                 % (name, defaultValue, typ))
        if legal and defaultValue not in legal:
            raise AssertionError("parameter %s: default %r not among %r"
                                 % (name, defaultValue, legal))
        self._parameters[name] = dict(
            name=name, description=description, type=typ,
            defaultValue=defaultValue, legalValues=legal or None,
            longDescription=longDescription,
            groupId=groupId or ("advanced" if advanced else None))
        self._order.append(name)

    def bindParameters(self, altParamSrc=None):
        """Outside the portal geni-lib takes the values from the command
        line (--NAME VALUE), as here; altParamSrc may be a dict."""
        if altParamSrc is not None:
            values = dict(altParamSrc)
        else:
            parser = argparse.ArgumentParser()
            for name in self._order:
                p = self._parameters[name]
                parser.add_argument("--" + name, default=p["defaultValue"],
                                    type=ParameterType.argparsemap[p["type"]],
                                    choices=p["legalValues"],
                                    help=p["description"])
            values = vars(parser.parse_args())
        bound = {}
        for name in self._order:
            p = self._parameters[name]
            bound[name] = ParameterType.argparsemap[p["type"]](
                values.get(name, p["defaultValue"]))
        self._bound = bound
        return argparse.Namespace(**bound)

    def reportError(self, parameterError, immediate=False):
        if not isinstance(parameterError, PortalError):
            raise AssertionError("reportError takes a ParameterError")
        unknown = [p for p in parameterError.params if p not in self._parameters]
        if unknown:
            raise AssertionError("error names undefined parameters %r" % unknown)
        self._errors.append(parameterError)
        if immediate:
            self.verifyParameters()

    def reportWarning(self, parameterError):
        self._warnings.append(parameterError)

    def verifyParameters(self):
        if not self._errors:
            return 0
        json.dump([e.__objdict__() for e in self._errors + self._warnings],
                  sys.stderr)
        sys.stderr.write("\n")
        sys.exit(100 + len(self._errors))

    def makeRequestRSpec(self):
        if self._request is not None:
            raise AssertionError("one request per context")
        self._request = Request()
        return self._request

    def printRequestRSpec(self, rspec=None):
        self.verifyParameters()
        rspec = rspec or self._request
        doc = sys.modules["__main__"].__doc__ or ""
        record = dict(
            parameters=[self._parameters[n] for n in self._order],
            bound=self._bound, tour=doc,
            nodes=[n.record() for n in rspec.nodes()],
            links=[l.record() for l in rspec.links()])
        path = os.environ.get("GENI_STANDIN_RECORD")
        if path:
            with open(path, "w") as f:
                json.dump(record, f, indent=1, sort_keys=True)
        else:
            json.dump(record, sys.stdout, indent=1, sort_keys=True)


context = Context()
