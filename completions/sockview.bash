# bash completion for sockview
_sockview()
{
	local cur prev cmd i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	local commands="list fields help"
	local list_opts="-t -u -w -x -4 -6 -a -l -n -e -m -i -o -h
		--tcp --udp --raw --unix --ipv4 --ipv6 --all --listening
		--numeric --extended --memory --info --options --json --jsonl --help
		-p -r --processes --resolve --netns --netns-pid --resolver-threads
		--resolve-timeout"

	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done

	case $cmd in
	"")
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--help --version $list_opts" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		fi
		;;
	list)
		case $prev in
		--netns)
			COMPREPLY=($(compgen -W "$(ls /run/netns 2>/dev/null)" -- "$cur"))
			return ;;
		--netns-pid)
			COMPREPLY=($(compgen -W "$(ls /proc | grep -E '^[0-9]+$')" -- "$cur"))
			return ;;
		--resolver-threads|--resolve-timeout)
			return ;;
		esac
		COMPREPLY=($(compgen -W "$list_opts" -- "$cur"))
		;;
	fields)
		COMPREPLY=($(compgen -W "--roff --help" -- "$cur"))
		;;
	help)
		COMPREPLY=($(compgen -W "list fields" -- "$cur"))
		;;
	esac
}
complete -F _sockview sockview
