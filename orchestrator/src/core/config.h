/* The configuration model: one table of every key with its type, default
 * and meaning. The same table validates files, fills defaults, feeds
 * `config show` and renders the commented default config file. */
#ifndef ZO_CORE_CONFIG_H
#define ZO_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"
#include "util/ini.h"

/* Set by the build from ZSIM_SYSCONFDIR. */
#ifndef ZO_DEFAULT_CONFIG_PATH
#define ZO_DEFAULT_CONFIG_PATH "/etc/zsim/zsim.conf"
#endif

enum zo_type {
	ZO_TYPE_STRING,
	ZO_TYPE_NAME,        /* [A-Za-z0-9_.-]+: module, parameter, domain names */
	ZO_TYPE_PATH,        /* absolute path */
	ZO_TYPE_URI,         /* libvirt connection URI */
	ZO_TYPE_SIZE,        /* bytes, K/M/G/T suffixes */
	ZO_TYPE_BOOL,
	ZO_TYPE_INT,
	ZO_TYPE_ENUM,        /* one of `choices`, '|'-separated */
	ZO_TYPE_DEVICE,      /* one stable device ID */
	ZO_TYPE_DEVICE_LIST, /* comma-separated stable device IDs */
	ZO_TYPE_DEVICE_OR_FILE,
};

struct zo_key_def {
	const char *section;
	const char *key;
	enum zo_type type;
	const char *def; /* "" with `optional`: unset, leave the system as is */
	bool optional;   /* may be empty */
	long long min, max;  /* ZO_TYPE_INT */
	uint64_t size_min, size_max, size_multiple; /* ZO_TYPE_SIZE */
	const char *choices; /* ZO_TYPE_ENUM */
	const char *help;
};

extern const struct zo_key_def zo_config_keys[];
extern const size_t zo_config_n_keys;
extern const char *const zo_config_sections[];
extern const size_t zo_config_n_sections;

enum zo_source {
	ZO_SOURCE_DEFAULT,
	ZO_SOURCE_FILE,
	ZO_SOURCE_COMMAND_LINE,
};

struct zo_config_value {
	char *value;
	enum zo_source source;
	unsigned line;
};

struct zo_config {
	char *path;        /* the file the values came from (may not exist) */
	bool file_present; /* false: defaults only */
	struct zo_config_value *values; /* parallel to zo_config_keys */
};

const struct zo_key_def *zo_config_key(const char *section, const char *key);
const char *zo_type_form(const struct zo_key_def *def, char *buf, size_t len);

/* Check `value` against `def`; on failure add an error to `diags` naming the
 * key, the value and the accepted form, and return -EINVAL. */
int zo_config_check_value(const struct zo_key_def *def, const char *value,
			  unsigned line, struct zo_diags *diags);

/* Build a config from a parsed file (`ini` NULL: no file, defaults only).
 * Every problem goes to `diags`; unknown sections and keys are warnings.
 * Returns -EINVAL when any error was found, after checking everything. */
int zo_config_from_ini(const char *path, const struct zo_ini *ini,
		       struct zo_config **ret, struct zo_diags *diags);
struct zo_config *zo_config_free(struct zo_config *c);

/* Replace a value (e.g. --connect overrides [target] uri); validated. */
int zo_config_override(struct zo_config *c, const char *section,
		       const char *key, const char *value,
		       enum zo_source source, struct zo_diags *diags);

const struct zo_config_value *zo_config_value(const struct zo_config *c,
					      const char *section,
					      const char *key);
/* Typed getters. The value was validated on load, so these only fail on an
 * unset optional key (-ENODATA) or a key not in the table (-ENOENT, a bug). */
const char *zo_config_get(const struct zo_config *c, const char *section,
			  const char *key);
int zo_config_get_size(const struct zo_config *c, const char *section,
		       const char *key, uint64_t *ret);
int zo_config_get_bool(const struct zo_config *c, const char *section,
		       const char *key, bool *ret);
int zo_config_get_int(const struct zo_config *c, const char *section,
		      const char *key, long long *ret);
int zo_config_get_list(const struct zo_config *c, const char *section,
		       const char *key, char ***ret);

#endif
