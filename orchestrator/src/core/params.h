/* What `run --from` takes from a .params file: the experiment and the
 * arguments it ran with, and the facts it recorded that this host may
 * differ in (kernel, zsim-orch commit, config). Pure: the text is given,
 * every member's type is checked, nothing is trusted. */
#ifndef ZO_CORE_PARAMS_H
#define ZO_CORE_PARAMS_H

#include <stddef.h>

#include <json-c/json.h>

/* A .params file larger than this is not one zsim-orch wrote. */
#define ZO_PARAMS_MAX_BYTES (1024 * 1024)

struct zo_params {
	/* argv[0] is the experiment, then its arguments; NULL-terminated;
	 * the strings belong to `json` */
	char **argv;
	int argc;
	const char *kernel; /* recorded facts, or NULL */
	const char *commit;
	json_object *config; /* an object of sections, or NULL */
	json_object *json;
};

/* Parse `len` bytes of .params text (text[len] is '\0'). 0, or -EINVAL with *ret_error
 * saying what is wrong with it ("args[2] is a number, not a string"),
 * -ENOMEM. The experiment is not looked up here. */
int zo_params_parse(const char *text, size_t len, struct zo_params *ret, char **ret_error);
void zo_params_release(struct zo_params *p);

#endif
