# The service's configuration file as the admin scripts read it (sourced by
# scripts/migrate and scripts/create-superuser): KEY=VALUE lines, "#"
# comments, a value optionally in matching quotes, as lib/config.c reads
# them; the environment wins over the file.
#
#   config_get FILE KEY     prints KEY's value in FILE, or nothing
#   config_owner_url FILE   the owner role's connection string:
#                           DATABASE_OWNER_URL from the environment, else
#                           from FILE (when FILE is not ""), else the
#                           default; fails when FILE cannot be read

config_trim() {
	local s=$1

	s=${s#"${s%%[![:space:]]*}"}
	s=${s%"${s##*[![:space:]]}"}
	printf '%s' "$s"
}

config_get() {
	local file=$1 key=$2 line k v value=

	while IFS= read -r line || [[ -n $line ]]; do
		line=$(config_trim "$line")
		[[ -z $line || $line == \#* || $line != *=* ]] && continue
		k=$(config_trim "${line%%=*}")
		v=$(config_trim "${line#*=}")
		if [[ ${#v} -ge 2 && ( $v == \"*\" || $v == \'*\' ) ]]; then
			v=${v:1:${#v}-2}
		fi
		[[ $k == "$key" ]] && value=$v
	done <"$file"
	printf '%s' "$value"
}

config_owner_url() {
	local file=$1 url=${DATABASE_OWNER_URL-}

	if [[ -z $url && -n $file ]]; then
		[[ -r $file ]] || return 1
		url=$(config_get "$file" DATABASE_OWNER_URL)
	fi
	printf '%s' "${url:-postgresql:///saas?user=saas_owner}"
}
