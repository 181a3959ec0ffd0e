#include "core/params.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/macros.h"
#include "util/str.h"

#include "util/banned.h"

/* deeper than any .params zsim-orch writes (config: 3 levels) */
#define PARAMS_MAX_DEPTH 16

static const char *type_name(json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_double:
	case json_type_int:
		return "a number";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	}
	return "something else";
}

/* A string without NUL bytes in it (they would cut the argument short). */
static bool plain_string(json_object *o)
{
	return json_object_is_type(o, json_type_string) &&
	       strlen(json_object_get_string(o)) == (size_t)json_object_get_string_len(o);
}

static int fail(char **ret_error, const char *fmt, ...) ZO_PRINTF(2, 3);
static int fail(char **ret_error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(ret_error, fmt, ap) < 0)
		*ret_error = NULL;
	va_end(ap);
	return *ret_error ? -EINVAL : -ENOMEM;
}

/* Member `key` of the top-level object: absent (NULL), or a string. */
static int optional_string(json_object *o, const char *key, const char **ret, char **ret_error)
{
	json_object *v = NULL;

	*ret = NULL;
	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!plain_string(v))
		return fail(ret_error, "\"%s\" is %s, not a string", key, type_name(v));
	*ret = json_object_get_string(v);
	return 0;
}

static int parse_json(const char *text, size_t len, json_object **ret, char **ret_error)
{
	struct json_tokener *tok;
	json_object *o;
	enum json_tokener_error e;
	size_t end;

	if (len > ZO_PARAMS_MAX_BYTES)
		return fail(ret_error, "larger than 1 MiB; not a .params file zsim-orch wrote");
	if (memchr(text, '\0', len))
		return fail(ret_error, "not JSON text (a NUL byte in it)");
	if (strspn(text, " \t\r\n") == len)
		return fail(ret_error, "empty, not JSON");
	tok = json_tokener_new_ex(PARAMS_MAX_DEPTH);
	if (!tok)
		return -ENOMEM;
	/* with its NUL: a number or null at the end is then complete */
	o = json_tokener_parse_ex(tok, text, (int)len + 1);
	e = json_tokener_get_error(tok);
	end = (size_t)tok->char_offset;
	json_tokener_free(tok);
	if (e == json_tokener_continue)
		return fail(ret_error, "not JSON: cut short");
	if (e != json_tokener_success) {
		json_object_put(o);
		return fail(ret_error, "not JSON: %s", json_tokener_error_desc(e));
	}
	while (end < len && text[end] && strchr(" \t\r\n", text[end]))
		end++;
	if (end < len) {
		json_object_put(o);
		return fail(ret_error, "not JSON: text after the object");
	}
	if (!o) /* the text is null */
		return fail(ret_error, "the top level is null, not an object");
	*ret = o;
	return 0;
}

static int parse_args(json_object *args, struct zo_params *p, const char *experiment,
		      char **ret_error)
{
	size_t n = json_object_array_length(args), i;

	if (n > 4096)
		return fail(ret_error, "\"args\" has more than 4096 arguments");
	p->argv = calloc(n + 2, sizeof(char *));
	if (!p->argv)
		return -ENOMEM;
	p->argv[0] = (char *)experiment;
	for (i = 0; i < n; i++) {
		json_object *a = json_object_array_get_idx(args, (int)i);
		if (!plain_string(a)) {
			return fail(ret_error, "\"args\"[%zu] is %s, not a string", i,
				    a && json_object_is_type(a, json_type_string)
					    ? "a string with a NUL byte"
					    : type_name(a));
		}
		p->argv[i + 1] = (char *)json_object_get_string(a);
	}
	p->argc = (int)n + 1;
	return 0;
}

int zo_params_parse(const char *text, size_t len, struct zo_params *ret, char **ret_error)
{
	struct zo_params p;
	json_object *v = NULL, *args = NULL;
	const char *experiment;
	int r;

	memset(&p, 0, sizeof(p));
	*ret_error = NULL;
	r = parse_json(text, len, &p.json, ret_error);
	if (r < 0)
		return r;
	if (!json_object_is_type(p.json, json_type_object)) {
		r = fail(ret_error, "the top level is %s, not an object", type_name(p.json));
		goto out;
	}
	if (!json_object_object_get_ex(p.json, "experiment", &v)) {
		r = fail(ret_error, "no \"experiment\" recorded in it");
		goto out;
	}
	if (!plain_string(v) || !*json_object_get_string(v)) {
		r = fail(ret_error, "\"experiment\" is %s, not a name",
			 plain_string(v) ? "empty" : type_name(v));
		goto out;
	}
	experiment = json_object_get_string(v);
	if (!json_object_object_get_ex(p.json, "args", &args)) {
		r = fail(ret_error, "no \"args\" recorded in it");
		goto out;
	}
	if (!json_object_is_type(args, json_type_array)) {
		r = fail(ret_error, "\"args\" is %s, not an array of strings", type_name(args));
		goto out;
	}
	r = parse_args(args, &p, experiment, ret_error);
	if (r == 0)
		r = optional_string(p.json, "kernel", &p.kernel, ret_error);
	if (r == 0)
		r = optional_string(p.json, "zsim_orch_commit", &p.commit, ret_error);
	if (r == 0 && json_object_object_get_ex(p.json, "config", &v) &&
	    !json_object_is_type(v, json_type_null)) {
		if (!json_object_is_type(v, json_type_object))
			r = fail(ret_error, "\"config\" is %s, not an object", type_name(v));
		else
			p.config = v;
	}
out:
	if (r < 0) {
		zo_params_release(&p);
		return r;
	}
	*ret = p;
	return 0;
}

void zo_params_release(struct zo_params *p)
{
	free(p->argv);
	json_object_put(p->json);
	memset(p, 0, sizeof(*p));
}
