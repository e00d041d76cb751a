#!/usr/bin/env bats
# Bad input, everywhere (issue #6, "Hardening"). Every route of
# `saas-fcgi --routes`, joined with what the served OpenAPI document says it
# takes (a JSON or form body and its fields, query parameters), is sent each
# kind of bad input in the tables below: malformed JSON, wrong types, deep
# nesting, huge strings, invalid UTF-8 and NUL, duplicate keys, wrong content
# types, absent, enormous and lying Content-Length, bad query strings and
# cursors, garbage path parameters and Authorization headers, and headers
# that are not UTF-8. Each must get the documented 4xx in API.md's error
# shape {"error": {"code", "message", "request_id"}} (the form route: OAuth2's
# {"error", "error_description"}), never a 5xx, never a hang; after each
# batch the pool has the same workers, none died, and /healthz answers.
#
# The caller is the one the route's gate lets through, so that the body is
# reached: nobody on public and bearer-if-given routes, else the owner of a
# ready tenant who is a superuser too (one registration for the whole file).
#
# Requests go straight to the socket (one cgi-fcgi each), or through nginx
# with SAAS_TRANSPORT=nginx (one curl each), as fcgi in test/lib/common.bash
# does; the answers of a batch are checked together by one jq at its end.
# A request slower than SLOW_MS counts as a hang; BATS_TEST_TIMEOUT ends a
# test that stalls.

load ../lib/common
load ../lib/auth
load ../lib/tenancy

BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-300}
SLOW_MS=${SLOW_MS:-10000}
MAX_JSON_DEPTH=${MAX_JSON_DEPTH:-32}
MAX_BODY_BYTES=${MAX_BODY_BYTES:-1048576}
export LC_ALL=C

setup_file() {
	ready_owner
	psql_owner "UPDATE public.users SET is_superuser = true WHERE id = '$OWNER_ID'" >/dev/null
	export TOKEN=$OWNER SLUG=$OWNER_SLUG
	export TABLE=$BATS_FILE_TMPDIR/routes
	fcgi GET /api/v1/openapi.json
	[[ $status_code == 200 ]] || return 1
	printf '%s' "$body" >"$BATS_FILE_TMPDIR/openapi.json"
	"${SAAS_FCGI_BIN:-$REPO/build/saas-fcgi}" --routes >"$BATS_FILE_TMPDIR/routes.txt"
	route_table "$BATS_FILE_TMPDIR/routes.txt" "$BATS_FILE_TMPDIR/openapi.json" >"$TABLE"
}

setup() {
	BATCH=$BATS_TEST_TMPDIR/batch
	mkdir -p "$BATCH"
	: >"$BATCH/meta"
	ASKED=0
	POOL_PID=$(<"$STACK_DIR/run/saas-fcgi.pid")
	WORKERS_BEFORE=$(workers)
	DEATHS_BEFORE=$(deaths)
}

# --- the table ---------------------------------------------------------------

