# bash completion for sockview
_sockview()
{
	local cur prev cmd i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	local commands="list metrics serve watch fields help"
	local watch_opts="--interval --count --duration -n --numeric --json -h --help"
	local filter_words="state exclude dst src dport sport dev fwmark cgroup autobound and or not pid comm uid inode"
	local list_opts="-t -u -w -x -4 -6 -a -l -n -e -m -i -o -h
		--tcp --udp --raw --unix --ipv4 --ipv6 --all --listening
		--numeric --extended --memory --info --options --json --jsonl --help
		-p -r --processes --resolve --netns --netns-pid --resolver-threads
		--resolve-timeout -F --filter-file --save --load"
	local metrics_opts="--top --per-socket --max-series --openmetrics"
	local serve_opts="--listen --scrape-timeout --max-connections"

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
	list|metrics|serve)
		case $prev in
		--top|--max-series|--per-socket|--listen|--scrape-timeout|--max-connections)
			return ;;
		--netns)
			COMPREPLY=($(compgen -W "$(ls /run/netns 2>/dev/null)" -- "$cur"))
			return ;;
		--netns-pid)
			COMPREPLY=($(compgen -W "$(ls /proc | grep -E '^[0-9]+$')" -- "$cur"))
			return ;;
		--resolver-threads|--resolve-timeout)
			return ;;
		-F|--filter-file|--save|--load)
			COMPREPLY=($(compgen -f -- "$cur"))
			return ;;
		state|exclude)
			COMPREPLY=($(compgen -W "established syn-sent syn-recv fin-wait-1 fin-wait-2 time-wait closed close-wait last-ack listening closing all connected synchronized bucket big" -- "$cur"))
			return ;;
		esac
		if [[ $cur == -* && $cmd == serve ]]; then
			COMPREPLY=($(compgen -W "$list_opts $metrics_opts $serve_opts" -- "$cur"))
		elif [[ $cur == -* && $cmd == metrics ]]; then
			COMPREPLY=($(compgen -W "$list_opts $metrics_opts" -- "$cur"))
		elif [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$list_opts" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$filter_words" -- "$cur"))
		fi
		;;
	watch)
		case $prev in
		--interval|--count|--duration) return ;;
		esac
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$watch_opts" -- "$cur"))
		else
			local p
			COMPREPLY=($(for p in /proc/[0-9]*; do p=${p#/proc/}; [[ $p == "$cur"* ]] && echo "$p"; done))
		fi
		;;
	fields)
		COMPREPLY=($(compgen -W "--roff --help" -- "$cur"))
		;;
	help)
		COMPREPLY=($(compgen -W "list metrics serve watch fields" -- "$cur"))
		;;
	esac
}
complete -F _sockview sockview
