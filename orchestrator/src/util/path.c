#include "path.h"

#include <string.h>

#include "str.h"

#include "banned.h"

char *zo_path(const char *root, const char *abs)
{
	size_t rl;

	if (!root || !*root)
		return strdup(abs);
	rl = strlen(root);
	/* "/" as root and a trailing slash must not produce "//proc". */
	while (rl > 0 && root[rl - 1] == '/')
		rl--;
	return zo_asprintf("%.*s%s", (int)rl, root, abs);
}
