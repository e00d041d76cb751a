/*
 * Text as people type it into names and descriptions: its length in
 * characters, white space at its ends, control characters within. Input is
 * well-formed UTF-8 (Jansson refuses anything else, and so does the query
 * parser). Pure: no I/O, no allocation.
 */
#ifndef TEXT_H
#define TEXT_H

#include <stddef.h>

/*
 * The number of characters (code points) in the n bytes at s: what
 * PostgreSQL's char_length() counts, so a bound checked here is the bound
 * a table's CHECK holds.
 */
size_t text_length(const char *s, size_t n);

/*
 * s without the white space at either end (Unicode White_Space: ASCII's,
 * NEL, NO-BREAK SPACE, the Unicode spaces and separators, IDEOGRAPHIC
 * SPACE): returns where it starts, *n its new length in bytes.
 */
const char *text_trim(const char *s, size_t *n);

/*
 * Whether the n bytes at s hold a control character (C0, DEL, C1) other
 * than the bytes in allow (e.g. "\t\n\r"; "" for none).
 */
int text_has_control(const char *s, size_t n, const char *allow);

#endif
