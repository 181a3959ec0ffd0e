/* Imports blkid_probe_set_hint (BLKID_2_37): the ABI gate must refuse it. */
#include <stddef.h>

#include <blkid.h>

int main(int argc, char **argv)
{
	(void)argv;
	if (argc > 99)
		return blkid_probe_set_hint((blkid_probe)argv, "x", 0);
	return 0;
}
