/*
 * Entity tags (RFC 9110 8.8.3) and the If-Match precondition (13.1.1) for
 * resources that carry an id and a version counter. A tag is strong,
 * opaque and fixed in size: a digest of id and version, so that no two
 * resources share one and a tag tells a client nothing it may build on.
 * Pure: no database, no FastCGI.
 */
#ifndef ETAG_H
#define ETAG_H

#include <stddef.h>

struct arena;

#define ETAG_LEN (1 + 32 + 1) /* DQUOTE, 32 hexadecimal digits, DQUOTE */

/*
 * The strong ETag of version `version` (decimal text) of the resource
 * `id` (a uuid, either case: it is one resource), quotes included, in the
 * arena. NULL for an id or a version that is not one.
 */
char *etag_make(struct arena *, const char *id, const char *version);

/*
 * Whether the If-Match field value `header` holds for a resource that
 * exists and whose current strong ETag is `etag` (RFC 9110 13.1.1): 1 for
 * no header (NULL), for "*", or for a list with a strong tag equal to etag
 * character by character; 0 for a list without one (weak tags W/"..."
 * never match, as the comparison is strong); -1 when the value is neither
 * "*" nor a list of entity tags.
 */
int etag_if_match(const char *header, const char *etag);

#endif
