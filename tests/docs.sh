#!/usr/bin/env bash
# The reference stays complete and current: what the option and field
# tables generate (man/options.roff, man/fields.roff, the completions) is
# what the tree holds; every option --help lists is in the man page and
# the three completions, and the other way round; the completions work;
# the man page lints clean.  Prints one "N passed, N failed" line.
set -u
cd "$(dirname "$0")/.."
SOCKVIEW=${SOCKVIEW:-./sockview}
GENDOCS=${GENDOCS:-build-asan/gendocs}
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Generated files: regenerate into a temporary tree and compare.
if [ ! -x "$GENDOCS" ]; then
	bad "no generator at $GENDOCS: run 'make build-asan/gendocs'"
elif ! "$GENDOCS" "$tmp/gen" >"$tmp/gen.log" 2>&1; then
	bad "$GENDOCS failed: $(cat "$tmp/gen.log")"
else
	n=0
	for f in $(cd "$tmp/gen" && find . -type f | sed 's|^\./||' | sort); do
		n=$((n + 1))
		if cmp -s "$tmp/gen/$f" "$f"; then
			ok "$f is current"
		else
			bad "$f is stale: it is not what src/core/options.c and src/core/fields.c generate; run 'make docs' (edit the tables, not the file)"
			diff -u "$f" "$tmp/gen/$f" | head -20
		fi
	done
	[ "$n" -ge 5 ] && ok "$n generated files compared" || bad "only $n generated files"
fi

help_opts=$( { "$SOCKVIEW" --help; "$SOCKVIEW" list --help; "$SOCKVIEW" metrics --help; "$SOCKVIEW" serve --help; "$SOCKVIEW" watch --help; "$SOCKVIEW" fields --help; } |
	grep -oE -- '(^|[ ,])--?[a-zA-Z0-9][a-z0-9-]*' | tr -d ' ,' | sort -u)
[ -n "$help_opts" ] && ok "--help lists options" || bad "--help lists no options"
man_opts=$(sed -n '/^\.SH OPTIONS/,/^\.SH FILTER/p' man/sockview.8 | grep -E '^\.(B|BR|BI) ' |
	grep -oE -- '\\-\\?-?[a-zA-Z0-9][a-z0-9\\-]*' | sed 's/\\-/-/g' | sort -u)
for o in $help_opts; do
	grep -qxF -- "$o" <<<"$man_opts" && ok "man has $o" || bad "man page lacks $o"
	grep -qE -- "(^|[[:space:]\"|])$o([[:space:]|)]|\$|\")" completions/sockview.bash && ok "bash completes $o" || bad "bash completion lacks $o"
	case $o in
	--*) grep -qE -- "-l ${o#--}( |\$)" completions/sockview.fish ;;
	*) grep -qE -- "-s ${o#-}( |\$)" completions/sockview.fish ;;
	esac && ok "fish completes $o" || bad "fish completion lacks $o"
	grep -qF -- "$o" completions/_sockview && ok "zsh completes $o" || bad "zsh completion lacks $o"
done
for o in $man_opts; do
	grep -qxF -- "$o" <<<"$help_opts" && ok "--help has $o" || bad "--help lacks $o (in man page)"
done

if command -v mandoc >/dev/null; then
	out=$(mandoc -Tlint -W warning man/sockview.8 2>&1)
	[ -z "$out" ] && ok "mandoc -Tlint clean" || bad "mandoc -Tlint: $out"
	# an option and its value read as two words
	mandoc -Tascii man/sockview.8 | col -b | grep -q -- '--netns-pid pid' &&
		ok "man shows '--netns-pid pid'" || bad "man page renders --netns-pid without its value apart"
else
	echo "skip mandoc -Tlint: mandoc is not installed"
fi

