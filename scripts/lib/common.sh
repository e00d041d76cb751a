# What the admin scripts (migrate, jobs, tenant-backup, tenant-restore)
# share: messages and exits, the common options, the settings read from the
# environment or a --config file, and psql as the owner role. Sourced, not
# run. A script sets prog (its name, for messages) and defines usage()
# before it calls anything here.
#
# Exit status conventions: 0 done, 1 refused or failed, 2 bad usage.
#
# The variables set here (repo, config, args, db_url, psql_bin) are the
# sourcing script's to read, and prog is its to set:
# shellcheck shell=bash disable=SC2034,SC2154

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
config=''

die() {
	echo "$prog: $*" >&2
	exit 1
}

# usage_error MESSAGE: bad usage: the message, the usage text, status 2.
usage_error() {
	echo "$prog: $*" >&2
	usage >&2
	exit 2
}

trim() {
	local s=$1

	s=${s#"${s%%[![:space:]]*}"}
	s=${s%"${s##*[![:space:]]}"}
	printf '%s' "$s"
}

# config_get FILE KEY: prints KEY's value in FILE (KEY=VALUE lines, "#"
# comments, value optionally in matching quotes), or nothing.
config_get() {
	local file=$1 key=$2 line k v value=''

	while IFS= read -r line || [[ -n $line ]]; do
		line=$(trim "$line")
		[[ -z $line || $line == \#* || $line != *=* ]] && continue
		k=$(trim "${line%%=*}")
		v=$(trim "${line#*=}")
		if [[ ${#v} -ge 2 && ( $v == \"*\" || $v == \'*\' ) ]]; then
			v=${v:1:${#v}-2}
		fi
		[[ $k == "$key" ]] && value=$v
	done <"$file"
	printf '%s' "$value"
}

# common_options ARGS...: takes the options every script knows, wherever
# they stand: --config FILE (or --config=FILE) into config, and --help (-h),
# which prints the usage and exits 0. The other arguments, in their order,
# go into the array args.
common_options() {
	config='' args=()
	while (($# > 0)); do
		case $1 in
		--config)
			(($# >= 2)) || usage_error "--config needs a file"
			config=$2
			shift 2
			;;
		--config=*) config=${1#*=}; shift ;;
		-h | --help) usage; exit 0 ;;
		*) args+=("$1"); shift ;;
		esac
	done
}

# setting KEY DEFAULT: KEY's value: the environment's, else the --config
# file's, else DEFAULT. The file is read only when the environment lacks KEY.
setting() {
	local key=$1 value=${!1-}

	if [[ -z $value && -n $config ]]; then
		[[ -r $config ]] || die "cannot read $config"
		value=$(config_get "$config" "$key")
	fi
	printf '%s' "${value:-$2}"
}

# owner_url: sets db_url, the owner role's connection string (never
# printed), and psql_bin, the psql that goes with PG_DUMP.
owner_url() {
	db_url=$(setting DATABASE_OWNER_URL 'postgresql:///saas?user=saas_owner')
	psql_bin=$(pg_tool psql)
}

# owner_psql ARGS...: psql as the owner role, never prompting for a
# password, stopping at the first error. Values reach SQL as psql variables
# (-v name=value, used as :'name'), never spliced into its text.
owner_psql() {
	"$psql_bin" -X -q -w -v ON_ERROR_STOP=1 -d "$db_url" "$@"
}

# pg_tool NAME: the PostgreSQL client program NAME (pg_restore, psql) that
# goes with PG_DUMP: the one beside it when PG_DUMP is a path, else NAME.
pg_tool() {
	local dump

	dump=$(setting PG_DUMP pg_dump)
	if [[ $dump == */* && -x ${dump%/*}/$1 ]]; then
		printf '%s' "${dump%/*}/$1"
	else
		printf '%s' "$1"
	fi
}
