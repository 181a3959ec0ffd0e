/* Small json-c helpers. Only json-c API present in 0.11 (CentOS 7) is used
 * here and everywhere else. */
#ifndef ZO_UTIL_JSON_H
#define ZO_UTIL_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

/* NULL `value` adds a JSON null. Return 0 or -ENOMEM. */
int zo_json_add_str(json_object *o, const char *key, const char *value);
int zo_json_add_u64(json_object *o, const char *key, uint64_t value);
int zo_json_add_int(json_object *o, const char *key, long long value);
int zo_json_add_bool(json_object *o, const char *key, bool value);
int zo_json_add_null(json_object *o, const char *key);
/* The string member `key`, or NULL if missing or not a string. */
const char *zo_json_get_str(json_object *o, const char *key);
/* What --json prints: a document is a JSON object whose first member is
 * "schema": "zsim.NAME/VERSION" (zsim.status/1, zsim.queue.ls/1). Keys are
 * snake_case, sizes whole bytes (*_bytes), durations *_s or *_ms,
 * switches booleans, and a value that is not there is null, never left
 * out. tests/integration/schemas/NAME.json holds each document's shape. A
 * change that breaks a reader raises the version. */
#define ZO_JSON_SCHEMA_VERSION 1
/* A new object: the schema member, then o's members (o is not changed;
 * NULL when o is not an object or memory ran out). */
json_object *zo_json_doc(const char *schema, json_object *o);
/* Pretty-printed text owned by `o` (valid until it is freed). */
const char *zo_json_text(json_object *o);
/* The same on one line, for a JSON Lines stream (one document a line). */
const char *zo_json_line(json_object *o);

#endif
