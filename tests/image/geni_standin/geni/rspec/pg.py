"""Stand-in for geni-lib's geni.rspec.pg: Request, RawPC, LAN, Execute,
Install, IPv4Address, with geni-lib's names. Nodes refuse attributes
geni-lib's Node does not have, so a typo fails here instead of being
silently ignored."""


class Service(object):
    pass


class Execute(Service):
    def __init__(self, shell, command):
        self.shell = shell
        self.command = command

    def record(self):
        return dict(kind="execute", shell=self.shell, command=self.command)


class Install(Service):
    def __init__(self, url, path):
        self.url = url
        self.path = path

    def record(self):
        return dict(kind="install", url=self.url, path=self.path)


class IPv4Address(object):
    def __init__(self, address, netmask):
        self.type = "ipv4"
        self.address = address
        self.netmask = netmask


class Interface(object):
    def __init__(self, name, node, address=None):
        self.client_id = name
        self.node = node
        self.addresses = [address] if address else []

    @property
    def name(self):
        return self.client_id

    def addAddress(self, address):
        self.addresses.append(address)

    def record(self):
        return dict(name=self.client_id, addresses=[
            (a.address, a.netmask) for a in self.addresses])


class Link(object):
    def __init__(self, name=None, ltype=""):
        self.client_id = name
        self.type = ltype
        self.interfaces = []

    def addInterface(self, intf):
        self.interfaces.append(intf)

    def record(self):
        return dict(name=self.client_id, type=self.type,
                    interfaces=[i.client_id for i in self.interfaces])


class LAN(Link):
    def __init__(self, name=None):
        super(LAN, self).__init__(name, "lan")


class Node(object):
    EXTENSIONS = []
    ATTRIBUTES = {"client_id", "exclusive", "disk_image", "type",
                  "hardware_type", "interfaces", "services",
                  "routable_control_ip", "component_id",
                  "component_manager_id", "_ext_children"}

    def __init__(self, name, ntype, component_id=None, exclusive=None):
        self.client_id = name
        self.exclusive = exclusive
        self.disk_image = None
        self.type = ntype
        self.hardware_type = None
        self.interfaces = []
        self.services = []
        self.routable_control_ip = False
        self.component_id = component_id
        self.component_manager_id = None
        self._ext_children = []

    def __setattr__(self, name, value):
        if name not in self.ATTRIBUTES:
            raise AttributeError("geni-lib's Node has no attribute %r" % name)
        object.__setattr__(self, name, value)

    def __getattr__(self, name):
        for ext_name, klass in Node.EXTENSIONS:
            if ext_name == name:
                def wrap(*args, **kw):
                    instance = klass(*args, **kw)
                    self._ext_children.append(instance)
                    return instance
                return wrap
        raise AttributeError("geni-lib's Node has no attribute %r" % name)

    @property
    def name(self):
        return self.client_id

    def addInterface(self, name=None, address=None):
        full = name if name and ":" in name else "%s:%s" % (self.client_id, name)
        if any(i.client_id == full for i in self.interfaces):
            raise AssertionError("duplicate interface name %s" % full)
        intf = Interface(full, self, address)
        self.interfaces.append(intf)
        return intf

    def addService(self, svc):
        if not isinstance(svc, Service):
            raise AssertionError("addService takes a Service")
        self.services.append(svc)

    def record(self):
        return dict(name=self.client_id, type=self.type,
                    hardware_type=self.hardware_type,
                    disk_image=self.disk_image,
                    services=[s.record() for s in self.services],
                    interfaces=[i.record() for i in self.interfaces],
                    extensions=[e.record() for e in self._ext_children])


class RawPC(Node):
    def __init__(self, name, component_id=None):
        super(RawPC, self).__init__(name, "raw-pc", component_id=component_id,
                                    exclusive=True)


class Request(object):
    def __init__(self):
        self._resources = []

    def addResource(self, rsrc):
        self._resources.append(rsrc)

    # geni-lib adds these through Request.EXTENSIONS: made and added.
    def RawPC(self, *args, **kw):
        node = RawPC(*args, **kw)
        self.addResource(node)
        return node

    def LAN(self, *args, **kw):
        lan = LAN(*args, **kw)
        self.addResource(lan)
        return lan

    def nodes(self):
        names = [r.client_id for r in self._resources if isinstance(r, Node)]
        if len(set(names)) != len(names):
            raise AssertionError("duplicate node names %r" % names)
        return [r for r in self._resources if isinstance(r, Node)]

    def links(self):
        return [r for r in self._resources if isinstance(r, Link)]
