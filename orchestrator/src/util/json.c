#include "util/json.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util/banned.h"

static int add(json_object *o, const char *key, json_object *v, bool null_ok)
{
	if (!v && !null_ok)
		return -ENOMEM;
	/* json_object_object_add returns void before 0.13 */
	json_object_object_add(o, key, v);
	return 0;
}

int zo_json_add_str(json_object *o, const char *key, const char *value)
{
	return value ? add(o, key, json_object_new_string(value), false)
		     : add(o, key, NULL, true);
}

int zo_json_add_u64(json_object *o, const char *key, uint64_t value)
{
	/* json-c 0.11 has no unsigned type; sizes stay far below 2^63. */
	return add(o, key,
		   json_object_new_int64(value > INT64_MAX ? INT64_MAX : (int64_t)value),
		   false);
}

int zo_json_add_int(json_object *o, const char *key, long long value)
{
	return add(o, key, json_object_new_int64((int64_t)value), false);
}

int zo_json_add_bool(json_object *o, const char *key, bool value)
{
	return add(o, key, json_object_new_boolean(value), false);
}

int zo_json_add_null(json_object *o, const char *key)
{
	return add(o, key, NULL, true);
}

const char *zo_json_get_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

const char *zo_json_text(json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							 JSON_C_TO_STRING_SPACED);
}

const char *zo_json_line(json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
}

json_object *zo_json_doc(const char *schema, json_object *o)
{
	json_object *doc;
	char name[128];

	if (!o || !json_object_is_type(o, json_type_object))
		return NULL;
	doc = json_object_new_object();
	if (!doc)
		return NULL;
	snprintf(name, sizeof(name), "zsim.%s/%d", schema, ZO_JSON_SCHEMA_VERSION);
	if (zo_json_add_str(doc, "schema", name) < 0) {
		json_object_put(doc);
		return NULL;
	}
	{
		json_object_object_foreach(o, key, value)
		{
			if (strcmp(key, "schema"))
				json_object_object_add(doc, key, json_object_get(value));
		}
	}
	return doc;
}
