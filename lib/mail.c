/* Rendering of outgoing mail (see mail.h). */
#include "mail.h"

#include "arena.h"

json_t *
mail_message(const struct config *cfg, const char *to, const char *subject,
    const char *text)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "to", to, "from", cfg->mail_from,
	    "subject", subject, "text", text);
}

char *
mail_token_text(struct arena *a, const struct config *cfg, const char *intro,
    const char *path, const char *token, const char *valid_for)
{
	return arena_printf(a,
	    "%s\n"
	    "\n"
	    "Open this link to continue:\n"
	    "%s%s?token=%s\n"
	    "\n"
	    "Or paste this token where you were asked for it:\n"
	    "Token: %s\n"
	    "\n"
	    "It is valid for %s and can be used once. If you did not ask for\n"
	    "this, ignore this message.\n",
	    intro, cfg->app_base_url, path, token, token, valid_for);
}
