# Helpers for every bats file: `load ../lib/common` at the top of the file.
#
# The stack's environment ($STACK_DIR/env, written by scripts/stack up) must
# be in the environment: test/run sources it. Run by hand against a running
# stack, this file sources ${STACK_DIR:-var}/env itself.
#
# Requests. Each sets these globals (so call them directly, not with `run`,
# which would lose them in its subshell):
#   status_code   the HTTP status (fcgi: from "Status:", 200 when absent)
#   headers       the response header lines, CRs stripped (http: the final
#                 response's, with its status line first)
#   body          the response body
# and prints a short trace on stderr, which bats shows when a test fails.
#
#   fcgi METHOD PATH [BODY]   one request straight to $FCGI_SOCKET (cgi-fcgi);
#                    with SAAS_TRANSPORT=nginx, the same request through
#                    nginx at $BASE_URL instead (curl; see _fcgi_nginx)
#   http METHOD PATH [curl args...]   one request through nginx ($BASE_URL)
#   post_json PATH JSON [curl args...]   a JSON POST through nginx
#   header NAME      prints that response header's value (case-insensitive);
#                    fails when absent
#   json EXPR [jq args...]    jq -r EXPR on $body
#   psql_owner SQL [psql args...]   SQL as saas_owner on the stack's database;
#                    bare rows, stops at the first error
#   psql_app SQL [psql args...]     the same as saas_app, the responders' role
#                    (for what the application may and may not do)
#   free_port        prints a free TCP port
#   wait_for SECONDS COMMAND...   retries COMMAND every 0.1 s until it succeeds
#   app_start [NAME=VALUE...]     a second saas-fcgi with the stack's settings
#                    plus these, on its own socket; FCGI_SOCKET points at it
#   app_stop         stops it (SIGTERM) and restores FCGI_SOCKET
#   close_fds        closes the descriptors above 2 (for servers a test starts)
#
# cgi-fcgi, as checked here (libfcgi-bin 2.4.2): it sends its whole
# environment as the FastCGI parameters (so fcgi runs it under env -i with
# only the parameters it means), and sends standard input as the body only
# when CONTENT_LENGTH is set and above 0. It streams standard input as it
# arrives, read by read (a body written in two parts three seconds apart
# reached the responder in two reads three seconds apart), so a slow writer
# keeps a request in flight; it forwards everything up to end of input,
# whatever CONTENT_LENGTH says, and ends the body early if input ends early.
# It exits non-zero (2) when it cannot connect.

# bats loads this file again for every test, and the load.bash of
# bats-support and bats-assert run dirname once for each of their files:
# a process each, some twenty a test. While they load, dirname is a function.
dirname() {
	local p=${1:-.}
	while [[ $p == ?*/ ]]; do p=${p%/}; done
	if [[ $p == */* ]]; then
		p=${p%/*}
		while [[ $p == ?*/ ]]; do p=${p%/}; done
		p=${p:-/}
	elif [[ $p != / ]]; then
		p=.
	fi
	printf '%s\n' "$p"
}
bats_load_library bats-support
bats_load_library bats-assert
unset -f dirname

_common_repo=$(cd "${BASH_SOURCE[0]%/*}/../.." && pwd)
if [[ -z ${FCGI_SOCKET:-} && -r ${STACK_DIR:-$_common_repo/var}/env ]]; then
	# shellcheck disable=SC1090,SC1091
	source "${STACK_DIR:-$_common_repo/var}/env"
fi
: "${REPO:=$_common_repo}"

# Parameters a caller may set in the environment of one fcgi call
# (HTTP_X_REQUEST_ID=abc fcgi GET /healthz); they win over the defaults.
_FCGI_PASS_RE='^(HTTP_[A-Z0-9_]+|TENANT_SLUG|CONTENT_TYPE|CONTENT_LENGTH|REMOTE_ADDR|REMOTE_PORT|SERVER_NAME|SERVER_PORT|SERVER_PROTOCOL|HTTPS|QUERY_STRING|DOCUMENT_URI|REQUEST_URI|SCRIPT_NAME)$'

# A private scratch file for one request.
_common_tmp() {
	local f
	_common_tmpvar f
	printf '%s\n' "$f"
}

