# Helpers for the Auth suites (test/api/{auth,tokens,sessions,zz_logs}.bats,
# test/e2e/auth_flow.bats): `load ../lib/common` then `load ../lib/auth`.
#
#   fresh_id                  a fresh number for emails, slugs and passwords
#   new_email [PREFIX]        a fresh address at example.com
#   new_slug [PREFIX]         a fresh well-formed tenant slug (with a "-")
#   new_password              a fresh strong password (remembered)
#   remember_secret VALUE     appends VALUE to $STACK_DIR/secrets-used, which
#                             zz_logs.bats looks for in the service logs
#   register EMAIL [PASSWORD] [SLUG] [FULL_NAME] [TENANT_NAME]
#                             POST /auth/register; on 202 sets USER_ID,
#                             TENANT_ID, JOB_ID (and SLUG, PASSWORD, EMAIL)
#   login EMAIL PASSWORD [SLUG]   POST /auth/login (slug as X-Tenant-Slug);
#                             on 200 sets ACCESS and REFRESH (remembered)
#   new_user [tenant]         register + login with fresh values: EMAIL,
#                             PASSWORD, SLUG, USER_ID, TENANT_ID, ACCESS, REFRESH
#                             (a lobby session; with "tenant", one for SLUG)
#   as TOKEN METHOD PATH [BODY]   fcgi with "Authorization: Bearer TOKEN"
#   me TOKEN                  GET /auth/me with that token
#   refresh TOKEN             POST /auth/refresh {refresh_token}; on 200 sets
#                             ACCESS and REFRESH
#   mail_token EMAIL          the token of the newest email to EMAIL (queued, or sent into MAIL_DIR)
#   forge_jwt HEADER_JSON PAYLOAD_JSON [SECRET] [ALG]
#                             a JWT signed here (ALG HS256, HS384, HS512 or
#                             none); SECRET defaults to $JWT_SECRET
#   jwt_header TOKEN / jwt_payload TOKEN   a JWT's decoded JSON parts
#   audit_count ACTION ACTOR_ID [OUTCOME]  audit entries of that action by
#                             that actor ("null" for none), outcome success
#   sql_quote TEXT            TEXT as an SQL string literal
#   bcrypt PASSWORD / sha512crypt PASSWORD / yescrypt PASSWORD
#                             legacy crypt(3) hashes, made by perl's crypt()
#                             (libxcrypt on Debian)
#   argon2_defaults_start [NAME=VALUE...]
#                             app_start with saas-fcgi's default Argon2id
#                             parameters (test/run gives the stack cheap ones);
#                             app_stop in the test's teardown
#   now_ns                    nanoseconds since the epoch
#   median FILE               median of the numbers in FILE, one a line
#
# The request helpers set the globals of fcgi (status_code, headers, body):
# call them directly, not under `run`. They all go through fcgi, so with
# SAAS_TRANSPORT=nginx (test/run's second pass over auth, tokens and
# sessions) they go through nginx.

B64URL_RE='^[A-Za-z0-9_-]+$'
UUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
RFC3339_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'
JWT_RE='^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$'

fresh_id() {
	# The clock's last six digits (microseconds), two random numbers.
	printf '%s%04d%05d' "${EPOCHREALTIME: -6}" $((RANDOM % 10000)) "$RANDOM"
}

new_email() {
	printf '%s-%s@example.com' "${1:-user}" "$(fresh_id)"
}

new_slug() {
	printf '%s-%s' "${1:-t}" "$(fresh_id)"
}

new_password() {
	local pw
	pw="correct horse battery staple $(fresh_id)"
	remember_secret "$pw"
	printf '%s' "$pw"
}

remember_secret() {
	[[ -n ${1:-} ]] || return 0
	printf '%s\n' "$1" >>"${STACK_DIR:?no STACK_DIR}/secrets-used"
}

# The JSON text of a string.
jstr() {
	jq -Rn --arg s "$1" '$s'
}

