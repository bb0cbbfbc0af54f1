#!/usr/bin/env bash
# The reference stays complete: every option --help lists is in the man
# page and the completions, and the other way round; the man page lints
# clean.  Prints one "N passed, N failed" line.
set -u
cd "$(dirname "$0")/.."
SOCKVIEW=${SOCKVIEW:-./sockview}
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

help_opts=$( { "$SOCKVIEW" list --help; "$SOCKVIEW" metrics --help; "$SOCKVIEW" serve --help; "$SOCKVIEW" watch --help; } | grep -oE -- '(^|[ ,])--?[a-zA-Z0-9][a-z0-9-]*' | tr -d ' ,' | sort -u)
[ -n "$help_opts" ] && ok "list --help lists options" || bad "list --help lists no options"
man_opts=$(sed -n '/^\.SH OPTIONS/,/^\.SH FIELDS/p' man/sockview.8 | grep -E '^\.(B|BR|BI) ' |
	grep -oE -- '\\-\\?-?[a-zA-Z0-9][a-z0-9\\-]*' | sed 's/\\-/-/g' | sort -u)
for o in $help_opts; do
	grep -qxF -- "$o" <<<"$man_opts" && ok "man has $o" || bad "man page lacks $o"
	grep -qE -- "(^|[[:space:]\"])$o([[:space:]]|\$|\")" completions/sockview.bash && ok "bash completes $o" || bad "bash completion lacks $o"
	case $o in
	--*) grep -qE -- "-l ${o#--}( |\$)" completions/sockview.fish ;;
	*) grep -qE -- "-s ${o#-}( |\$)" completions/sockview.fish ;;
	esac && ok "fish completes $o" || bad "fish completion lacks $o"
	grep -qF -- "$o" completions/_sockview && ok "zsh completes $o" || bad "zsh completion lacks $o"
done
for o in $man_opts; do
	case $o in --help|-h|--version|-V|--roff) continue ;; esac
	grep -qxF -- "$o" <<<"$help_opts" && ok "--help has $o" || bad "--help lacks $o (in man page)"
done

if command -v mandoc >/dev/null; then
	out=$(mandoc -Tlint -W warning man/sockview.8 2>&1)
	[ -z "$out" ] && ok "mandoc -Tlint clean" || bad "mandoc -Tlint: $out"
else
	echo "skip mandoc -Tlint: mandoc is not installed"
fi

# bash: drive the completion function as bash would.
res=$(bash -c 'source completions/sockview.bash
	COMP_WORDS=(sockview li); COMP_CWORD=1; _sockview; echo "${COMPREPLY[*]}"
	COMP_WORDS=(sockview list --js); COMP_CWORD=2; _sockview; echo "${COMPREPLY[*]}"
	COMP_WORDS=(sockview help ""); COMP_CWORD=2; _sockview; echo "${COMPREPLY[*]}"')
[ "$(sed -n 1p <<<"$res")" = list ] && ok "bash: sockview li<Tab>" || bad "bash: sockview li<Tab> gave '$(sed -n 1p <<<"$res")'"
[ "$(sed -n 2p <<<"$res")" = "--json --jsonl" ] && ok "bash: list --js<Tab>" || bad "bash: list --js<Tab> gave '$(sed -n 2p <<<"$res")'"
[ "$(sed -n 3p <<<"$res")" = "list metrics serve watch fields" ] && ok "bash: help <Tab>" || bad "bash: help <Tab> gave '$(sed -n 3p <<<"$res")'"
if command -v fish >/dev/null; then
	res=$(fish -c 'source completions/sockview.fish; complete -C "sockview list --js"' | cut -f1 | tr '\n' ' ')
	[ "$res" = "--json --jsonl " ] && ok "fish: list --js<Tab>" || bad "fish: list --js<Tab> gave '$res'"
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