# _common_tmpvar VAR: sets VAR to a new private scratch file, without a
# process: bats' directories are the test's own, so the shell's pid and a
# counter make the name unique; elsewhere mktemp does it.
_common_tmp_n=0
_common_tmpvar() {
	local d
	for d in "${BATS_TEST_TMPDIR:-}" "${BATS_FILE_TMPDIR:-}" "${BATS_RUN_TMPDIR:-}"; do
		if [[ -n $d && -d $d ]]; then
			((++_common_tmp_n))
			printf -v "$1" '%s/req.%s.%s' "$d" "$BASHPID" "$_common_tmp_n"
			: >"${!1}"
			return
		fi
	done
	printf -v "$1" '%s' "$(mktemp /tmp/req.XXXXXX)"
}

# _common_bytes TEXT: sets _common_n to the length of TEXT in bytes.
_common_bytes() {
	local LC_ALL=C
	_common_n=${#1}
}

# _common_slurp VAR FILE: VAR is FILE's text without its trailing newlines,
# as VAR=$(cat FILE) has it, without a process.
_common_slurp() {
	local _t=
	IFS= read -r -d '' _t <"$2" || true
	while [[ $_t == *$'\n' ]]; do _t=${_t%$'\n'}; done
	printf -v "$1" '%s' "$_t"
}

# The names of the exported variables a caller may pass as parameters
# (compgen -e, filtered by _FCGI_PASS_RE, without a subshell): sets _common_names.
_common_pass_names() {
	local name
	_common_names=()
	for name in ${!HTTP_*} TENANT_SLUG CONTENT_TYPE CONTENT_LENGTH REMOTE_ADDR REMOTE_PORT \
		SERVER_NAME SERVER_PORT SERVER_PROTOCOL HTTPS QUERY_STRING DOCUMENT_URI REQUEST_URI \
		SCRIPT_NAME; do
		[[ -v $name && ${!name@a} == *x* && $name =~ $_FCGI_PASS_RE ]] && _common_names+=("$name")
	done
	return 0
}

_common_trace() {
	printf '> %s %s\n< %s %s\n' "$1" "$2" "$status_code" "${body:0:500}" >&2
}

# cgi_params METHOD TARGET: the CGI parameters of a request straight to the
# pool, as a web server sends them for TARGET (path and query), into the
# array CGI_PARAMS; add to it what the request carries besides.
cgi_params() {
	local doc=${2%%\?*} query=''
	[[ $2 == *\?* ]] && query=${2#*\?}
	CGI_PARAMS=(
		GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD="$1" REQUEST_URI="$2"
		DOCUMENT_URI="$doc" SCRIPT_NAME="$doc" QUERY_STRING="$query"
		SERVER_PROTOCOL=HTTP/1.1 SERVER_NAME=localhost SERVER_PORT=80
		REMOTE_ADDR=127.0.0.1 REMOTE_PORT=40000
	)
}

# fcgi METHOD PATH [BODY]: BODY is the text itself, or @FILE. With a BODY,
# CONTENT_TYPE defaults to application/json and CONTENT_LENGTH is its size.
fcgi() {
	case ${SAAS_TRANSPORT:-} in
	'' | fcgi) ;;
	nginx)
		_fcgi_nginx "$@"
		return
		;;
	*)
		echo "fcgi: SAAS_TRANSPORT=$SAAS_TRANSPORT: not fcgi or nginx" >&2
		return 1
		;;
	esac
	local method=$1 target=$2 in=/dev/null out err rc name
	cgi_params "$method" "$target"
	local params=("${CGI_PARAMS[@]}")
	if (($# >= 3)); then
		if [[ $3 == @* ]]; then
			in=${3#@}
			_common_n=$(stat -c %s "$in")
		else
			_common_tmpvar in
			printf '%s' "$3" >"$in"
			_common_bytes "$3"
		fi
		params+=(CONTENT_TYPE=application/json CONTENT_LENGTH="$_common_n")
	fi
	_common_pass_names
	for name in "${_common_names[@]}"; do
		params+=("$name=${!name}")
	done

	_common_tmpvar out
	_common_tmpvar err
	rc=0
	env -i "${params[@]}" cgi-fcgi -bind -connect "${FCGI_SOCKET:?no FCGI_SOCKET: is the stack up?}" \
		<"$in" >"$out" 2>"$err" || rc=$?
	if ((rc != 0)); then
		echo "fcgi: cgi-fcgi failed ($rc): $(cat "$err")" >&2
		return 1
	fi
	_common_cgi_response "$out"
	_common_trace "$method" "$target"
}

# _common_cgi_response FILE: headers, body and status_code from a CGI
# response. The header block ends at the first empty line (CRLF or LF);
# header lines lose their CR; the body keeps its bytes but its trailing
# newlines. (In the shell alone: these run for every request.)
_common_cgi_response() {
	local line rest= blank=0 re='^[Ss][Tt][Aa][Tt][Uu][Ss]: *([0-9][0-9][0-9])'
	headers= body= status_code=
	{
		while IFS= read -r line || [[ -n $line ]]; do
			line=${line%$'\r'}
			if [[ -z $line ]]; then
				blank=1
				break
			fi
			headers+=${headers:+$'\n'}$line
			[[ -n $status_code || ! $line =~ $re ]] || status_code=${BASH_REMATCH[1]}
		done
		((blank == 0)) || IFS= read -r -d '' rest || true
	} <"$1"
	while [[ $rest == *$'\n' ]]; do rest=${rest%$'\n'}; done
	body=$rest
	status_code=${status_code:-200}
}

# fcgi under SAAS_TRANSPORT=nginx: the same request through the stack's nginx
# (conf/saas-server.nginx and conf/fastcgi_params.saas make the parameters),
# with the same globals and trace. The caller's parameters become what nginx
# turns back into them: HTTP_FOO_BAR the header Foo-Bar, CONTENT_TYPE the
# Content-Type, TENANT_SLUG=x the host x.localhost (the stack's "map $host
# $tenant_slug"); REMOTE_ADDR is curl's, 127.0.0.1, as fcgi's default. curl's
# own User-Agent, Accept and Expect are left out, as cgi-fcgi sends none.
# What cannot reach the app that way fails the call: a CONTENT_LENGTH not the
# body's, another REMOTE_ADDR, a QUERY_STRING not the PATH's, the other
# connection parameters (SERVER_*, REMOTE_PORT, HTTPS, ...), a TENANT_SLUG the
# map does not take, a header value with a line break, and FCGI_SOCKET moved
# by hand to a saas-fcgi with no nginx in front (app_start gives its own
# one an nginx of its own in this mode). headers holds
# nginx's response header lines, without the status line.
_fcgi_nginx() {
	local method=$1 target=$2 doc=${2%%\?*} query='' in='' out hdr name value hname word
	local ctype='' send_ctype=0 host='' slug=''
	local -a parts
	local -A sent=()
	[[ $target == *\?* ]] && query=${target#*\?}
	local args=(-sS --noproxy '*' --globoff --path-as-is --max-time "${HTTP_TIMEOUT:-30}")
	if [[ -n ${APP_SAVED_FCGI_SOCKET:-} && ${FCGI_SOCKET:-} != "$APP_SAVED_FCGI_SOCKET" &&
	    -z ${APP_NGINX_DIR:-} ]]; then
		_fcgi_refuse "FCGI_SOCKET=$FCGI_SOCKET (app_start's saas-fcgi) has no nginx in front"
		return 1
	fi
	if (($# >= 3)); then
		if [[ $3 == @* ]]; then
			in=${3#@}
		else
			_common_tmpvar in
			printf '%s' "$3" >"$in"
		fi
		ctype=application/json send_ctype=1
	fi
	_common_pass_names
	for name in "${_common_names[@]}"; do
		value=${!name}
		case $name in
		HTTP_PROXY | HTTP_CONTENT_TYPE | HTTP_CONTENT_LENGTH | HTTP_TRANSFER_ENCODING | HTTP_CONNECTION)
			_fcgi_refuse "$name: nginx sets or clears that parameter itself"
			return 1
			;;
		HTTP_*)
			if [[ $value == *[$'\r\n']* ]]; then
				_fcgi_refuse "$name holds a line break"
				return 1
			fi
			# HTTP_X_TENANT_SLUG -> X-Tenant-Slug
			IFS=_ read -ra parts <<<"${name#HTTP_}"
			hname=
			for word in "${parts[@]}"; do
				word=${word,,}
				hname+=${hname:+-}${word^}
			done
			sent[${hname,,}]=1
			if [[ $name == HTTP_HOST ]]; then
				host=$value
			elif [[ -z $value ]]; then
				args+=(-H "$hname;")	# curl's way to send an empty header
			else
				args+=(-H "$hname: $value")
			fi
			;;
		TENANT_SLUG)
			if ! [[ $value =~ ^[a-z][a-z0-9-]{1,54}[a-z0-9]$ ]]; then
				_fcgi_refuse "TENANT_SLUG='$value': the stack's nginx maps only a well-formed <slug>.localhost"
				return 1
			fi
			slug=$value
			;;
		CONTENT_TYPE) ctype=$value send_ctype=1 ;;
		CONTENT_LENGTH)
			if [[ -z $in || $value != "$(stat -c %s "$in")" ]]; then
				_fcgi_refuse "CONTENT_LENGTH=$value: nginx sends the length of the body"
				return 1
			fi
			;;
		REMOTE_ADDR)
			if [[ $value != 127.0.0.1 ]]; then
				_fcgi_refuse "REMOTE_ADDR=$value: through nginx it is curl's, 127.0.0.1"
				return 1
			fi
			;;
		QUERY_STRING | REQUEST_URI | DOCUMENT_URI | SCRIPT_NAME)
			case $name in
			QUERY_STRING) word=$query ;;
			REQUEST_URI) word=$target ;;
			*) word=$doc ;;
			esac
			if [[ $value != "$word" ]]; then
				_fcgi_refuse "$name='$value': nginx takes it from the request line ($target)"
				return 1
			fi
			;;
		*)
			_fcgi_refuse "$name=$value: nginx sets it from the connection"
			return 1
			;;
		esac
	done
	if [[ -n $slug ]]; then
		if [[ -n $host ]]; then
			_fcgi_refuse "both TENANT_SLUG and HTTP_HOST: the slug travels as the host"
			return 1
		fi
		host=$slug.localhost
	fi
	[[ -z $host ]] || args+=(-H "Host: $host")
	if ((send_ctype)); then
		if [[ -z $ctype ]]; then args+=(-H 'Content-Type;'); else args+=(-H "Content-Type: $ctype"); fi
	fi
	for word in User-Agent Accept Expect; do
		[[ -n ${sent[${word,,}]:-} ]] || args+=(-H "$word:")
	done
	[[ -z $in ]] || args+=(--data-binary "@$in")
	if [[ $method == HEAD ]]; then args+=(--head); else args+=(-X "$method"); fi

	_common_tmpvar hdr
	_common_tmpvar out
	status_code=$(curl "${args[@]}" -D "$hdr" -o "$out" -w '%{http_code}' \
		"${BASE_URL:?no BASE_URL: is the stack up?}$target") || {
		echo "fcgi: curl failed on $method $BASE_URL$target" >&2
		return 1
	}
	_common_http_headers "$hdr" 0
	# curl --head writes the headers to -o as well: a HEAD answer has no body.
	if [[ $method == HEAD ]]; then body=; else _common_slurp body "$out"; fi
	_common_trace "$method" "$target"
}

