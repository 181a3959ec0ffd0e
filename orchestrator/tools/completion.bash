# The completion functions; zsim-docgen puts the tables they read
# (__zsim_orch_subs, __zsim_orch_opts, __zsim_orch_optarg,
# __zsim_orch_args, the word lists) above this. Only bash-completion 2.1's
# API (CentOS 7): _init_completion and _filedir, no _comp_* functions.

# Complete `cur` as a value of kind $1 (what the usage calls it: EXP, ID,
# SET, DIR, FILE.job, png|svg|pdf...). $2 is zsim-orch, the rest the
# global options to pass it (--config, --root: the spool and results they
# name). The listings read files only; nothing asks libvirt.
__zsim_orch_value()
{
	local kind=$1 prog=$2 words
	shift 2
	case $kind in
	EXP)
		words=$("$prog" "$@" run --list 2>/dev/null | awk '{ print $1 }')
		COMPREPLY=($(compgen -W "$words" -- "$cur"))
		;;
	ID)
		words=$("$prog" "$@" queue ls 2>/dev/null | awk 'NR > 1 { print $1 }')
		COMPREPLY=($(compgen -W "$words" -- "$cur"))
		;;
	SET)
		# a path, or the name of a set in [paths] results
		if [[ $cur == */* ]]; then
			_filedir params
			return
		fi
		words=$("$prog" "$@" results ls 2>/dev/null |
			awk 'NR > 1 { n = split($NF, p, "/"); print p[n] }')
		COMPREPLY=($(compgen -W "$words" -- "$cur"))
		;;
	COMMAND)
		COMPREPLY=($(compgen -W "$__zsim_orch_commands" -- "$cur"))
		;;
	NAME=VALUE)
		if [[ $cur != *=* ]]; then
			COMPREPLY=($(compgen -W "$__zsim_orch_knobs" -- "$cur"))
			compopt -o nospace
		fi
		;;
	DIR)
		_filedir -d
		;;
	FILE | DEV | FILE\|DEV | HOST_PATH)
		_filedir
		;;
	*.*)
		# FILE.job, FILE.params, CLOUD.qcow2
		_filedir "${kind##*.}"
		;;
	*\|*)
		COMPREPLY=($(compgen -W "${kind//|/ }" -- "$cur"))
		;;
	esac
}

# The kind of the n-th ($2, from 0) operand of "$1" (a command, or a
# command and its nested verb), from the operand names its usage gives:
# "SET SET", "[DIR]", "EXP ARGS...", "SET..." (the last one repeats).
__zsim_orch_operand()
{
	local -a spec=($(__zsim_orch_args "$1"))
	local n=$2 kind= last=$((${#spec[@]} - 1))
	if ((n <= last)); then
		kind=${spec[n]}
	elif ((last >= 0)) && [[ ${spec[last]} == *... || ${spec[last]} == *...\] ]]; then
		kind=${spec[last]}
	fi
	kind=${kind#\[}
	kind=${kind%\]}
	kind=${kind%...}
	echo "$kind"
}

_zsim_orch()
{
	local cur prev words cword split
	_init_completion -s || return

	local i w cmd= sub= key= kind subs n=0
	local -a globals=()
	for ((i = 1; i < cword; i++)); do
		w=${words[i]}
		if [[ -z $cmd ]]; then
			case $w in
			--config=* | --root=* | --connect=*)
				globals+=("$w")
				;;
			--config | -c | --root | -r | --connect)
				((i + 1 < cword)) && globals+=("$w" "${words[i + 1]}")
				((i++))
				;;
			-*) ;;
			*)
				cmd=$w
				subs=$(__zsim_orch_subs "$cmd")
				;;
			esac
			continue
		fi
		if [[ -n $subs && -z $sub ]]; then
			sub=$w
			continue
		fi
		key=$cmd${sub:+ $sub}
		case $w in
		--*=*) ;;
		-?*)
			# an option that takes a value takes the next word
			[[ -n $(__zsim_orch_optarg "$key" "$w") ]] && ((i++))
			;;
		*) ((n++)) ;;
		esac
	done
	key=$cmd${sub:+ $sub}

	if [[ $prev == -* ]]; then
		kind=$(__zsim_orch_optarg "$key" "$prev")
		if [[ -n $kind ]]; then
			__zsim_orch_value "$kind" "$1" "${globals[@]}"
			return
		fi
	fi
	$split && return

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$__zsim_orch_globals" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$__zsim_orch_commands" -- "$cur"))
		fi
		return
	fi
	if [[ -n $subs && -z $sub ]]; then
		COMPREPLY=($(compgen -W "$subs" -- "$cur"))
		return
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(__zsim_orch_opts "$key")" -- "$cur"))
		return
	fi
	kind=$(__zsim_orch_operand "$key" "$n")
	[[ -n $kind ]] && __zsim_orch_value "$kind" "$1" "${globals[@]}"
} &&
	complete -F _zsim_orch zsim-orch
