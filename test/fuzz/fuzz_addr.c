/*
 * Client addresses (lib/addr.c): the input splits at its first newline into
 * a TRUSTED_PROXIES list and an X-Forwarded-For header, read behind the
 * peer 127.0.0.1. The client found must be the peer or a hop of the header,
 * and an address; behind an untrusted peer, the peer itself.
 */
#include "fuzz.h"

#include <string.h>

#include "addr.h"
#include "arena.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena *a;
	const char *peer = "127.0.0.1", *client;
	char *text = fuzz_cstr(data, size), *xff;

	if (a == NULL)
		a = arena_new();
	if ((xff = strchr(text, '\n')) != NULL)
		*xff++ = '\0';
	client = addr_client(a, text, peer, xff);
	FUZZ_ASSERT(client != NULL, "a client for a peer");
	FUZZ_ASSERT(client == peer || (xff != NULL && strstr(xff, client) != NULL),
	    "the client is the peer or a hop of the header");
	FUZZ_ASSERT(client == peer || addr_in_list("::/0, 0.0.0.0/0", client),
	    "the client is an address");
	if (addr_in_list(text, peer) == 0)
		FUZZ_ASSERT(client == peer, "an untrusted peer is the client");
	arena_reset(a);
	free(text);
	return 0;
}
