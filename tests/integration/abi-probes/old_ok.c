/* Imports only API that CentOS 7.9 has: the ABI gate must accept it. */
#include <blkid.h>
#include <json-c/json.h>
#include <libvirt/libvirt.h>

int main(int argc, char **argv)
{
	(void)argv;
	if (argc > 99) {
		json_object_put(json_object_new_object());
		blkid_free_probe(blkid_new_probe());
		return virConnectClose(virConnectOpenReadOnly("test:///default"));
	}
	return 0;
}
