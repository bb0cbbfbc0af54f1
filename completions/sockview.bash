# bash completion for sockview
# Generated from src/core/options.c by 'make docs': edit that, not this.

_sockview_pids()
{
	local p
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[[ $p == "$cur"* ]] && echo "$p"
	done
}

_sockview_list()
{
	case $prev in
	-f|--family|-A|--query|--resolver-threads|--resolve-timeout)
		return ;;
	-F|--filter-file|--save|--load)
		COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--netns-pid)
		COMPREPLY=($(_sockview_pids)); return ;;
	-N|--netns)
		COMPREPLY=($(compgen -W "$(ls /run/netns 2>/dev/null)" -- "$cur")); return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "-t --tcp -u --udp -w --raw -x --unix -4 --ipv4 -6 --ipv6 -f --family -A --query -l --listening -a --all -e --extended -m --memory -i --info -o --options -p --processes -n --numeric -r --resolve --resolver-threads --resolve-timeout -N --netns --netns-pid --all-netns -F --filter-file --save --load --json --jsonl -H --no-header -O --oneline -s --summary -E --events -V --version -h --help $1" -- "$cur"))
		return
	fi
	case $prev in
	state|exclude)
		COMPREPLY=($(compgen -W "established syn-sent syn-recv fin-wait-1 fin-wait-2 time-wait closed close-wait last-ack listening closing bound-inactive all connected synchronized bucket big" -- "$cur"))
		return ;;
	esac
	COMPREPLY=($(compgen -W "state exclude dst src dport sport dev fwmark cgroup autobound pid comm uid inode and or not" -- "$cur"))
}

_sockview_metrics()
{
	case $prev in
	-f|--family|-A|--query|--resolver-threads|--resolve-timeout|--top|--per-socket|--max-series)
		return ;;
	-F|--filter-file|--save|--load)
		COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--netns-pid)
		COMPREPLY=($(_sockview_pids)); return ;;
	-N|--netns)
		COMPREPLY=($(compgen -W "$(ls /run/netns 2>/dev/null)" -- "$cur")); return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "-t --tcp -u --udp -w --raw -x --unix -4 --ipv4 -6 --ipv6 -f --family -A --query -l --listening -a --all -e --extended -m --memory -i --info -o --options -p --processes -n --numeric -r --resolve --resolver-threads --resolve-timeout -N --netns --netns-pid --all-netns -F --filter-file --save --load --json --jsonl -H --no-header -O --oneline -s --summary -E --events -V --version --top --per-socket --max-series --openmetrics -h --help $1" -- "$cur"))
		return
	fi
	case $prev in
	state|exclude)
		COMPREPLY=($(compgen -W "established syn-sent syn-recv fin-wait-1 fin-wait-2 time-wait closed close-wait last-ack listening closing bound-inactive all connected synchronized bucket big" -- "$cur"))
		return ;;
	esac
	COMPREPLY=($(compgen -W "state exclude dst src dport sport dev fwmark cgroup autobound pid comm uid inode and or not" -- "$cur"))
}

_sockview_serve()
{
	case $prev in
	-f|--family|-A|--query|--resolver-threads|--resolve-timeout|--top|--per-socket|--max-series|--listen|--scrape-timeout|--max-connections)
		return ;;
	-F|--filter-file|--save|--load)
		COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--netns-pid)
		COMPREPLY=($(_sockview_pids)); return ;;
	-N|--netns)
		COMPREPLY=($(compgen -W "$(ls /run/netns 2>/dev/null)" -- "$cur")); return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "-t --tcp -u --udp -w --raw -x --unix -4 --ipv4 -6 --ipv6 -f --family -A --query -l --listening -a --all -e --extended -m --memory -i --info -o --options -p --processes -n --numeric -r --resolve --resolver-threads --resolve-timeout -N --netns --netns-pid --all-netns -F --filter-file --save --load --json --jsonl -H --no-header -O --oneline -s --summary -E --events -V --version --top --per-socket --max-series --openmetrics --listen --scrape-timeout --max-connections -h --help $1" -- "$cur"))
		return
	fi
	case $prev in
	state|exclude)
		COMPREPLY=($(compgen -W "established syn-sent syn-recv fin-wait-1 fin-wait-2 time-wait closed close-wait last-ack listening closing bound-inactive all connected synchronized bucket big" -- "$cur"))
		return ;;
	esac
	COMPREPLY=($(compgen -W "state exclude dst src dport sport dev fwmark cgroup autobound pid comm uid inode and or not" -- "$cur"))
}

_sockview_watch()
{
	case $prev in
	--interval|--count|--duration|--samples|--events|--edge-rate)
		return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "--interval --count --duration -n --numeric --json --samples --events --edge-rate -h --help $1" -- "$cur"))
		return
	fi
	COMPREPLY=($(_sockview_pids))
}

_sockview_fields()
{
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "--roff -h --help $1" -- "$cur"))
		return
	fi
	return 0
}

_sockview_help()
{
	COMPREPLY=($(compgen -W "list metrics serve watch fields" -- "$cur"))
}

_sockview()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}

	if ((COMP_CWORD == 1)); then
		if [[ $cur == -* ]]; then
			# options alone mean list
			_sockview_list ""
		else
			COMPREPLY=($(compgen -W "list metrics serve watch fields help" -- "$cur"))
		fi
		return
	fi
	case ${COMP_WORDS[1]} in
	-*) _sockview_list ;;
	list) _sockview_list ;;
	metrics) _sockview_metrics ;;
	serve) _sockview_serve ;;
	watch) _sockview_watch ;;
	fields) _sockview_fields ;;
	help) _sockview_help ;;
	esac
}
complete -F _sockview sockview
