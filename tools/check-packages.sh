#!/usr/bin/env bash
# Keeps the Debian package list in one place (tools/debian-packages.tsv):
#   - README.md's table between the debian-packages markers must be exactly the one rendered from
#     the list (run with --write to regenerate it);
#   - every Debian package that the lab names when a program is missing
#     (`require_program("prog", "package")` in acceptance-tests/) must be in the list.
# Exit 1 with what differs.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
list="$root/tools/debian-packages.tsv"
readme="$root/README.md"
begin='<!-- debian-packages:'
end='<!-- /debian-packages -->'

fail() { printf 'check-packages: %s\n' "$*" >&2; exit 1; }

table() {
  echo '| package | programs checked | at least | used by |'
  echo '|---|---|---|---|'
  local pkg progs vcmd regex min used
  while IFS=$'\t' read -r pkg progs vcmd regex min used; do
    case "$pkg" in '' | '#'*) continue ;; esac
    printf '| `%s` | %s | %s | %s |\n' "$pkg" "$(sed 's/\([^,]*\)/`\1`/g; s/,/, /g' <<<"$progs")" "$min" "$used"
  done <"$list"
}

current() { sed -n "\|^$begin|,\|^$end|p" "$readme" | sed '1d;$d'; }

grep -q "^$begin" "$readme" && grep -q "^$end" "$readme" || fail "README.md lacks the debian-packages markers"

if [ "${1:-}" = --write ]; then
  tmp=$(mktemp)
  awk -v b="$begin" -v e="$end" -v t="$(table)" '
    index($0, b) == 1 { print; print t; skip = 1; next }
    index($0, e) == 1 { skip = 0 }
    !skip' "$readme" >"$tmp"
  mv "$tmp" "$readme"
  echo "check-packages: README.md table written from tools/debian-packages.tsv"
  exit 0
fi

if ! diff -u <(current) <(table) >&2; then
  fail "README.md's package table differs from tools/debian-packages.tsv (run: bash tools/check-packages.sh --write)"
fi

listed=$(awk -F'\t' '!/^#/ && NF { print $1 }' "$list" | sort -u)
named=$(grep -rhoE --exclude=tests.rs 'require_program\("[^"]+", *"[^"]+"\)' "$root/acceptance-tests" |
  sed -E 's/.*, *"([^"]+)"\)/\1/' | sort -u)
unlisted=$(comm -13 <(echo "$listed") <(echo "$named") || true)
[ -z "$unlisted" ] || fail "the lab needs Debian packages missing from tools/debian-packages.tsv: $unlisted"
echo "ok   README.md lists the $(wc -l <<<"$listed") Debian packages of tools/debian-packages.tsv"