# _common_http_headers FILE WITH_STATUS: headers from curl -D's FILE: the
# lines of the last response (it writes each, a "100 Continue" first), CRs
# stripped, empty lines left out; its status line too when WITH_STATUS is 1.
_common_http_headers() {
	local line
	headers=
	while IFS= read -r line || [[ -n $line ]]; do
		line=${line%$'\r'}
		if [[ $line == HTTP/* ]]; then
			headers=
			(($2)) || continue
		fi
		[[ -z $line ]] || headers+=${headers:+$'\n'}$line
	done <"$1"
}

_fcgi_refuse() {
	echo "fcgi: cannot go through nginx (SAAS_TRANSPORT=nginx): $*" >&2
}

# http METHOD PATH [curl args...]: through nginx at $BASE_URL; PATH may also
# be a whole URL (another server). Give the body with curl's own arguments:
# http POST /api/v1/x -H 'Content-Type: application/json' --data-binary '{...}'
http() {
	local method=$1 target=$2 url hdr out
	shift 2
	url=$target
	[[ $url == http://* || $url == https://* ]] || url=${BASE_URL:?no BASE_URL: is the stack up?}$target
	_common_tmpvar hdr
	_common_tmpvar out
	local args=(-sS -D "$hdr" -o "$out" -w '%{http_code}' --max-time "${HTTP_TIMEOUT:-30}")
	if [[ $method == HEAD ]]; then args+=(--head); else args+=(-X "$method"); fi
	status_code=$(curl "${args[@]}" "$@" "$url") || {
		echo "http: curl failed on $method $url" >&2
		return 1
	}
	# -D writes every response (a "100 Continue" first): keep the last.
	_common_http_headers "$hdr" 1
	# curl --head writes the headers to -o as well: a HEAD answer has no body.
	if [[ $method == HEAD ]]; then body=; else _common_slurp body "$out"; fi
	_common_trace "$method" "$url"
}

# post_json PATH JSON [curl args...]: a JSON POST through nginx.
post_json() {
	local path=$1 data=$2
	shift 2
	http POST "$path" -H 'Content-Type: application/json' --data-binary "$data" "$@"
}

# header NAME: the value of that response header (each, if repeated).
header() {
	local line value name=${1,,} found=1
	while IFS= read -r line; do
		[[ $line == *:* ]] || continue
		value=${line%%:*}
		[[ ${value,,} == "$name" ]] || continue
		value=${line#*:}
		value=${value#"${value%%[!$' \t']*}"}
		printf '%s\n' "$value"
		found=0
	done <<<"$headers"
	return "$found"
}

json() {
	jq -r "$@" <<<"$body"
}

# Runs the job runner over what is due and returns when the queue is empty,
# as cron's saas-jobs --once would. Its log joins the stack's.
run_jobs() {
	"${SAAS_JOBS_BIN:?no SAAS_JOBS_BIN: is the stack up?}" --once --max-seconds 60 "$@" \
		>>"$STACK_DIR/log/saas-jobs.log" 2>&1 3>&-
}

psql_owner() {
	_common_psql "${DATABASE_OWNER_URL:?no DATABASE_OWNER_URL: is the stack up?}" "$@"
}

psql_app() {
	_common_psql "${DATABASE_URL:?no DATABASE_URL: is the stack up?}" "$@"
}

# _common_psql URL SQL [psql args...]
_common_psql() {
	local url=$1 sql=$2
	shift 2
	psql "$url" -XAtq -v ON_ERROR_STOP=1 -c "$sql" "$@"
}

free_port() {
	"$REPO/scripts/stack" free-port
}

wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS < deadline)) || return 1
		sleep 0.1
	done
}

# close_fds: closes every descriptor above 2 of the current (sub)shell. A
# server a test starts in the background must not hold bats' descriptors
# (3 above all), or bats waits for it after the last test:
#   ( close_fds; exec my-server >log 2>&1 ) &
close_fds() {
	local fd
	for fd in "/proc/$BASHPID/fd"/*; do
		fd=${fd##*/}
		((fd > 2)) || continue
		exec {fd}>&- || true
	done
}

# pool_dir: a new directory the pool's user (RUN_AS_USER) owns, for the
# socket and the configuration file of a saas-fcgi a test starts itself:
# started as root, the pool serves as that user, which removes its socket at
# exit and reads the file again on SIGHUP.
pool_dir() {
	local d
	d=$(mktemp -d "$STACK_DIR/pool.XXXXXX")
	chmod 0755 "$d"
	chown "${RUN_AS_USER:?no RUN_AS_USER: is the stack up?}" "$d"
	echo "$d"
}

# app_start [NAME=VALUE...]: for a test that needs other settings (rate
# limits, say) than the stack's. Call it in setup_file or setup, and
# app_stop in the matching teardown. The log goes to $STACK_DIR/log/app-PID.log.
app_start() {
	local bin=${SAAS_FCGI_BIN:-$REPO/${BUILD:-build}/saas-fcgi}
	export APP_SAVED_FCGI_SOCKET=${APP_SAVED_FCGI_SOCKET:-$FCGI_SOCKET}
	# A directory of the pool's user: serving as RUN_AS_USER, it removes
	# the socket itself at exit.
	APP_SOCKET=$(pool_dir)/app.sock
	export APP_SOCKET
	# Detached from bats' descriptors, or bats would wait for it to exit.
	(
		close_fds
		exec env SOCKET_GROUP="${SOCKET_GROUP:-www-data}" "$@" "$bin" --listen "unix:$APP_SOCKET" \
			</dev/null >>"$STACK_DIR/log/app-$$.log" 2>&1
	) &
	export APP_PID=$!
	wait_for 15 test -S "$APP_SOCKET" || {
		echo "app_start: no socket; log:" >&2
		tail -n 20 "$STACK_DIR/log/app-$$.log" >&2
		return 1
	}
	export FCGI_SOCKET=$APP_SOCKET
	[[ ${SAAS_TRANSPORT:-} != nginx ]] || app_nginx_start
}

# Through nginx, app_start's saas-fcgi gets an nginx of its own: the stack's
# configuration with its own port, socket, pid and temporary files.
app_nginx_start() {
	local port
	port=$(free_port)
	export APP_NGINX_DIR=$STACK_DIR/nginx-app-$$
	mkdir -p "$APP_NGINX_DIR/tmp"
	chmod 0711 "$APP_NGINX_DIR"
	ln -sfn "$REPO/conf" "$APP_NGINX_DIR/saas"
	sed -e "s|unix:$APP_SAVED_FCGI_SOCKET;|unix:$APP_SOCKET;|" \
	    -e "s|listen 127.0.0.1:$HTTP_PORT |listen 127.0.0.1:$port |" \
	    -e "s|$STACK_DIR/run/nginx.pid|$APP_NGINX_DIR/nginx.pid|" \
	    -e "s|$STACK_DIR/nginx/tmp|$APP_NGINX_DIR/tmp|g" \
	    -e "s|nginx-access.log|nginx-app-access.log|; s|nginx-error.log|nginx-app-error.log|" \
	    "$STACK_DIR/nginx/nginx.conf" >"$APP_NGINX_DIR/nginx.conf"
	( close_fds; exec nginx -p "$APP_NGINX_DIR/" -c "$APP_NGINX_DIR/nginx.conf" \
	    -e "$STACK_DIR/log/nginx-app-error.log" )
	export APP_SAVED_BASE_URL=$BASE_URL BASE_URL=http://127.0.0.1:$port
	wait_for 10 curl -fsS -o /dev/null "$BASE_URL/healthz"
}

_app_nginx_gone() {
	! pgrep -f -- "$APP_NGINX_DIR/" >/dev/null
}

app_nginx_stop() {
	[[ -n ${APP_NGINX_DIR:-} ]] || return 0
	[[ -s $APP_NGINX_DIR/nginx.pid ]] && kill -QUIT "$(cat "$APP_NGINX_DIR/nginx.pid")" 2>/dev/null
	# Not "bash -c '! pgrep ...'": pgrep would find that bash, whose command
	# line names the directory too, and wait out the whole 10 s.
	wait_for 10 _app_nginx_gone || true
	export BASE_URL=$APP_SAVED_BASE_URL
	unset APP_NGINX_DIR APP_SAVED_BASE_URL
}

app_stop() {
	app_nginx_stop
	[[ -n ${APP_PID:-} ]] || return 0
	kill -TERM "$APP_PID" 2>/dev/null || true
	wait_for 15 bash -c "! kill -0 $APP_PID 2>/dev/null || [[ \$(ps -o stat= -p $APP_PID) == Z* ]]" ||
		kill -KILL "$APP_PID" 2>/dev/null || true
	rm -f "$APP_SOCKET"
	export FCGI_SOCKET=$APP_SAVED_FCGI_SOCKET
	unset APP_PID APP_SOCKET APP_SAVED_FCGI_SOCKET
}
