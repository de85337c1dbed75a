#!/usr/bin/env bash
# Runs the acceptance-test binaries (acceptance-tests/tests/*.rs) UCCLUSTER_TEST_JOBS at a time
# (default 2): each spends most of its time waiting on Terraform and the lab's processes, so two
# side by side finish in about half the time on 2 cores. Each binary's output is printed whole
# when it ends; the first failure stops the run (exit 1) after the running ones finish.
#
# Needs the provider binaries built first (cargo build --workspace --bins).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
jobs=${UCCLUSTER_TEST_JOBS:-2}
cd "$root"

# Build the test binaries and read their paths from cargo's messages.
mapfile -t binaries < <(
  cargo test -p uccluster-acceptance-tests --tests --no-run --message-format=json |
    python3 -c '
import json, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["kind"] == ["test"]:
        print(m["executable"])
'
)
[ "${#binaries[@]}" -gt 0 ] || { echo "no acceptance-test binaries found" >&2; exit 1; }

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
run_one() { # binary: run it from the package directory, as cargo test does
  local bin=$1 name log
  name=$(basename "$bin" | sed 's/-[0-9a-f]*$//')
  log="$logs/$name.log"
  if (cd "$root/acceptance-tests" && "$bin") >"$log" 2>&1; then
    printf '== %s\n%s\n' "$name" "$(grep -E '^test result' "$log")"
  else
    printf '== %s FAILED\n' "$name"
    cat "$log"
    return 255 # xargs starts no further binary
  fi
}
export -f run_one
export root logs
printf '%s\n' "${binaries[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one "$1"' _ {} || {
  echo "acceptance tests failed" >&2
  exit 1
}
