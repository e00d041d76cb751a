/* Names and messages of enum app_err, generated from the one list in err.h. */
#include "err.h"

#define APP_ERR_NAME(name, code, msg) code,
static const char *const names[APP_ERR__MAX] = {APP_ERRORS(APP_ERR_NAME)};
#define APP_ERR_MSG(name, code, msg) msg,
static const char *const messages[APP_ERR__MAX] = {APP_ERRORS(APP_ERR_MSG)};

const char *
app_errcode(enum app_err e)
{
	return (unsigned)e < APP_ERR__MAX ? names[e] : "INTERNAL";
}

const char *
app_strerror(enum app_err e)
{
	return (unsigned)e < APP_ERR__MAX ? messages[e] : messages[APP_ERR_INTERNAL];
}