# bash: drive the completion function as bash would.
res=$(bash -c 'source completions/sockview.bash
	COMP_WORDS=(sockview li); COMP_CWORD=1; _sockview; echo "${COMPREPLY[*]}"
	COMP_WORDS=(sockview list --js); COMP_CWORD=2; _sockview; echo "${COMPREPLY[*]}"
	COMP_WORDS=(sockview help ""); COMP_CWORD=2; _sockview; echo "${COMPREPLY[*]}"
	COMP_WORDS=(sockview list -t state list); COMP_CWORD=4; _sockview; echo "${COMPREPLY[*]}"
	COMP_WORDS=(sockview -t dp); COMP_CWORD=2; _sockview; echo "${COMPREPLY[*]}"
	COMP_WORDS=(sockview --vers); COMP_CWORD=1; _sockview; echo "${COMPREPLY[*]}"
	COMP_WORDS=(sockview watch --dur); COMP_CWORD=2; _sockview; echo "${COMPREPLY[*]}"
	COMP_WORDS=(sockview metrics -t --openm); COMP_CWORD=3; _sockview; echo "${COMPREPLY[*]}"
	COMP_WORDS=(sockview metrics --tc); COMP_CWORD=2; _sockview; echo "${COMPREPLY[*]}"
	COMP_WORDS=(sockview list --netns-pid 1); COMP_CWORD=3; _sockview; echo "${COMPREPLY[*]}"')
want=("list" "--json --jsonl" "list metrics serve watch fields" "listening" "dport" "--version" "--duration" "--openmetrics" "--tcp")
what=("sockview li" "list --js" "help " "list -t state list" "-t dp" "--vers" "watch --dur" "metrics -t --openm" "metrics --tc")
for i in "${!want[@]}"; do
	got=$(sed -n "$((i + 1))p" <<<"$res")
	[ "$got" = "${want[$i]}" ] && ok "bash: ${what[$i]}<Tab>" || bad "bash: ${what[$i]}<Tab> gave '$got', want '${want[$i]}'"
done
# process ids: init is one, and every word is a process id
got=$(sed -n 10p <<<"$res")
if grep -qw 1 <<<"$got" && ! grep -qvE '^1[0-9]*$' <<<"$(tr ' ' '\n' <<<"$got")"; then
	ok "bash: list --netns-pid 1<Tab> gives process ids"
else
	bad "bash: list --netns-pid 1<Tab> gave '$got'"
fi
# what completion offers after state is what the parser takes there
for w in $(bash -c 'source completions/sockview.bash
	COMP_WORDS=(sockview list state ""); COMP_CWORD=3; _sockview; echo "${COMPREPLY[*]}"'); do
	"$SOCKVIEW" list --load /dev/null state "$w" >/dev/null 2>"$tmp/err"
	grep -q "unknown state" "$tmp/err" && bad "bash offers state '$w', which the filter refuses" || ok "state $w parses"
done
if command -v fish >/dev/null; then
	res=$(fish -c 'source completions/sockview.fish; complete -C "sockview list --js"' | cut -f1 | tr '\n' ' ')
	[ "$res" = "--json --jsonl " ] && ok "fish: list --js<Tab>" || bad "fish: list --js<Tab> gave '$res'"
	res=$(fish -c 'source completions/sockview.fish; complete -C "sockview list state syn"' | cut -f1 | sort | tr '\n' ' ')
	[ "$res" = "syn-recv syn-sent synchronized " ] && ok "fish: list state syn<Tab>" || bad "fish: list state syn<Tab> gave '$res'"
	res=$(fish -c 'source completions/sockview.fish; complete -C "sockview list dp"' | cut -f1 | tr '\n' ' ')
	[ "$res" = "dport " ] && ok "fish: list dp<Tab>" || bad "fish: list dp<Tab> gave '$res'"
	res=$(fish -c 'source completions/sockview.fish; complete -C "sockview --vers"' | cut -f1 | tr '\n' ' ')
	[ "$res" = "--version " ] && ok "fish: --vers<Tab>" || bad "fish: --vers<Tab> gave '$res'"
	mkdir -p "$tmp/files" && touch "$tmp/files/host.cap"
	comp=$PWD/completions/sockview.fish
	res=$(cd "$tmp/files" && fish -c "source $comp; complete -C 'sockview list --load ho'" | cut -f1 | tr '\n' ' ')
	[ "$res" = "host.cap " ] && ok "fish: list --load ho<Tab> gives files" || bad "fish: list --load ho<Tab> gave '$res'"
else
	echo "skip fish completion run: fish is not installed (static check above)"
fi
if command -v zsh >/dev/null; then
	zsh -n completions/_sockview && ok "zsh: _sockview parses" || bad "zsh: _sockview does not parse"
else
	echo "skip zsh parse: zsh is not installed (static check above)"
fi

echo "docs: $pass passed, $fail failed"
[ "$fail" = 0 ]
