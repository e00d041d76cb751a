/*
 * The state of one process, passed explicitly to everything that needs it:
 * configuration, database, cache, metrics. There is no other mutable global.
 */
#ifndef APP_H
#define APP_H

#include "config.h"

struct db;
struct cache;
struct metrics;

struct app {
	struct config cfg;
	struct db *db;
	struct cache *cache;
	struct metrics *metrics;
};

#endif