# _auth_jstr VAR TEXT: VAR becomes the JSON text of TEXT, as jq -c writes
# it: in the shell when TEXT is printable ASCII (quote and backslash
# escaped), else by jq (control characters, non-ASCII, invalid UTF-8).
_auth_jstr() {
	local LC_ALL=C t=$2
	if [[ $t == *[!\ -~]* ]]; then
		printf -v "$1" '%s' "$(jq -nc --arg s "$t" '$s')"
	else
		t=${t//\\/\\\\}
		printf -v "$1" '"%s"' "${t//\"/\\\"}"
	fi
}

register() {
	local payload
	EMAIL=$1
	PASSWORD=${2:-$(new_password)}
	SLUG=${3-$(new_slug)}	# given as "", the slug is ""
	remember_secret "$PASSWORD"
	local e p s f n
	_auth_jstr e "$EMAIL"
	_auth_jstr p "$PASSWORD"
	_auth_jstr s "$SLUG"
	_auth_jstr f "${4:-Test User}"
	_auth_jstr n "${5:-Tenant $SLUG}"
	payload="{\"email\":$e,\"password\":$p,\"full_name\":$f,\"tenant_name\":$n,\"tenant_slug\":$s}"
	fcgi POST /api/v1/auth/register "$payload"
	USER_ID= TENANT_ID= JOB_ID=
	if [[ $status_code == 202 ]]; then
		_auth_fields '.user.id, .tenant.id, .job_id' USER_ID TENANT_ID JOB_ID
	fi
}

login() {
	local payload
	# Wrong passwords too: a log of failed logins must not hold them either.
	remember_secret "$2"
	local e p
	_auth_jstr e "$1"
	_auth_jstr p "$2"
	payload="{\"email\":$e,\"password\":$p}"
	ACCESS= REFRESH=
	if [[ -n ${3:-} ]]; then
		HTTP_X_TENANT_SLUG=$3 fcgi POST /api/v1/auth/login "$payload"
	else
		fcgi POST /api/v1/auth/login "$payload"
	fi
	if [[ $status_code == 200 ]]; then
		_auth_fields '.access_token, .refresh_token' ACCESS REFRESH
		remember_secret "$ACCESS"
		remember_secret "$REFRESH"
	fi
}

# _auth_fields JQ NAME...: one jq -r JQ on $body, its lines into the NAMEs
# in turn (one jq for what json would take one each); fails as json would.
_auth_fields() {
	local expr=$1 out
	shift
	out=$(json "$expr") || return
	local -a lines
	mapfile -t lines <<<"$out"
	local i=0 name
	for name in "$@"; do
		printf -v "$name" '%s' "${lines[i++]:-}"
	done
}

new_user() {
	register "$(new_email)" || return 1
	[[ $status_code == 202 ]] || {
		echo "new_user: register answered $status_code: $body" >&2
		return 1
	}
	# "new_user tenant": a session for the tenant just registered.
	login "$EMAIL" "$PASSWORD" "${1:+$SLUG}" || return 1
	[[ $status_code == 200 ]] || {
		echo "new_user: login answered $status_code: $body" >&2
		return 1
	}
}

as() {
	local token=$1
	shift
	HTTP_AUTHORIZATION="Bearer $token" fcgi "$@"
}

me() {
	as "$1" GET /api/v1/auth/me
}

refresh() {
	local r
	_auth_jstr r "$1"
	fcgi POST /api/v1/auth/refresh "{\"refresh_token\":$r}"
	if [[ $status_code == 200 ]]; then
		_auth_fields '.access_token, .refresh_token' ACCESS REFRESH
		remember_secret "$ACCESS"
		remember_secret "$REFRESH"
	fi
}

sql_quote() {
	printf "'%s'" "${1//\'/\'\'}"
}

mail_token() {
	local text token file
	text=$(psql_owner "SELECT payload->>'text' FROM public.jobs
	    WHERE kind = 'send_email' AND lower(payload->>'to') = lower($(sql_quote "$1"))
	    ORDER BY created_at DESC, id LIMIT 1")
	# Sent already (the runner takes the text out of the outbox): the mail file.
	if [[ -z $text && -d ${MAIL_DIR:-} ]]; then
		file=$(grep -lixF "To: $1" "$MAIL_DIR"/*.eml 2>/dev/null | xargs -r ls -t | head -n 1)
		[[ -z $file ]] || text=$(<"$file")
	fi
	token=$(sed -n 's/^Token: //p' <<<"$text" | head -n 1)
	[[ -n $token ]] || {
		echo "mail_token: no queued email with a token to $1" >&2
		return 1
	}
	remember_secret "$token"
	printf '%s' "$token"
}

b64url() {
	openssl base64 -A | tr '+/' '-_' | tr -d '='
}

forge_jwt() {
	local header=$1 payload=$2 secret=${3-$JWT_SECRET} alg=${4:-HS256} input sig
	input="$(printf '%s' "$header" | b64url).$(printf '%s' "$payload" | b64url)"
	case $alg in
	none) sig= ;;
	HS256) sig=$(printf '%s' "$input" | openssl dgst -sha256 -hmac "$secret" -binary | b64url) ;;
	HS384) sig=$(printf '%s' "$input" | openssl dgst -sha384 -hmac "$secret" -binary | b64url) ;;
	HS512) sig=$(printf '%s' "$input" | openssl dgst -sha512 -hmac "$secret" -binary | b64url) ;;
	*)
		echo "forge_jwt: unknown alg $alg" >&2
		return 1
		;;
	esac
	printf '%s.%s' "$input" "$sig"
}

_jwt_part() {
	local p
	p=$(cut -d. -f"$2" <<<"$1" | tr '_-' '/+')
	while ((${#p} % 4)); do p+='='; done
	base64 -d <<<"$p"
}

jwt_header() {
	_jwt_part "$1" 1
}

jwt_payload() {
	_jwt_part "$1" 2
}

audit_count() {
	local actor
	if [[ $2 == null ]]; then actor='actor_id IS NULL'; else actor="actor_id = '$2'"; fi
	psql_owner "SELECT count(*) FROM public.audit_logs
	    WHERE action = $(sql_quote "$1") AND $actor AND outcome = $(sql_quote "${3:-success}")"
}

bcrypt() {
	PW=$1 perl -e 'print crypt($ENV{PW}, q($2b$05$) . "abcdefghijklmnopqrstuu")'
}

sha512crypt() {
	PW=$1 perl -e 'print crypt($ENV{PW}, q($6$) . "saltsaltsalt")'
}

yescrypt() {
	PW=$1 perl -e 'print crypt($ENV{PW}, q($y$j9T$) . "abcdefghijklmnop")'
}

argon2_defaults_start() {
	local saved=() name
	for name in ARGON2_MEMORY_KIB ARGON2_ITERATIONS ARGON2_PARALLELISM; do
		[[ ! -v $name ]] || saved+=("$name=${!name}")
		unset "$name"
	done
	app_start "$@" || return
	((${#saved[@]} == 0)) || export "${saved[@]}"
}

now_ns() {
	date +%s%N
}

median() {
	sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
