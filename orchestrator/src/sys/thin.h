/* device-mapper through libdevmapper: the only file that calls it. Names
 * are dm device names ("zsim-pool"). Errors come back as -errno with the
 * kernel's or libdevmapper's own words in zo_dm_last_error(). */
#ifndef ZO_SYS_THIN_H
#define ZO_SYS_THIN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct zo_dm_info {
	bool exists;
	bool suspended;
	dev_t devno;
	int open_count;
	unsigned target_count;
};

/* The last message libdevmapper logged as an error ("" if none). */
const char *zo_dm_last_error(void);

int zo_dm_info(const char *name, struct zo_dm_info *ret);
/* Create `name` with a one-target table and resume it. */
int zo_dm_create(const char *name, const char *target, uint64_t sectors,
		 const char *params, dev_t *ret_devno);
int zo_dm_message(const char *name, const char *message);
int zo_dm_remove(const char *name);
/* The first target's type and status or table parameters. */
int zo_dm_status(const char *name, char **ret_type, char **ret_params);
int zo_dm_table(const char *name, char **ret_type, uint64_t *ret_sectors,
		char **ret_params);

#endif
