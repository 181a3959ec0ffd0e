/* Imports virDomainGetGuestInfo (LIBVIRT_5.7.0): the ABI gate must refuse it. */
#include <stddef.h>

#include <libvirt/libvirt.h>

int main(int argc, char **argv)
{
	(void)argv;
	if (argc > 99)
		return virDomainGetGuestInfo(NULL, 0, NULL, NULL, 0);
	return 0;
}
