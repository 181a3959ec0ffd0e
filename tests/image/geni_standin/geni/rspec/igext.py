"""Stand-in for geni-lib's geni.rspec.igext: Blockstore, a node extension
(node.Blockstore(name, mount))."""
import re

from . import pg


class Blockstore(object):
    def __init__(self, name, mount=None):
        self.name = name
        self.mount = mount
        self._size = None
        self.where = "local"
        self.readonly = False
        self.placement = "any"

    @property
    def size(self):
        return self._size

    @size.setter
    def size(self, val):
        m = re.match(r"^(\d+)GB$", val)
        self._size = int(m.group(1)) if m else int(val)

    def record(self):
        return dict(kind="blockstore", name=self.name, mount=self.mount,
                    size_gb=self._size, where=self.where)


pg.Node.EXTENSIONS.append(("Blockstore", Blockstore))