# route_table ROUTES OPENAPI: one line per route, tab-separated:
#   METHOD PATH ACCESS BODY FIELDS PAGED FILTERS
# BODY json, form or -; FIELDS name:type,... of the body (type string,
# integer, number, boolean, or any); PAGED paged or -; FILTERS the other
# query parameters, name:kind:maxLength,... (kind enum, uuid, date-time or
# string). A route the document lacks is a line "MISSING METHOD PATH".
route_table() {
	jq -r --rawfile routes "$1" '
	. as $doc
	| def param: if has("$ref") then $doc.components.parameters[.["$ref"] | ltrimstr("#/components/parameters/")] else . end;
	  def typ: if .type then .type elif .const != null then (.const | type)
	           elif .enum then (.enum[0] | type) else "any" end;
	  def kind: if .enum then "enum" elif .format then .format else "string" end;
	  def orDash: if . == "" then "-" else . end;
	$routes | split("\n")[] | select(length > 0) | split(" ") as [$m, $p, $a]
	| $doc.paths[$p][$m | ascii_downcase] as $op
	| if $op == null then "MISSING \($m) \($p)" else
	    ($op.requestBody.content // {}) as $c
	    | (if $c["application/json"] then "json"
	       elif $c["application/x-www-form-urlencoded"] then "form" else "-" end) as $body
	    | ([$c[] | .schema.properties // {} | to_entries[] | "\(.key):\(.value | typ)"]
	       | unique | join(",") | orDash) as $fields
	    | [$op.parameters[]? | param | select(.in == "query")] as $q
	    | (if any($q[]; .name == "limit") then "paged" else "-" end) as $paged
	    | ([$q[] | select(.name != "limit" and .name != "cursor")
	        | "\(.name):\(.schema | kind):\(.schema.maxLength // "-")"] | join(",") | orDash) as $filters
	    | [$m, $p, $a, $body, $fields, $paged, $filters] | join("\t")
	  end' "$2"
}

# rows [BODY] [PAGED]: the table's lines, or those with that body kind
# (any for all) and paging.
rows() {
	local m p a b f pg fl
	while IFS=$'\t' read -r m p a b f pg fl; do
		[[ $m != MISSING ]] || fail "the OpenAPI document has no $p $a"
		[[ ${1:-any} == any || $b == "$1" ]] || continue
		[[ -z ${2:-} || $pg == "$2" ]] || continue
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$m" "$p" "$a" "$b" "$f" "$pg" "$fl"
	done <"$TABLE"
}

# A made-up value for each path parameter: nothing is found there.
fill() {
	local p=$1
	p=${p//\{slug\}/no-such-tenant}
	while [[ $p =~ \{[a-z_]+\} ]]; do
		p=${p/"${BASH_REMATCH[0]}"/00000000-0000-4000-8000-0000000000aa}
	done
	printf '%s' "$p"
}

# The caller who gets past ACCESS's gate: sets AUTH and TENANT.
caller() {
	case $1 in
	public | bearer-if-given) AUTH='' TENANT='' ;;
	*) AUTH="Bearer $TOKEN" TENANT=$SLUG ;;
	esac
}

# body_file TEXT [FIELD]: a new body file of TEXT, its backslash escapes
# (\n, \xHH, \\) expanded and @F replaced by FIELD; its path in REPLY.
body_file() {
	REPLY=$BATCH/req.$((++BODIES))
	printf '%b' "${1//@F/${2:-x}}" >"$REPLY"
}
BODIES=0

# --- asking and checking -----------------------------------------------------

# ask LABEL WANT METHOD PATH [BODY_FILE]: one request, its answer kept for
# verify. The caller's headers: AUTH (Authorization), TENANT (X-Tenant-Slug),
# HOST, AGENT (User-Agent), when set; with a body, CTYPE (default
# application/json; "" for none) and, through the socket only, CLEN ("" for
# no Content-Length; default the body's size). WANT is one or more
# alternatives joined by "|", each "STATUS CODE [FIELD:ISSUE...]" (CODE * for
# any code, ISSUE * for any issue; the form route's errors "STATUS
# oauth:ERROR"), "STATUS" alone (that status, any body), or "any": below
# 500, and in the error shape when 4xx.
ask() {
	local label=$1 want=$2 method=$3 path=$4 file=${5:-} n
	n=$((++ASKED))
	label=${label//[^[:print:]]/?}
	_ask "$n" "$label" "$want" "$method" "$path" "$file" &
	ASK_PIDS+=("$!")
	# ASK_PARALLEL at a time: the pool has more workers than that.
	((n % ASK_PARALLEL)) || asked
}
ASK_PARALLEL=${ASK_PARALLEL:-3}
ASK_PIDS=()

# Waits for the requests under way (only those: bats has its own jobs).
asked() {
	# An answer that was not recorded is verify's to count.
	((${#ASK_PIDS[@]} == 0)) || wait "${ASK_PIDS[@]}" || true
	ASK_PIDS=()
}

_ask() {
	local n=$1 label=$2 want=$3 method=$4 path=$5 file=$6 out t0 ms rid=- www=-
	out=$BATCH/$n
	t0=${EPOCHREALTIME/./}
	if [[ ${SAAS_TRANSPORT:-} == nginx ]]; then
		_ask_nginx "$method" "$path" "$file" "$out"
	else
		_ask_fcgi "$method" "$path" "$file" "$out"
	fi
	ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
	[[ $ASK_HEADERS =~ X-Request-ID:\ *([^$'\r\n']+) ]] && rid=${BASH_REMATCH[1]}
	[[ $ASK_HEADERS =~ WWW-Authenticate:\ *Bearer ]] && www=bearer
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$label" "$want" "$ASK_STATUS" "$rid" "$www" "$ms" >>"$BATCH/meta"
}

_ask_fcgi() {
	local method=$1 path=$2 file=$3 out=$4 raw='' size
	cgi_params "$method" "$path"
	local params=("${CGI_PARAMS[@]}")
	[[ -z ${AUTH:-} ]] || params+=("HTTP_AUTHORIZATION=$AUTH")
	[[ -z ${TENANT:-} ]] || params+=("HTTP_X_TENANT_SLUG=$TENANT")
	[[ -z ${HOST:-} ]] || params+=("HTTP_HOST=$HOST")
	[[ -z ${AGENT:-} ]] || params+=("HTTP_USER_AGENT=$AGENT")
	if [[ -n $file ]]; then
		size=${SIZE[$file]:-}
		[[ -n $size ]] || size=$(stat -c %s "$file")
		params+=("CONTENT_TYPE=${CTYPE-application/json}" "CONTENT_LENGTH=${CLEN-$size}")
	fi
	ASK_STATUS=000 ASK_HEADERS=
	env -i "${params[@]}" cgi-fcgi -bind -connect "$FCGI_SOCKET" \
		<"${file:-/dev/null}" >"$out.raw" 2>/dev/null || return 0
	IFS= read -r -d '' raw <"$out.raw" || true
	ASK_HEADERS=${raw%%$'\r\n\r\n'*}
	# Each body ends with a line break, or jq -R (verify) runs it into the next file's.
	printf '%s\n' "${raw#*$'\r\n\r\n'}" >"$out.body"
	ASK_STATUS=200
	[[ $ASK_HEADERS =~ Status:\ ([0-9]{3}) ]] && ASK_STATUS=${BASH_REMATCH[1]}
	return 0
}

_ask_nginx() {
	local method=$1 path=$2 file=$3 out=$4
	local args=(-sS --noproxy '*' --globoff --path-as-is --max-time 30 -D "$out.hdr" -o "$out.body"
		-w '%{http_code}' -X "$method" -H 'Accept:' -H 'Expect:')
	[[ -z ${AUTH:-} ]] || args+=(-H "Authorization: $AUTH")
	[[ -z ${TENANT:-} ]] || args+=(-H "X-Tenant-Slug: $TENANT")
	[[ -z ${HOST:-} ]] || args+=(-H "Host: $HOST")
	if [[ -n ${AGENT:-} ]]; then args+=(-H "User-Agent: $AGENT"); else args+=(-H 'User-Agent:'); fi
	if [[ -n $file ]]; then
		args+=(--data-binary "@$file")
		if [[ -n ${CTYPE-application/json} ]]; then
			args+=(-H "Content-Type: ${CTYPE-application/json}")
		else
			args+=(-H 'Content-Type:')
		fi
	fi
	ASK_HEADERS=
	ASK_STATUS=$(curl "${args[@]}" "$BASE_URL$path" 2>/dev/null) || ASK_STATUS=000
	[[ ! -r $out.hdr ]] || IFS= read -r -d '' ASK_HEADERS <"$out.hdr" || true
	printf '\n' >>"$out.body"
	return 0
}

# sizes: the byte size of every body file made so far (one stat), for
# CONTENT_LENGTH.
declare -gA SIZE=()
sizes() {
	local name size
	compgen -G "$BATCH/req.*" >/dev/null || return 0
	while read -r name size; do
		SIZE[$name]=$size
	done < <(stat -c '%n %s' "$BATCH"/req.*)
}

# verify: checks every answer of the batch against its WANT; fails with the
# list of those that differ.
verify() {
	local bad
	asked
	((ASKED > 0)) || fail "verify: nothing was asked"
	[[ $(wc -l <"$BATCH/meta") == "$ASKED" ]] || fail "verify: $ASKED asked, $(wc -l <"$BATCH/meta") recorded"
	bad=$(jq -rRn --rawfile meta "$BATCH/meta" --arg dir "$BATCH" --argjson slow "$SLOW_MS" '
		(reduce inputs as $l ({}; .[input_filename] += $l + "\n")) as $bodies
		| def envelope($rid):
		    (.error | type) == "object" and (.error.code | type) == "string"
		    and (.error.message | type) == "string" and (.error.message | length) > 0
		    and .error.request_id == $rid
		    and ((.error | keys) - ["code", "message", "request_id", "details"] | length) == 0;
		  def issues: [.error.details[]? | "\(.field):\(.issue)"];
		  def meets($b; $st; $rid; $www; $w):
		    ($w | split(" ")) as $p
		    | if $w == "any" then
		        ($st | tonumber) < 500 and ($st | tonumber) >= 100
		        and (($st | startswith("4") | not) or ($b != null and ($b | envelope($rid) or (.error | type) == "string")))
		      elif ($p | length) == 1 then $st == $p[0]
		      elif ($p[1] | startswith("oauth:")) then
		        $st == $p[0] and $b != null and $b.error == ($p[1] | ltrimstr("oauth:"))
		        and ($b.error_description | type) == "string"
		      else
		        $st == $p[0] and $b != null and ($b | envelope($rid))
		        and ($p[1] == "*" or $b.error.code == $p[1])
		        and (($b | issues) as $have | all($p[2:][]; . as $i
		              | if ($i | endswith(":*")) then any($have[]; startswith($i | rtrimstr("*")))
		                else $have | index([$i]) != null end))
		        and ($p[1] != "UNAUTHENTICATED" or $www == "bearer")
		      end;
		$meta | split("\n")[] | select(length > 0) | split("\t") as [$n, $what, $want, $st, $rid, $www, $ms]
		| ($bodies["\($dir)/\($n).body"] // "" | rtrimstr("\n")) as $raw
		| ($raw | try fromjson catch null) as $b
		| if ($ms | tonumber) > $slow then "\($what): took \($ms) ms"
		  elif any($want | split("|")[]; meets($b; $st; $rid; $www; .)) then empty
		  else "\($what): want \($want), got \($st) \($raw[0:240])" end
		' "$BATCH"/*.body /dev/null)
	if [[ -n $bad ]]; then
		printf '%s\n' "$bad" | head -n 60
		fail "$(wc -l <<<"$bad") of $ASKED answers differ from the table"
	fi
}

# --- the pool survives -------------------------------------------------------

workers() {
	pgrep -P "$POOL_PID" | sort -n | tr '\n' ' '
}

deaths() {
	grep -cE 'pool: worker [0-9]+ (killed by signal|exited with)' "$STACK_DIR/log/saas-fcgi.log" || true
}

# The workers of setup, none dead since, and /healthz answering.
pool_survived() {
	local now
	if [[ $(deaths) != "$DEATHS_BEFORE" ]]; then
		grep -E 'pool: worker [0-9]+ (killed by signal|exited with)' "$STACK_DIR/log/saas-fcgi.log" | tail -n 5
		fail "a worker died during the batch"
	fi
	now=$(workers)
	[[ $now == "$WORKERS_BEFORE" ]] || fail "workers were $WORKERS_BEFORE, now $now"
	fcgi GET /healthz
	assert_equal "$status_code" 200
}

# --- JSON bodies ---------------------------------------------------------------

# each_json LABEL WANT FORMAT...: every JSON route gets a body of each FORMAT
# (printf, @F for its first field), as the caller its gate lets through.
each_json() {
	local label=$1 want=$2 fmt m p a b f pg fl field
	shift 2
	local -a plan=()
	while IFS=$'\t' read -r m p a b f pg fl; do
		field=${f%%,*}
		field=${field%%:*}
		for fmt in "$@"; do
			body_file "$fmt" "$field"
			plan+=("$m"$'\t'"$(fill "$p")"$'\t'"$a"$'\t'"$REPLY"$'\t'"$fmt")
		done
	done < <(rows json)
	sizes
	for line in "${plan[@]}"; do
		IFS=$'\t' read -r m p a file fmt <<<"$line"
		caller "$a"
		ask "$label $m $p ${fmt:0:60}" "$want" "$m" "$p" "$file"
	done
}

@test "the table: every route is in the OpenAPI document, and some take bodies and pages" {
	run rows
	assert_success
	[[ $(grep -c $'\tjson\t' <<<"$output") -ge 15 ]] || fail "few JSON routes: $output"
	[[ $(grep -c $'\tform\t' <<<"$output") -ge 1 ]] || fail "no form route: $output"
	[[ $(grep -c $'\tpaged\t' <<<"$output") -ge 3 ]] || fail "few paged routes: $output"
	[[ $(wc -l <"$BATS_FILE_TMPDIR/routes.txt") == $(wc -l <"$TABLE") ]]
}

@test "malformed JSON on every JSON route answers 400 INVALID_JSON" {
	each_json malformed '400 INVALID_JSON' \
		'{"@F":' '{"@F":"x",}' "{'@F':'x'}" '{"@F":"x"}garbage' '{"@F":"a\nb"}' '' ' \n '
	verify
	pool_survived
}

@test "a body that is not an object answers 422 VALIDATION_FAILED body:type" {
	each_json not-an-object '422 VALIDATION_FAILED body:type' '[]' '"text"' 'null'
	verify
	pool_survived
}

@test "fields of the wrong JSON type answer 422 VALIDATION_FAILED with issue type for each" {
	local m p a b f pg fl v vt spec name type parts file want
	local -a plan=()
	while IFS=$'\t' read -r m p a b f pg fl; do
		for v in 42 true null '[]' '{}' '"text"'; do
			case $v in
			42) vt=integer ;; true) vt=boolean ;; null) vt=null ;;
			'[]') vt=array ;; '{}') vt=object ;; *) vt=string ;;
			esac
			parts='' want='422 VALIDATION_FAILED'
			for spec in ${f//,/ }; do
				name=${spec%%:*} type=${spec#*:}
				# Only a value of another type than the field's; 42 is a number too.
				[[ $type == any || $type == "$vt" || ($type == number && $vt == integer) ]] && continue
				parts+=${parts:+,}"\"$name\":$v"
				want+=" $name:type"
			done
			[[ -n $parts ]] || continue
			body_file "{$parts}"
			file=$REPLY
			plan+=("$m"$'\t'"$(fill "$p")"$'\t'"$a"$'\t'"$file"$'\t'"$want"$'\t'"{$parts}")
		done
	done < <(rows json)
	sizes
	for line in "${plan[@]}"; do
		IFS=$'\t' read -r m p a file want parts <<<"$line"
		caller "$a"
		ask "wrong type $m $p ${parts:0:60}" "$want" "$m" "$p" "$file"
	done
	verify
	pool_survived
}

@test "nesting past MAX_JSON_DEPTH answers 400 INVALID_JSON; up to it, the fields are checked" {
	local d=$MAX_JSON_DEPTH
	local open close far_open far_close
	printf -v open '%*s' $((d - 1)) ''
	printf -v close '%*s' $((d - 1)) ''
	open=${open// /[} close=${close// /]}
	# The object and d - 1 arrays: depth d, parsed, then refused by the field check.
	each_json "depth $d" '422 VALIDATION_FAILED' "{\"@F\":$open$close}"
	each_json "depth $((d + 1))" '400 INVALID_JSON' "{\"@F\":[$open$close]}"
	local objs ends
	printf -v objs '%*s' "$d" ''
	printf -v ends '%*s' "$d" ''
	objs=${objs// /{\"@F\":} ends=${ends// /\}}
	each_json "objects $((d + 1)) deep" '400 INVALID_JSON' "{\"@F\":${objs}1$ends}"
	printf -v far_open '%*s' 100000 ''
	printf -v far_close '%*s' 100000 ''
	each_json 'depth 100001' '400 INVALID_JSON' "{\"@F\":${far_open// /[}${far_close// /]}}"
	verify
	pool_survived
}

@test "huge strings answer 422 too_long for each field, and a body over MAX_BODY_BYTES 413" {
	local m p a b f pg fl spec name type parts want file huge big
	local -a plan=()
	printf -v huge '%*s' 150000 ''
	huge=${huge// /a}
	# Well-formed JSON a byte over the limit.
	printf -v big '%*s' $((MAX_BODY_BYTES + 1 - 8)) ''
	big="{\"x\":\"${big// /a}\"}"
	while IFS=$'\t' read -r m p a b f pg fl; do
		parts='' want='422 VALIDATION_FAILED'
		for spec in ${f//,/ }; do
			name=${spec%%:*} type=${spec#*:}
			[[ $type == string ]] || continue
			parts+=${parts:+,}"\"$name\":\"$huge\""
			want+=" $name:too_long"
		done
		if [[ -n $parts ]]; then
			body_file ''
			file=$REPLY
			printf '{%s}' "$parts" >"$file"
			plan+=("$m"$'\t'"$(fill "$p")"$'\t'"$a"$'\t'"$file"$'\t'"$want"$'\t'"huge strings")
		fi
		body_file ''
		file=$REPLY
		printf '%s' "$big" >"$file"
		plan+=("$m"$'\t'"$(fill "$p")"$'\t'"$a"$'\t'"$file"$'\t'"413 PAYLOAD_TOO_LARGE"$'\t'"body of MAX_BODY_BYTES + 1")
	done < <(rows json)
	sizes
	[[ ${SIZE[$file]} == $((MAX_BODY_BYTES + 1)) ]] || fail "the big body is ${SIZE[$file]} bytes"
	for line in "${plan[@]}"; do
		IFS=$'\t' read -r m p a file want what <<<"$line"
		caller "$a"
		ask "$what $m $p" "$want" "$m" "$p" "$file"
	done
	verify
	pool_survived
}

@test "invalid UTF-8 and NUL bytes in JSON answer 400 INVALID_JSON and never reach the database" {
	each_json 'bad text' '400 INVALID_JSON' \
		'{"@F":"a\xffb"}' '{"@F":"\xc0\xaf"}' '{"@F":"\xed\xa0\x80"}' '{"@F":"\xe2\x82"}' \
		'{"@F":"\\ud800"}' '{"@F":"a\\u0000b"}' '{"@F":"a\x00b"}' '{"\xff":"a"}'
	verify
	pool_survived
}

@test "duplicate keys answer 400 INVALID_JSON" {
	each_json duplicate '400 INVALID_JSON' '{"@F":"a","@F":"b"}' '{"@F":{"k":1,"k":2}}'
	verify
	pool_survived
}

@test "a JSON route given another content type answers 415 UNSUPPORTED_MEDIA_TYPE" {
	local ct
	for ct in text/plain application/x-www-form-urlencoded 'multipart/form-data; boundary=x' ''; do
		CTYPE=$ct each_json "content type '$ct'" '415 UNSUPPORTED_MEDIA_TYPE' '{"@F":"x"}'
	done
	verify
	pool_survived
}

@test "Content-Length absent, enormous, malformed or lying answers 400 or 413, read no further (socket)" {
	[[ ${SAAS_TRANSPORT:-} != nginx ]] || skip "nginx sends the length it read (see the nginx test below)"
	local len clen want
	# Each: the Content-Length sent with a well-formed 10-byte body, what it gets.
	local -a cases=(
		"|400 INVALID_JSON"
		"$((MAX_BODY_BYTES + 1))|413 PAYLOAD_TOO_LARGE"
		"99999999999999999999999|400 BAD_REQUEST"
		"-1|400 BAD_REQUEST"
		"abc|400 BAD_REQUEST"
		"110|400 BAD_REQUEST"
		"7|400 INVALID_JSON"
	)
	for len in "${cases[@]}"; do
		clen=${len%%|*} want=${len#*|}
		CLEN=$clen each_json "Content-Length '$clen'" "$want" '{"@F":"x"}'
	done
	verify
	pool_survived
}

# --- the form route --------------------------------------------------------------

@test "the form route: bad forms answer OAuth2's 400 invalid_request, bad lengths and types 4xx" {
	local m p a b f pg fl body want line
	local -a cases=(
		"|400 oauth:invalid_request"
		"grant_type=password|400 oauth:invalid_request"
		"grant_type=password&username=a%zz&password=x|400 oauth:invalid_request"
		"grant_type=password&username=a%ffb&password=x|400 oauth:invalid_request"
		"grant_type=password&username=a%00b&password=x|400 oauth:invalid_request"
		"grant_type=password&username=a\xffb&password=x|400 oauth:invalid_request"
		"grant_type=password&grant_type=password&username=a&password=x|400 oauth:invalid_request"
		"&&&&====|400 oauth:invalid_request"
		"{\"grant_type\":\"password\"}|400 oauth:invalid_request"
		"grant_type=client_credentials|400 oauth:unsupported_grant_type"
	)
	local n=0
	while IFS=$'\t' read -r m p a b f pg fl; do
		((++n))
		caller "$a"
		local -a plan=()
		for line in "${cases[@]}"; do
			body_file "${line%%|*}"
			plan+=("$REPLY|${line#*|}|${line%%|*}")
		done
		body_file 'grant_type=password&username=a%40b.example&password=x'
		plan+=("$REPLY|415 UNSUPPORTED_MEDIA_TYPE|json|application/json")
		plan+=("$REPLY|415 UNSUPPORTED_MEDIA_TYPE|none|")
		sizes
		for line in "${plan[@]}"; do
			IFS='|' read -r body want what ct <<<"$line"
			if [[ $want == 415* ]]; then
				CTYPE=$ct ask "form $p $what" "$want" "$m" "$p" "$body"
			else
				CTYPE=application/x-www-form-urlencoded ask "form $p ${what:0:50}" "$want" "$m" "$p" "$body"
			fi
		done
		if [[ ${SAAS_TRANSPORT:-} != nginx ]]; then
			body_file 'grant_type=password&username=a%41'
			body=$REPLY
			sizes
			CTYPE=application/x-www-form-urlencoded CLEN=$((MAX_BODY_BYTES + 1)) \
				ask "form $p over the limit" '413 PAYLOAD_TOO_LARGE' "$m" "$p" "$body"
			CTYPE=application/x-www-form-urlencoded CLEN=99999999999999999999999 \
				ask "form $p length overflows" '400 BAD_REQUEST' "$m" "$p" "$body"
			CTYPE=application/x-www-form-urlencoded CLEN=200 \
				ask "form $p body shorter than its length" '400 BAD_REQUEST' "$m" "$p" "$body"
			# Cut inside the last %-escape.
			CTYPE=application/x-www-form-urlencoded CLEN=$((SIZE[$body] - 2)) \
				ask "form $p body longer than its length" '400 oauth:invalid_request' "$m" "$p" "$body"
			CTYPE=application/x-www-form-urlencoded CLEN= \
				ask "form $p no length" '400 oauth:invalid_request' "$m" "$p" "$body"
		fi
	done < <(rows form)
	((n > 0)) || fail "no form route"
	verify
	pool_survived
}

# --- query strings, path parameters ---------------------------------------------

@test "bad limits, cursors and query strings on paged lists answer 422, 400 INVALID_CURSOR or 400 INVALID_QUERY" {
	local m p a b f pg fl q want spec name kind max long hex=0123456789abcdef0123456789abcdef
	local many=''
	for ((i = 1; i <= 20; i++)); do many+="a$i=1&"; done
	printf -v long '%*s' 5000 ''
	local -a cases=(
		"limit=-1|422 VALIDATION_FAILED limit:invalid"
		"limit=0|422 VALIDATION_FAILED limit:invalid"
		"limit=101|422 VALIDATION_FAILED limit:invalid"
		"limit=abc|422 VALIDATION_FAILED limit:invalid"
		"limit=|422 VALIDATION_FAILED limit:invalid"
		"limit=99999999999999999999999|422 VALIDATION_FAILED limit:invalid"
		"cursor=garbage|400 INVALID_CURSOR"
		"cursor=|400 INVALID_CURSOR"
		"cursor=01.$hex|400 INVALID_CURSOR"
		"cursor=1.${hex^^}|400 INVALID_CURSOR"
		"cursor=1.${hex:1}|400 INVALID_CURSOR"
		"cursor=99999999999999999999.$hex|400 INVALID_CURSOR"
		"cursor=${long// /1}.$hex|400 INVALID_CURSOR"
		"%zz|400 INVALID_QUERY"
		"cursor=%ff|400 INVALID_QUERY"
		"%00=1|400 INVALID_QUERY"
		"limit=1&limit=2|400 INVALID_QUERY"
		"$many|400 INVALID_QUERY"
		"nosuch=1|422 VALIDATION_FAILED nosuch:unknown"
	)
	local n=0
	while IFS=$'\t' read -r m p a b f pg fl; do
		((++n))
		caller "$a"
		for q in "${cases[@]}"; do
			ask "$p?${q%%|*}" "${q#*|}" GET "$p?${q%%|*}"
		done
		# The other parameters: what their schema bounds refuses is 422.
		for spec in ${fl//,/ }; do
			IFS=: read -r name kind max <<<"$spec"
			case $kind in
			enum | uuid | date-time)
				ask "$p?$name=not-valid" "422 VALIDATION_FAILED $name:invalid" GET "$p?$name=not-valid" ;;
			esac
			if [[ $max != - ]]; then
				printf -v long '%*s' $((max + 1)) ''
				ask "$p?$name=<$((max + 1)) bytes>" "422 VALIDATION_FAILED $name:*" GET "$p?$name=${long// /a}"
			fi
			ask "$p?$name=%ff" '400 INVALID_QUERY' GET "$p?$name=%ff"
		done
	done < <(rows - paged)
	((n >= 3)) || fail "only $n paged routes"
	verify
	pool_survived
}

@test "garbage query strings on the other GET routes do no harm" {
	local m p a b f pg fl q
	while IFS=$'\t' read -r m p a b f pg fl; do
		[[ $m == GET && $pg != paged ]] || continue
		caller "$a"
		for q in '%zz' 'limit=-1&cursor=garbage' '%00=%ff'; do
			ask "$p?$q" any GET "$(fill "$p")?$q"
		done
	done < <(rows)
	verify
	pool_survived
}

@test "garbage path parameters answer 404" {
	local m p a b f pg fl v path want
	local big
	printf -v big '%*s' 300 ''
	while IFS=$'\t' read -r m p a b f pg fl; do
		[[ $p == *\{* && $b == - ]] || continue
		caller "$a"
		for v in not-a-uuid 00000000-0000-4000-8000-00000000000g "${big// /a}" '%27%3B' '%zz' '%00'; do
			path=${p//\{slug\}/$v}
			while [[ $path =~ \{[a-z_]+\} ]]; do path=${path/"${BASH_REMATCH[0]}"/$v}; done
			want='404 *'
			# nginx refuses a malformed %-escape in the path itself.
			[[ ${SAAS_TRANSPORT:-} != nginx ]] || want+='|400 BAD_REQUEST'
			ask "$m $path" "$want" "$m" "$path"
		done
	done < <(rows -)
	verify
	pool_survived
}

# --- Authorization and other headers ----------------------------------------------

@test "garbage Authorization headers on every route behind a token answer 401" {
	local m p a b f pg fl line hdr want b64 none tampered pad10 big
	b64=$(printf '%s' '{"alg":"none","typ":"JWT"}' | b64url)
	none="$b64.$(cut -d. -f2 <<<"$TOKEN")."
	# The payload of another user's token under this signature.
	tampered="$(cut -d. -f1 <<<"$TOKEN").$(printf '%s' '{"sub":"00000000-0000-4000-8000-000000000000"}' | b64url).$(cut -d. -f3 <<<"$TOKEN")"
	printf -v pad10 '%*s' 10240 ''
	# Over nginx's header buffers (8 KiB): nginx's own 400, in the envelope.
	big='401 INVALID_TOKEN'
	[[ ${SAAS_TRANSPORT:-} != nginx ]] || big='400 BAD_REQUEST'
	local -a cases=(
		"Basic dXNlcjpwYXNzd29yZA==|401 UNAUTHENTICATED"
		"Bearer|401 UNAUTHENTICATED"
		"$TOKEN|401 UNAUTHENTICATED"
		"Bearer a.b.c|401 INVALID_TOKEN"
		"Bearer $none|401 INVALID_TOKEN"
		"Bearer $tampered|401 INVALID_TOKEN"
		"Bearer ${pad10// /a}|$big"
		"Bearer é.ü.ñ|401 INVALID_TOKEN"
		$'Bearer \xff\xfe.\x80\x81.\xc0|401 INVALID_TOKEN'
	)
	local -a plan=()
	while IFS=$'\t' read -r m p a b f pg fl; do
		file=''
		# A body the route would take, should the gate let it through.
		case $b in
		json) body_file '{}' && file=$REPLY ;;
		form) body_file 'grant_type=password' && file=$REPLY ;;
		esac
		plan+=("$m"$'\t'"$(fill "$p")"$'\t'"$a"$'\t'"$b"$'\t'"$file")
	done < <(rows)
	sizes
	for line in "${plan[@]}"; do
		IFS=$'\t' read -r m p a b file <<<"$line"
		local ct=application/json
		[[ $b != form ]] || ct=application/x-www-form-urlencoded
		if [[ $a == public ]]; then
			# No token needed: whatever it says is beside the point, harmlessly.
			AUTH='Bearer a.b.c' TENANT='' CTYPE=$ct ask "$m $p, public, a bad token" any "$m" "$p" $file
			continue
		fi
		for hdr in "${cases[@]}"; do
			AUTH=${hdr%|*} TENANT=$SLUG CTYPE=$ct ask "$m $p Authorization '${hdr:0:40}'" "${hdr##*|}" "$m" "$p" $file
		done
	done
	verify
	pool_survived
	# The owner's own token still works: none of that ended a session.
	me "$TOKEN"
	assert_equal "$status_code" 200
}

@test "a Host or User-Agent that is not UTF-8 does no harm, and a refused login is still audited" {
	local m p a b f pg fl rid
	while IFS=$'\t' read -r m p a b f pg fl; do
		[[ $m == GET ]] || continue
		caller "$a"
		# The Host names the tenant only when nothing else does.
		TENANT='' HOST=$'\xff\xfe.example' ask "$p, Host not UTF-8" any GET "$(fill "$p")"
		TENANT='' AGENT=$'agent \xff\xfe' ask "$p, User-Agent not UTF-8" any GET "$(fill "$p")"
		HOST=$'\xc0.localhost' ask "$p, Host not UTF-8, tenant named" any GET "$(fill "$p")"
	done < <(rows)
	local forgot login
	body_file '{"email":"nobody-at-all@example.com"}'
	forgot=$REPLY
	body_file '{"email":"nobody-at-all@example.com","password":"not the password 42"}'
	login=$REPLY
	sizes
	AUTH='' TENANT='' AGENT=$'agent \xff\xfe' ask 'forgot-password, User-Agent not UTF-8' \
		'202' POST /api/v1/auth/forgot-password "$forgot"
	AUTH='' TENANT='' AGENT=$'agent \xff\xfe' HOST=$'\xff.example' ask 'login, User-Agent not UTF-8' \
		'401 INVALID_CREDENTIALS' POST /api/v1/auth/login "$login"
	asked
	rid=$(awk -F'\t' '$2 == "login, User-Agent not UTF-8" { print $5 }' "$BATCH/meta")
	verify
	assert_equal "$(psql_owner "SELECT count(*) FROM public.audit_logs
	    WHERE request_id = '$rid' AND action = 'auth.login' AND outcome = 'failure'")" 1
	pool_survived
}

# --- through nginx: what it refuses itself ------------------------------------------

# raw REQUEST: sends REQUEST (printf format) to nginx on a connection of its
# own and prints the answer's status line and body (at most 10 s).
raw() {
	local fd answer=''
	exec {fd}<>"/dev/tcp/127.0.0.1/$HTTP_PORT"
	# shellcheck disable=SC2059
	printf "$1" >&"$fd"
	IFS= read -r -d '' -t 10 answer <&"$fd" || true
	exec {fd}>&-
	answer=${answer//$'\r'/}
	printf '%s\n%s\n' "${answer%%$'\n'*}" "${answer##*$'\n'}"
}

# expect_raw STATUS CODE: the output of raw, as nginx's error envelope.
expect_raw() {
	local line body
	line=$(head -n 1 <<<"$output") body=$(tail -n 1 <<<"$output")
	[[ $line == "HTTP/1.1 $1 "* ]] || fail "want $1, got $line $body"
	assert_equal "$(jq -r '.error.code' <<<"$body")" "$2"
	[[ -n $(jq -r '.error.request_id // empty' <<<"$body") ]] || fail "no request_id: $body"
}

@test "through nginx: enormous, malformed and double lengths, long URIs and headers get a 4xx envelope" {
	local long host='Host: localhost\r\nConnection: close\r\n'
	# nginx refuses these at the headers: a body it left unread could turn
	# its close into a reset that loses the answer, so none is sent.
	run raw "POST /api/v1/auth/forgot-password HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Length: 99999999999999\r\n\r\n"
	expect_raw 413 PAYLOAD_TOO_LARGE
	run raw "POST /api/v1/auth/forgot-password HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Length: abc\r\n\r\n"
	expect_raw 400 BAD_REQUEST
	run raw "POST /api/v1/auth/forgot-password HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Length: -1\r\n\r\n"
	expect_raw 400 BAD_REQUEST
	run raw "POST /api/v1/auth/forgot-password HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n"
	expect_raw 400 BAD_REQUEST
	run raw "POST /api/v1/auth/forgot-password HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"
	expect_raw 400 BAD_REQUEST
	run raw "garbage\r\n\r\n"
	expect_raw 400 BAD_REQUEST
	printf -v long '%*s' 10000 ''
	run raw "GET /api/v1/projects?q=${long// /a} HTTP/1.1\r\n${host}\r\n"
	expect_raw 414 URI_TOO_LONG
	run raw "GET /api/v1/auth/me HTTP/1.1\r\n${host}Authorization: Bearer ${long// /a}\r\n\r\n"
	expect_raw 400 BAD_REQUEST
	# Chunked, no Content-Length: the app gets the body with its length.
	run raw "POST /api/v1/auth/forgot-password HTTP/1.1\r\n${host}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"e\r\n0\r\n\r\n"
	expect_raw 400 INVALID_JSON
	pool_survived
}

@test "through nginx: clients whose bodies never come hold no worker" {
	local i fds=() fd
	# More half-sent requests than the pool has workers, left open.
	for ((i = 0; i < ${WORKERS:-4} + 2; i++)); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$HTTP_PORT"
		printf 'POST /api/v1/auth/forgot-password HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"email":' >&"$fd"
		fds+=("$fd")
	done
	for ((i = 0; i < ${WORKERS:-4} + 2; i++)); do
		HTTP_TIMEOUT=5 http GET /healthz
		assert_equal "$status_code" 200
	done
	HTTP_TIMEOUT=5 post_json /api/v1/auth/forgot-password '{"email":"x"}'
	assert_equal "$status_code" 422
	for fd in "${fds[@]}"; do exec {fd}>&-; done
	pool_survived
}
