/*
 * JSON bodies: parsing with duplicate keys refused and a depth limit, and
 * declarative field checks that produce API.md's VALIDATION_FAILED details.
 * Pure: no database, no FastCGI.
 */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>
#include <jansson.h>

#include "err.h"

/*
 * Parses len bytes of any JSON text (an object, or another value for
 * json_fields_check to refuse); *out is a new reference. APP_OK or
 * APP_ERR_INVALID_JSON.
 */
enum app_err json_body_parse(const char *buf, size_t len, long max_depth, json_t **out);

enum field_type { FIELD_STRING, FIELD_INTEGER, FIELD_BOOLEAN };

struct field {
	const char *name;
	enum field_type type;
	int required;
	size_t min, max;            /* string length in bytes, or integer range */
	int (*valid)(const char *); /* extra check for strings, or NULL */
};

/*
 * Checks obj against the n fields: it must be an object, have no other
 * keys, the required ones present, each of its type and bounds. On failure
 * returns APP_ERR_VALIDATION_FAILED and *details (a new array of
 * {"field", "issue"}) with issue one of required, unknown, type, too_short,
 * too_long, invalid.
 */
enum app_err json_fields_check(json_t *obj, const struct field *fields, size_t n, json_t **details);

/* obj[name] as a string, or NULL when absent or not a string. */
const char *json_str(json_t *obj, const char *name);

#endif
