/*
 * lib/addr: who the client is (REMOTE_ADDR, or X-Forwarded-For behind
 * a trusted proxy) and which peers are trusted. The counting itself needs
 * memcached and is held to account by test/api/rate_limits.bats.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "arena.h"
#include "addr.h"

static int
setup(void **state)
{
	*state = arena_new();
	return 0;
}

static int
teardown(void **state)
{
	arena_free(*state);
	return 0;
}

static void
addr_in_matches_addresses_and_networks(void **state)
{
	(void)state;
	assert_true(addr_in_list("127.0.0.1", "127.0.0.1"));
	assert_false(addr_in_list("127.0.0.1", "127.0.0.2"));
	assert_true(addr_in_list("10.0.0.0/8, 192.168.1.0/24", "10.200.3.4"));
	assert_true(addr_in_list("10.0.0.0/8,192.168.1.0/24", "192.168.1.77"));
	assert_false(addr_in_list("10.0.0.0/8, 192.168.1.0/24", "192.168.2.1"));
	assert_true(addr_in_list("172.16.0.0/12", "172.31.255.255"));
	assert_false(addr_in_list("172.16.0.0/12", "172.32.0.0"));
	assert_true(addr_in_list("0.0.0.0/0", "8.8.8.8"));
	assert_false(addr_in_list("0.0.0.0/0", "2001:db8::1"));
	assert_true(addr_in_list("2001:db8::/32", "2001:db8:ffff::1"));
	assert_false(addr_in_list("2001:db8::/32", "2001:db9::1"));
	assert_true(addr_in_list("::1", "::1"));
	/* An IPv4 peer seen through an IPv6 socket is the same peer. */
	assert_true(addr_in_list("127.0.0.1", "::ffff:127.0.0.1"));
	assert_true(addr_in_list("10.0.0.0/8", "::ffff:10.1.2.3"));
}

static void
addr_in_refuses_what_is_not_an_address(void **state)
{
	(void)state;
	assert_false(addr_in_list("", "127.0.0.1"));
	assert_false(addr_in_list(NULL, "127.0.0.1"));
	assert_false(addr_in_list("127.0.0.1", NULL));
	assert_false(addr_in_list("127.0.0.1", "localhost"));
	assert_false(addr_in_list("127.0.0.1", "127.0.0.1 "));
	assert_false(addr_in_list("127.0.0.1/33", "127.0.0.1"));
	assert_false(addr_in_list("garbage, 127.0.0.1/x", "127.0.0.1"));
}

static void
list_validity(void **state)
{
	(void)state;
	assert_true(addr_list_is_valid(""));
	assert_true(addr_list_is_valid("127.0.0.1"));
	assert_true(addr_list_is_valid("10.0.0.0/8, ::1, fd00::/8"));
	assert_false(addr_list_is_valid("10.0.0.0/8, proxy.example"));
	assert_false(addr_list_is_valid("10.0.0.0/"));
	assert_false(addr_list_is_valid("10.0.0.0/08x"));
	assert_false(addr_list_is_valid("::1/129"));
	assert_false(addr_list_is_valid("1.2.3.4/33"));
}

static void
client_is_the_peer_unless_the_peer_is_trusted(void **state)
{
	struct arena *a = *state;

	assert_string_equal(addr_client(a, "", "203.0.113.9", "198.51.100.1"), "203.0.113.9");
	assert_string_equal(
	    addr_client(a, "127.0.0.1", "203.0.113.9", "198.51.100.1"), "203.0.113.9");
	assert_string_equal(addr_client(a, "127.0.0.1", "127.0.0.1", NULL), "127.0.0.1");
	assert_null(addr_client(a, "127.0.0.1", NULL, "198.51.100.1"));
}

static void
client_is_the_nearest_untrusted_hop(void **state)
{
	struct arena *a = *state;
	const char *trusted = "127.0.0.1, 10.0.0.0/8";

	assert_string_equal(
	    addr_client(a, trusted, "127.0.0.1", "198.51.100.1"), "198.51.100.1");
	/* A client's own claim on the left is not believed. */
	assert_string_equal(
	    addr_client(a, trusted, "127.0.0.1", "1.1.1.1, 198.51.100.1"), "198.51.100.1");
	/* Trusted hops are walked over. */
	assert_string_equal(
	    addr_client(a, trusted, "127.0.0.1", "1.1.1.1,198.51.100.1, 10.1.1.1 ,10.2.2.2"),
	    "198.51.100.1");
	assert_string_equal(addr_client(a, trusted, "127.0.0.1", "2001:db8::7"), "2001:db8::7");
}

static void
client_stops_at_a_hop_that_is_not_an_address(void **state)
{
	struct arena *a = *state;
	const char *trusted = "127.0.0.1, 10.0.0.0/8";

	assert_string_equal(addr_client(a, trusted, "127.0.0.1", "unknown"), "127.0.0.1");
	assert_string_equal(addr_client(a, trusted, "127.0.0.1", "evil, 10.0.0.5"), "10.0.0.5");
	assert_string_equal(addr_client(a, trusted, "127.0.0.1", ""), "127.0.0.1");
	assert_string_equal(addr_client(a, trusted, "127.0.0.1", ",,,"), "127.0.0.1");
	assert_string_equal(addr_client(a, trusted, "127.0.0.1", "1.2.3.4:80"), "127.0.0.1");
	/* Only trusted hops: the farthest of them is who the proxies saw. */
	assert_string_equal(addr_client(a, trusted, "127.0.0.1", "10.9.9.9"), "10.9.9.9");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(addr_in_matches_addresses_and_networks),
	    cmocka_unit_test(addr_in_refuses_what_is_not_an_address),
	    cmocka_unit_test(list_validity),
	    cmocka_unit_test_setup_teardown(
	        client_is_the_peer_unless_the_peer_is_trusted, setup, teardown),
	    cmocka_unit_test_setup_teardown(client_is_the_nearest_untrusted_hop, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        client_stops_at_a_hop_that_is_not_an_address, setup, teardown),
	};

	return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}
