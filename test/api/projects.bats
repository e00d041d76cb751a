#!/usr/bin/env bats
# Projects, the example tenant data: create, read, list (paged, searched),
# edit under If-Match, soft delete; who may do which; the audit entries;
# and that one tenant never reaches another's projects.

load ../lib/common
load ../lib/auth
load ../lib/tenancy

# at TOKEN SLUG METHOD PATH [BODY]: a request for tenant SLUG (X-Tenant-Slug).
at() {
	local token=$1 slug=$2
	shift 2
	HTTP_X_TENANT_SLUG=$slug as "$token" "$@"
}

# in_owner TOKEN METHOD PATH [BODY]: the same for OWNER_SLUG's tenant.
in_owner() {
	at "$1" "$OWNER_SLUG" "${@:2}"
}

# create TOKEN NAME [DESCRIPTION]: POST /projects; on 201 sets PROJECT (its
# id) and ETAG.
create() {
	local payload
	if (($# >= 3)); then
		payload=$(jq -nc --arg n "$2" --arg d "$3" '{name: $n, description: $d}')
	else
		payload=$(jq -nc --arg n "$2" '{name: $n}')
	fi
	in_owner "$1" POST /api/v1/projects "$payload"
	PROJECT= ETAG=
	if [[ $status_code == 201 ]]; then
		PROJECT=$(json .id)
		ETAG=$(header ETag)
	fi
}

# rename TOKEN ID NAME [IF_MATCH]: PATCH /projects/ID {name}.
rename() {
	local payload
	payload=$(jq -nc --arg n "$3" '{name: $n}')
	if (($# >= 4)); then
		HTTP_IF_MATCH=$4 in_owner "$1" PATCH "/api/v1/projects/$2" "$payload"
	else
		in_owner "$1" PATCH "/api/v1/projects/$2" "$payload"
	fi
}

# edited NAME: a project NAME renamed once to "NAME 2"; sets PROJECT, STALE
# (its ETag before the change) and CURRENT (after).
edited() {
	create "$OWNER" "$1"
	STALE=$ETAG
	rename "$OWNER" "$PROJECT" "$1 2"
	assert_equal "$status_code" 200
	CURRENT=$(header ETag)
}

# The stored row, as the owner role sees it.
project_col() {
	psql_owner "SELECT $2 FROM $OWNER_SCHEMA.projects WHERE id = '$1'"
}

# audits ACTION ID: how many audit entries of ACTION name project ID.
audits() {
	psql_owner "SELECT count(*) FROM public.audit_logs WHERE action = '$1' AND target_id = '$2'"
}

# The names of a list answer, one line, comma-separated.
names() {
	json '[.items[].name] | join(",")'
}

assert_error() {
	assert_equal "$status_code" "$1"
	assert_equal "$(json .error.code)" "$2"
}

# Asserts a 422 whose details are exactly FIELD ISSUE.
assert_invalid() {
	assert_error 422 VALIDATION_FAILED
	assert_equal "$(json -c '.error.details')" "[{\"field\":\"$1\",\"issue\":\"$2\"}]"
}

# ---- create ------------------------------------------------------------------

@test "POST /projects creates a project: 201, the project, Location, a strong ETag" {
	ready_owner
	create "$OWNER" "Apollo" "To the moon"
	assert_equal "$status_code" 201
	assert_regex "$PROJECT" "$UUID_RE"
	assert_equal "$(json .name)" Apollo
	assert_equal "$(json .description)" "To the moon"
	assert_equal "$(json .created_by)" "$OWNER_ID"
	assert_regex "$(json .created_at)" "$RFC3339_RE"
	assert_regex "$(json .updated_at)" "$RFC3339_RE"
	assert_equal "$(json -c 'keys')" '["created_at","created_by","description","id","name","updated_at"]'
	assert_equal "$(header Location)" "/api/v1/projects/$PROJECT"
	assert_regex "$ETAG" '^"[0-9a-f]{32}"$'
	assert_equal "$(header Cache-Control)" no-store
	# In the tenant's own schema.
	assert_equal "$(project_col "$PROJECT" "name || '|' || created_by || '|' || version")" \
	    "Apollo|$OWNER_ID|1"
}

@test "a description is optional and defaults to empty" {
	ready_owner
	create "$OWNER" "Gemini"
	assert_equal "$status_code" 201
	assert_equal "$(json .description)" ""
}

@test "creating is audited as project.create in the same transaction" {
	ready_owner
	create "$OWNER" "Mercury"
	assert_equal "$status_code" 201
	assert_equal "$(psql_owner "SELECT actor_id || '|' || tenant_id || '|' || target_type || '|'
	    || (details->>'name') || '|' || outcome || '|' || (impersonator_id IS NULL)
	    FROM public.audit_logs WHERE action = 'project.create' AND target_id = '$PROJECT'")" \
	    "$OWNER_ID|$OWNER_TENANT|project|Mercury|success|true"
}

@test "a refused create writes neither the project nor an audit entry" {
	ready_owner
	create "$OWNER" "Vostok"
	create "$OWNER" "vostok"
	assert_error 409 PROJECT_NAME_TAKEN
	assert_equal "$(psql_owner "SELECT count(*) FROM $OWNER_SCHEMA.projects")" 1
	assert_equal "$(psql_owner "SELECT count(*) FROM public.audit_logs
	    WHERE action = 'project.create' AND tenant_id = '$OWNER_TENANT'")" 1
}

@test "names are unique in a tenant whatever their case: 409 PROJECT_NAME_TAKEN" {
	ready_owner
	create "$OWNER" "Skylab"
	create "$OWNER" "SKYLAB"
	assert_error 409 PROJECT_NAME_TAKEN
	create "$OWNER" "skyLab"
	assert_error 409 PROJECT_NAME_TAKEN
	# Beyond ASCII too.
	create "$OWNER" "Ärger"
	assert_equal "$status_code" 201
	create "$OWNER" "äRGER"
	assert_error 409 PROJECT_NAME_TAKEN
}

@test "a name is trimmed of white space at both ends, Unicode's included, and then compared" {
	ready_owner
	create "$OWNER" $'  \t Soyuz  \xc2\xa0'
	assert_equal "$status_code" 201
	assert_equal "$(json .name)" Soyuz
	assert_equal "$(project_col "$PROJECT" name)" Soyuz
	create "$OWNER" " soyuz "
	assert_error 409 PROJECT_NAME_TAKEN
	# Inner white space stays.
	create "$OWNER" " Soyuz  TM "
	assert_equal "$(json .name)" "Soyuz  TM"
}

@test "a name that is missing, empty or only white space answers 422" {
	ready_owner
	in_owner "$OWNER" POST /api/v1/projects '{"description":"x"}'
	assert_invalid name required
	create "$OWNER" ""
	assert_invalid name too_short
	create "$OWNER" "   "
	assert_invalid name too_short
	create "$OWNER" $' \t\n\xe3\x80\x80'
	assert_invalid name too_short
	assert_equal "$(psql_owner "SELECT count(*) FROM $OWNER_SCHEMA.projects")" 0
}

@test "a name holds up to 200 characters, counted as characters, not bytes" {
	ready_owner
	create "$OWNER" "$(printf 'a%.0s' {1..200})"
	assert_equal "$status_code" 201
	create "$OWNER" "$(printf 'b%.0s' {1..201})"
	assert_invalid name too_long
	# 200 characters of two bytes each, and 200 of four.
	create "$OWNER" "$(printf 'é%.0s' {1..200})"
	assert_equal "$status_code" 201
	assert_equal "$(project_col "$PROJECT" 'char_length(name)')" 200
	create "$OWNER" "$(printf '😀%.0s' {1..200})"
	assert_equal "$status_code" 201
	create "$OWNER" "$(printf 'é%.0s' {1..201})"
	assert_invalid name too_long
	create "$OWNER" "$(printf '😀%.0s' {1..201})"
	assert_invalid name too_long
}

@test "a name with a control character answers 422 invalid" {
	ready_owner
	create "$OWNER" $'Line\nbreak'
	assert_invalid name invalid
	create "$OWNER" $'Esc\e[31m'
	assert_invalid name invalid
	create "$OWNER" $'C1\xc2\x9b'
	assert_invalid name invalid
}

@test "a description holds up to 10000 characters, line breaks and tabs but no other controls" {
	ready_owner
	create "$OWNER" "Long" "$(printf 'é%.0s' {1..10000})"
	assert_equal "$status_code" 201
	create "$OWNER" "Longer" "$(printf 'x%.0s' {1..10001})"
	assert_invalid description too_long
	create "$OWNER" "Lines" $'  first\n\tsecond\r\n'
	assert_equal "$status_code" 201
	assert_equal "$(json .description)" $'  first\n\tsecond\r'	# $(...) eats the last \n
	create "$OWNER" "Bell" $'ding\a'
	assert_invalid description invalid
}

@test "wrong types, unknown fields and other bodies answer 422, 400 or 415" {
	ready_owner
	in_owner "$OWNER" POST /api/v1/projects '{"name":42}'
	assert_invalid name type
	in_owner "$OWNER" POST /api/v1/projects '{"name":"A","description":null}'
	assert_invalid description type
	in_owner "$OWNER" POST /api/v1/projects '{"name":"A","owner":"me"}'
	assert_invalid owner unknown
	in_owner "$OWNER" POST /api/v1/projects '["A"]'
	assert_invalid body type
	in_owner "$OWNER" POST /api/v1/projects '{"name":'
	assert_error 400 INVALID_JSON
	CONTENT_TYPE=text/plain in_owner "$OWNER" POST /api/v1/projects '{"name":"A"}'
	assert_error 415 UNSUPPORTED_MEDIA_TYPE
	assert_equal "$(psql_owner "SELECT count(*) FROM $OWNER_SCHEMA.projects")" 0
}

@test "no token answers 401" {
	ready_owner
	HTTP_X_TENANT_SLUG=$OWNER_SLUG fcgi GET /api/v1/projects
	assert_error 401 UNAUTHENTICATED
}

# ---- read --------------------------------------------------------------------

@test "GET /projects/{id} answers the project with the ETag it was created with" {
	ready_owner
	create "$OWNER" "Viking" "Mars"
	created=$body
	in_owner "$OWNER" GET "/api/v1/projects/$PROJECT"
	assert_equal "$status_code" 200
	assert_equal "$body" "$created"
	assert_equal "$(header ETag)" "$ETAG"
}

@test "HEAD /projects/{id} answers the headers alone" {
	ready_owner
	create "$OWNER" "Pioneer"
	in_owner "$OWNER" HEAD "/api/v1/projects/$PROJECT"
	assert_equal "$status_code" 200
	assert_equal "$body" ""
	assert_equal "$(header ETag)" "$ETAG"
}

@test "an id in capitals is the same project, with the same ETag" {
	ready_owner
	create "$OWNER" "Voyager"
	in_owner "$OWNER" GET "/api/v1/projects/${PROJECT^^}"
	assert_equal "$status_code" 200
	assert_equal "$(json .id)" "$PROJECT"
	assert_equal "$(header ETag)" "$ETAG"
}

@test "an unknown or malformed id answers 404 on GET, PATCH and DELETE, never 400 or 500" {
	ready_owner
	for id in 00000000-0000-4000-8000-000000000000 not-a-uuid "x'--" 1 \
	    3f2a9c4e-0b1d-4e5f-8a7b-6c5d4e3f2a1 3f2a9c4e-0b1d-4e5f-8a7b-6c5d4e3f2a1bb \
	    3f2a9c4e0b1d4e5f8a7b6c5d4e3f2a1b %7B3f2a9c4e-0b1d-4e5f-8a7b-6c5d4e3f2a1b%7D; do
		in_owner "$OWNER" GET "/api/v1/projects/$id"
		assert_error 404 NOT_FOUND
		in_owner "$OWNER" PATCH "/api/v1/projects/$id" '{"name":"X"}'
		assert_error 404 NOT_FOUND
		in_owner "$OWNER" DELETE "/api/v1/projects/$id"
		assert_error 404 NOT_FOUND
	done
}

# ---- list --------------------------------------------------------------------

@test "GET /projects lists newest first, items shaped like the project" {
	ready_owner
	create "$OWNER" "First" "one"
	create "$OWNER" "Second"
	create "$OWNER" "Third"
	in_owner "$OWNER" GET /api/v1/projects
	assert_equal "$status_code" 200
	assert_equal "$(names)" "Third,Second,First"
	assert_equal "$(json .next_cursor)" null
	assert_equal "$(json -c '.items[2] | keys')" '["created_at","created_by","description","id","name","updated_at"]'
	assert_equal "$(json '.items[2].description')" one
	assert_equal "$(header Cache-Control)" no-store
}

@test "an empty tenant lists no items" {
	ready_owner
	in_owner "$OWNER" GET /api/v1/projects
	assert_equal "$status_code" 200
	assert_equal "$(json -c .)" '{"items":[],"next_cursor":null}'
}

@test "pages are stable: projects added between pages neither repeat nor push others out" {
	ready_owner
	for i in 1 2 3 4 5; do create "$OWNER" "Old $i"; done
	in_owner "$OWNER" GET "/api/v1/projects?limit=2"
	assert_equal "$(names)" "Old 5,Old 4"
	cursor=$(json .next_cursor)
	assert_not_equal "$cursor" null
	for i in 1 2 3; do create "$OWNER" "New $i"; done
	in_owner "$OWNER" GET "/api/v1/projects?limit=2&cursor=$cursor"
	assert_equal "$(names)" "Old 3,Old 2"
	cursor=$(json .next_cursor)
	in_owner "$OWNER" GET "/api/v1/projects?limit=2&cursor=$cursor"
	assert_equal "$(names)" "Old 1"
	assert_equal "$(json .next_cursor)" null
	# The first page, asked again, shows the new ones.
	in_owner "$OWNER" GET "/api/v1/projects?limit=3"
	assert_equal "$(names)" "New 3,New 2,New 1"
}

@test "projects made in one instant still page in full, by id" {
	ready_owner
	# Five rows with one created_at: the id alone orders them.
	psql_owner "INSERT INTO $OWNER_SCHEMA.projects (name, created_by, created_at)
	    SELECT 'Same ' || i, '$OWNER_ID', timestamptz '2026-01-01 00:00:00.123456Z'
	    FROM generate_series(1, 5) i" >/dev/null
	seen=()
	cursor=
	for page in 1 2 3; do
		in_owner "$OWNER" GET "/api/v1/projects?limit=2${cursor:+&cursor=$cursor}"
		assert_equal "$status_code" 200
		mapfile -t -O "${#seen[@]}" seen < <(json '.items[].id')
		cursor=$(json '.next_cursor // empty')
	done
	assert_equal "$cursor" ""
	assert_equal "${#seen[@]}" 5
	assert_equal "$(printf '%s\n' "${seen[@]}" | sort -u | wc -l)" 5
	assert_equal "$(printf '%s\n' "${seen[@]}" | tr '\n' ' ')" \
	    "$(psql_owner "SELECT id FROM $OWNER_SCHEMA.projects ORDER BY id DESC" | tr '\n' ' ')"
}

@test "limit takes 1..100; outside, or not a number, answers 422" {
	ready_owner
	for i in 1 2 3; do create "$OWNER" "P$i"; done
	in_owner "$OWNER" GET "/api/v1/projects?limit=1"
	assert_equal "$status_code" 200
	assert_equal "$(json '.items | length')" 1
	in_owner "$OWNER" GET "/api/v1/projects?limit=100"
	assert_equal "$status_code" 200
	assert_equal "$(json '.items | length')" 3
	for limit in 0 101 -1 abc 1.5 ""; do
		in_owner "$OWNER" GET "/api/v1/projects?limit=$limit"
		assert_invalid limit invalid
	done
}

@test "a malformed cursor answers 400 INVALID_CURSOR" {
	ready_owner
	for cursor in abc 123 "1795000000123456.nothex" "1795000000123456.3f2a9c4e0b1d4e5f8a7b6c5d4e3f2a1" ""; do
		in_owner "$OWNER" GET "/api/v1/projects?cursor=$cursor"
		assert_error 400 INVALID_CURSOR
	done
}

@test "unknown query names answer 422, a repeated one 400" {
	ready_owner
	in_owner "$OWNER" GET "/api/v1/projects?sort=name"
	assert_invalid sort unknown
	in_owner "$OWNER" GET "/api/v1/projects?q=a&q=b"
	assert_error 400 INVALID_QUERY
}

@test "q finds names that contain it, ignoring case" {
	ready_owner
	create "$OWNER" "Apollo 11"
	create "$OWNER" "apollo 13"
	create "$OWNER" "Artemis"
	create "$OWNER" "Big APOLLO plans"
	in_owner "$OWNER" GET "/api/v1/projects?q=APOLLO"
	assert_equal "$status_code" 200
	assert_equal "$(names)" "Big APOLLO plans,apollo 13,Apollo 11"
	in_owner "$OWNER" GET "/api/v1/projects?q=pollo%201"
	assert_equal "$(names)" "apollo 13,Apollo 11"
	create "$OWNER" "ÉCOLE spatiale"
	in_owner "$OWNER" GET "/api/v1/projects?q=%C3%A9cole"
	assert_equal "$(names)" "ÉCOLE spatiale"
	in_owner "$OWNER" GET "/api/v1/projects?q=zzz"
	assert_equal "$(json -c .items)" "[]"
}

@test "q takes % _ and backslash literally: no wildcards" {
	ready_owner
	create "$OWNER" "100% done"
	create "$OWNER" "snake_case"
	create "$OWNER" 'back\slash'
	create "$OWNER" "plain"
	create "$OWNER" "snakeXcase"
	in_owner "$OWNER" GET "/api/v1/projects?q=%25"
	assert_equal "$(names)" "100% done"
	in_owner "$OWNER" GET "/api/v1/projects?q=e_c"
	assert_equal "$(names)" "snake_case"
	in_owner "$OWNER" GET "/api/v1/projects?q=%5C"
	assert_equal "$(names)" 'back\slash'
	in_owner "$OWNER" GET "/api/v1/projects?q=%5Cs"
	assert_equal "$(names)" 'back\slash'
	in_owner "$OWNER" GET "/api/v1/projects?q=_"
	assert_equal "$(names)" "snake_case"
}

@test "q pages like the whole list" {
	ready_owner
	for i in 1 2 3; do create "$OWNER" "Match $i"; create "$OWNER" "Other $i"; done
	in_owner "$OWNER" GET "/api/v1/projects?q=match&limit=2"
	assert_equal "$(names)" "Match 3,Match 2"
	in_owner "$OWNER" GET "/api/v1/projects?q=match&limit=2&cursor=$(json .next_cursor)"
	assert_equal "$(names)" "Match 1"
	assert_equal "$(json .next_cursor)" null
}

@test "q holds 1..200 characters, else 422" {
	ready_owner
	in_owner "$OWNER" GET "/api/v1/projects?q="
	assert_invalid q too_short
	in_owner "$OWNER" GET "/api/v1/projects?q=$(printf 'a%.0s' {1..201})"
	assert_invalid q too_long
	in_owner "$OWNER" GET "/api/v1/projects?q=$(printf '%%C3%%A9%.0s' {1..200})"
	assert_equal "$status_code" 200
}

# ---- edit ---------------------------------------------------------------------

@test "PATCH changes the name: 200, a new ETag, version and updated_at move, audited with the fields" {
	ready_owner
	create "$OWNER" "Draft" "keep me"
	old=$ETAG
	psql_owner "UPDATE $OWNER_SCHEMA.projects SET updated_at = updated_at - interval '1 hour'
	    WHERE id = '$PROJECT'" >/dev/null
	rename "$OWNER" "$PROJECT" "Final"
	assert_equal "$status_code" 200
	assert_equal "$(json .name)" Final
	assert_equal "$(json .description)" "keep me"
	assert_not_equal "$(header ETag)" "$old"
	assert_regex "$(header ETag)" '^"[0-9a-f]{32}"$'
	assert_equal "$(project_col "$PROJECT" "version || '|' || (updated_at > created_at)")" "2|true"
	assert_equal "$(psql_owner "SELECT details::text || '|' || actor_id || '|' || tenant_id
	    FROM public.audit_logs WHERE action = 'project.update' AND target_id = '$PROJECT'")" \
	    "{\"fields\": [\"name\"]}|$OWNER_ID|$OWNER_TENANT"
	# GET agrees.
	new=$(header ETag)
	in_owner "$OWNER" GET "/api/v1/projects/$PROJECT"
	assert_equal "$(header ETag)" "$new"
	assert_equal "$(json .name)" Final
}

@test "PATCH of both fields names both in the audit entry" {
	ready_owner
	create "$OWNER" "Both"
	in_owner "$OWNER" PATCH "/api/v1/projects/$PROJECT" '{"name":"Both 2","description":"new"}'
	assert_equal "$status_code" 200
	assert_equal "$(json .description)" new
	assert_equal "$(psql_owner "SELECT details->'fields' FROM public.audit_logs
	    WHERE action = 'project.update' AND target_id = '$PROJECT'")" '["name", "description"]'
}

@test "PATCH with the values already stored changes nothing: same ETag, no audit entry" {
	ready_owner
	create "$OWNER" "Same" "text"
	in_owner "$OWNER" PATCH "/api/v1/projects/$PROJECT" '{"name":" Same ","description":"text"}'
	assert_equal "$status_code" 200
	assert_equal "$(header ETag)" "$ETAG"
	assert_equal "$(project_col "$PROJECT" version)" 1
	assert_equal "$(audits project.update "$PROJECT")" 0
	# A change of case is a change.
	rename "$OWNER" "$PROJECT" "SAME"
	assert_equal "$status_code" 200
	assert_equal "$(json .name)" SAME
	assert_equal "$(project_col "$PROJECT" version)" 2
}

@test "PATCH with no field, an unknown field or a bad value answers 422 and changes nothing" {
	ready_owner
	create "$OWNER" "Strict"
	in_owner "$OWNER" PATCH "/api/v1/projects/$PROJECT" '{}'
	assert_invalid body required
	in_owner "$OWNER" PATCH "/api/v1/projects/$PROJECT" '{"name":"X","version":7}'
	assert_invalid version unknown
	in_owner "$OWNER" PATCH "/api/v1/projects/$PROJECT" '{"name":"  "}'
	assert_invalid name too_short
	in_owner "$OWNER" PATCH "/api/v1/projects/$PROJECT" '{"description":7}'
	assert_invalid description type
	in_owner "$OWNER" PATCH "/api/v1/projects/$PROJECT" '{"name":null}'
	assert_invalid name type
	assert_equal "$(project_col "$PROJECT" "name || version")" Strict1
}

@test "PATCH to a name another project holds, in any case, answers 409 PROJECT_NAME_TAKEN" {
	ready_owner
	create "$OWNER" "Taken"
	create "$OWNER" "Free"
	rename "$OWNER" "$PROJECT" "TAKEN"
	assert_error 409 PROJECT_NAME_TAKEN
	assert_equal "$(project_col "$PROJECT" "name || version")" Free1
	assert_equal "$(audits project.update "$PROJECT")" 0
}

@test "If-Match with the current ETag lets the change through" {
	ready_owner
	create "$OWNER" "Tagged"
	rename "$OWNER" "$PROJECT" "Tagged 2" "$ETAG"
	assert_equal "$status_code" 200
	assert_equal "$(json .name)" "Tagged 2"
}

@test "If-Match with a stale ETag answers 412 PRECONDITION_FAILED and changes nothing" {
	ready_owner
	edited "Stale"
	rename "$OWNER" "$PROJECT" "Stale 3" "$STALE"
	assert_error 412 PRECONDITION_FAILED
	assert_equal "$(project_col "$PROJECT" "name || '|' || version")" "Stale 2|2"
	assert_equal "$(audits project.update "$PROJECT")" 1
}

@test "If-Match * matches any existing project; a list matches when it holds the current tag" {
	ready_owner
	create "$OWNER" "Star"
	first=$ETAG
	rename "$OWNER" "$PROJECT" "Star 2" "*"
	assert_equal "$status_code" 200
	current=$(header ETag)
	rename "$OWNER" "$PROJECT" "Star 3" "$first, $current"
	assert_equal "$status_code" 200
	rename "$OWNER" "$PROJECT" "Star 4" "$first, \"other\""
	assert_error 412 PRECONDITION_FAILED
}

@test "If-Match with the current tag made weak answers 412: the comparison is strong" {
	ready_owner
	create "$OWNER" "Weak"
	rename "$OWNER" "$PROJECT" "Weak 2" "W/$ETAG"
	assert_error 412 PRECONDITION_FAILED
	assert_equal "$(project_col "$PROJECT" name)" Weak
}

@test "one project's ETag does not match another's, even at the same version" {
	ready_owner
	create "$OWNER" "One"
	one=$ETAG
	create "$OWNER" "Two"
	assert_not_equal "$ETAG" "$one"
	rename "$OWNER" "$PROJECT" "Two 2" "$one"
	assert_error 412 PRECONDITION_FAILED
}

@test "an If-Match that is not one answers 400 and changes nothing" {
	ready_owner
	create "$OWNER" "Garbled"
	for value in 'abc' '"unterminated' "*, $ETAG" "$ETAG $ETAG"; do
		rename "$OWNER" "$PROJECT" "Garbled 2" "$value"
		assert_error 400 BAD_REQUEST
	done
	assert_equal "$(project_col "$PROJECT" name)" Garbled
}

@test "If-Match on an unknown or deleted project answers 404, not 412" {
	ready_owner
	rename "$OWNER" 00000000-0000-4000-8000-000000000000 "X" "*"
	assert_error 404 NOT_FOUND
	create "$OWNER" "Gone"
	in_owner "$OWNER" DELETE "/api/v1/projects/$PROJECT"
	rename "$OWNER" "$PROJECT" "X" "$ETAG"
	assert_error 404 NOT_FOUND
}

@test "GET honours If-Match too: 412 for a stale tag" {
	ready_owner
	edited "Read"
	HTTP_IF_MATCH=$STALE in_owner "$OWNER" GET "/api/v1/projects/$PROJECT"
	assert_error 412 PRECONDITION_FAILED
	HTTP_IF_MATCH=$CURRENT in_owner "$OWNER" GET "/api/v1/projects/$PROJECT"
	assert_equal "$status_code" 200
	assert_equal "$(json .name)" "Read 2"
}

@test "two edits under the same ETag at once: one wins, the other is refused 412" {
	ready_owner
	create "$OWNER" "Race"
	tag=$ETAG
	for who in a b; do
		( rename "$OWNER" "$PROJECT" "Race $who" "$tag"; echo "$status_code" >"$BATS_TEST_TMPDIR/$who" ) 3>&- &
	done
	wait
	assert_equal "$(sort "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b" | tr '\n' ' ')" "200 412 "
	assert_equal "$(project_col "$PROJECT" version)" 2
	assert_equal "$(audits project.update "$PROJECT")" 1
}

# ---- delete --------------------------------------------------------------------

@test "DELETE soft-deletes: 204, then it neither reads nor lists, and it is audited" {
	ready_owner
	create "$OWNER" "Doomed"
	doomed=$PROJECT
	create "$OWNER" "Kept"
	in_owner "$OWNER" DELETE "/api/v1/projects/$doomed"
	assert_equal "$status_code" 204
	assert_equal "$body" ""
	# The row stays, marked.
	assert_equal "$(project_col "$doomed" "deleted_at IS NOT NULL")" t
	in_owner "$OWNER" GET "/api/v1/projects/$doomed"
	assert_error 404 NOT_FOUND
	in_owner "$OWNER" GET /api/v1/projects
	assert_equal "$(names)" Kept
	in_owner "$OWNER" GET "/api/v1/projects?q=doomed"
	assert_equal "$(json -c .items)" "[]"
	assert_equal "$(psql_owner "SELECT actor_id || '|' || tenant_id || '|' || target_type || '|'
	    || (details->>'name') FROM public.audit_logs
	    WHERE action = 'project.delete' AND target_id = '$doomed'")" \
	    "$OWNER_ID|$OWNER_TENANT|project|Doomed"
}

@test "a deleted project's name can be used again; deleting it again answers 404" {
	ready_owner
	create "$OWNER" "Phoenix"
	first=$PROJECT
	in_owner "$OWNER" DELETE "/api/v1/projects/$first"
	assert_equal "$status_code" 204
	create "$OWNER" "PHOENIX"
	assert_equal "$status_code" 201
	assert_not_equal "$PROJECT" "$first"
	in_owner "$OWNER" DELETE "/api/v1/projects/$first"
	assert_error 404 NOT_FOUND
	in_owner "$OWNER" PATCH "/api/v1/projects/$first" '{"name":"Ash"}'
	assert_error 404 NOT_FOUND
	assert_equal "$(audits project.delete "$first")" 1
	# Renaming the old one back is no way around the name either.
	create "$OWNER" "Other"
	rename "$OWNER" "$PROJECT" "phoenix"
	assert_error 409 PROJECT_NAME_TAKEN
}

@test "DELETE honours If-Match: a stale tag answers 412 and the project stays" {
	ready_owner
	edited "Careful"
	HTTP_IF_MATCH=$STALE in_owner "$OWNER" DELETE "/api/v1/projects/$PROJECT"
	assert_error 412 PRECONDITION_FAILED
	assert_equal "$(project_col "$PROJECT" "deleted_at IS NULL")" t
	assert_equal "$(audit_count project.delete "$OWNER_ID")" 0
	HTTP_IF_MATCH=$CURRENT in_owner "$OWNER" DELETE "/api/v1/projects/$PROJECT"
	assert_equal "$status_code" 204
}

# ---- who may -----------------------------------------------------------------

@test "a member lists, reads, creates and edits" {
	ready_owner
	create "$OWNER" "Owned"
	owned=$PROJECT
	add_member member
	in_owner "$MEMBER" GET /api/v1/projects
	assert_equal "$status_code" 200
	assert_equal "$(names)" Owned
	in_owner "$MEMBER" GET "/api/v1/projects/$owned"
	assert_equal "$status_code" 200
	create "$MEMBER" "Members' own"
	assert_equal "$status_code" 201
	assert_equal "$(json .created_by)" "$MEMBER_ID"
	rename "$MEMBER" "$owned" "Edited by a member"
	assert_equal "$status_code" 200
	assert_equal "$(audit_count project.update "$MEMBER_ID")" 1
}

@test "a member may not delete: 403 FORBIDDEN, and the project stays" {
	ready_owner
	create "$OWNER" "Protected"
	add_member member
	in_owner "$MEMBER" DELETE "/api/v1/projects/$PROJECT"
	assert_error 403 FORBIDDEN
	assert_equal "$(project_col "$PROJECT" "deleted_at IS NULL")" t
	assert_equal "$(audit_count project.delete "$MEMBER_ID")" 0
	# Not even one that does not exist: the role is checked first.
	in_owner "$MEMBER" DELETE /api/v1/projects/00000000-0000-4000-8000-000000000000
	assert_error 403 FORBIDDEN
}

@test "an admin deletes, and so does an owner" {
	ready_owner
	create "$OWNER" "By admin"
	by_admin=$PROJECT
	create "$OWNER" "By owner"
	by_owner=$PROJECT
	add_member admin
	in_owner "$MEMBER" DELETE "/api/v1/projects/$by_admin"
	assert_equal "$status_code" 204
	assert_equal "$(audit_count project.delete "$MEMBER_ID")" 1
	in_owner "$OWNER" DELETE "/api/v1/projects/$by_owner"
	assert_equal "$status_code" 204
	assert_equal "$(audit_count project.delete "$OWNER_ID")" 1
}

@test "under impersonation the audit entry names the impersonator too" {
	ready_owner
	register "$(new_email su)" >/dev/null
	su=$USER_ID
	psql_owner "UPDATE public.users SET is_superuser = true WHERE id = '$su'" >/dev/null
	sid=$(psql_owner "INSERT INTO public.sessions (user_id, tenant_id, impersonator_id, expires_at)
	    VALUES ('$OWNER_ID', '$OWNER_TENANT', '$su', now() + interval '15 minutes') RETURNING id")
	token=$(forge_jwt '{"alg":"HS256","typ":"JWT"}' "$(jwt_payload "$OWNER" |
	    jq -c --arg sid "$sid" --arg su "$su" '.sid = $sid | .act = {sub: $su}')")
	create "$token" "Impersonated"
	assert_equal "$status_code" 201
	assert_equal "$(psql_owner "SELECT actor_id || '|' || impersonator_id FROM public.audit_logs
	    WHERE action = 'project.create' AND target_id = '$PROJECT'")" "$OWNER_ID|$su"
}

# ---- isolation -------------------------------------------------------------------

@test "another tenant's projects are 404 on GET, PATCH and DELETE, and never listed" {
	ready_owner
	create "$OWNER" "Secret of B" "b only"
	b_project=$PROJECT b_token=$OWNER b_slug=$OWNER_SLUG b_schema=$OWNER_SCHEMA
	ready_owner
	create "$OWNER" "Public of A"
	in_owner "$OWNER" GET "/api/v1/projects/$b_project"
	assert_error 404 NOT_FOUND
	in_owner "$OWNER" PATCH "/api/v1/projects/$b_project" '{"name":"Hijacked"}'
	assert_error 404 NOT_FOUND
	HTTP_IF_MATCH='*' in_owner "$OWNER" PATCH "/api/v1/projects/$b_project" '{"name":"Hijacked"}'
	assert_error 404 NOT_FOUND
	in_owner "$OWNER" DELETE "/api/v1/projects/$b_project"
	assert_error 404 NOT_FOUND
	in_owner "$OWNER" GET "/api/v1/projects?limit=100"
	assert_equal "$(names)" "Public of A"
	in_owner "$OWNER" GET "/api/v1/projects?q=secret"
	assert_equal "$(json -c .items)" "[]"
	# B's project is as it was.
	assert_equal "$(psql_owner "SELECT name || '|' || (deleted_at IS NULL) FROM $b_schema.projects
	    WHERE id = '$b_project'")" "Secret of B|true"
	at "$b_token" "$b_slug" GET "/api/v1/projects/$b_project"
	assert_equal "$status_code" 200
}

@test "a token for tenant A naming tenant B answers 403 TENANT_MISMATCH" {
	ready_owner
	create "$OWNER" "B's"
	b_project=$PROJECT b_slug=$OWNER_SLUG
	ready_owner
	at "$OWNER" "$b_slug" GET /api/v1/projects
	assert_error 403 TENANT_MISMATCH
	at "$OWNER" "$b_slug" GET "/api/v1/projects/$b_project"
	assert_error 403 TENANT_MISMATCH
	at "$OWNER" "$b_slug" POST /api/v1/projects '{"name":"Planted"}'
	assert_error 403 TENANT_MISMATCH
	at "$OWNER" "$b_slug" PATCH "/api/v1/projects/$b_project" '{"name":"Hijacked"}'
	assert_error 403 TENANT_MISMATCH
	at "$OWNER" "$b_slug" DELETE "/api/v1/projects/$b_project"
	assert_error 403 TENANT_MISMATCH
}

@test "two tenants may each have a project of the same name" {
	ready_owner
	create "$OWNER" "Common name"
	assert_equal "$status_code" 201
	ready_owner
	create "$OWNER" "common NAME"
	assert_equal "$status_code" 201
}
