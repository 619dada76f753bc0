#!/usr/bin/env bash
# Runs every Go fuzz target of the repository (every `func Fuzz…` in a
# _test.go file under backend/ and hardening/) for a while, one after the
# other, and fails if any finds a crasher (saved under the package's
# testdata/fuzz/<target>/, where it becomes a regression seed).
#
#   hardening/fuzz.sh         short run: about 60 s of fuzzing in all (make test)
#   hardening/fuzz.sh long    FUZZ_LONG_TIME per target, default 3m (make fuzz)
#
# FUZZ_TIME sets the time per target for either mode (e.g. FUZZ_TIME=30s).
# Building each package for fuzzing comes on top of the fuzzing time.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-short}
case $mode in
short | long) ;;
*) echo "usage: $0 [short|long]" >&2; exit 2 ;;
esac

# "dir Name" per target.
mapfile -t targets < <(
	grep -rEo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]+' backend hardening |
		sed -E 's#^(.*)/[^/]+\.go:func (Fuzz[A-Za-z0-9_]+)$#\1 \2#' | sort -u
)
n=${#targets[@]}
if ((n == 0)); then
	echo "fuzz: no targets found" >&2
	exit 1
fi
if [[ -n ${FUZZ_TIME:-} ]]; then
	per=$FUZZ_TIME
elif [[ $mode == long ]]; then
	per=${FUZZ_LONG_TIME:-3m}
else
	secs=$((60 / n))
	((secs < 2)) && secs=2
	per=${secs}s
fi

echo "fuzz: $n targets, $per each"
failed=()
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "${targets[@]}"; do
	read -r dir name <<<"$t"
	# Minimising a new input can take a minute by default; a short run
	# would spend its time there instead of fuzzing.
	if go test -run '^$' -fuzz "^${name}\$" -fuzztime "$per" -fuzzminimizetime 50x "./$dir" >"$log" 2>&1; then
		execs=$(grep -Eo 'execs: [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+' || echo "?")
		printf '  ok    %-28s %-28s %s execs\n' "$name" "$dir" "$execs"
	else
		printf '  FAIL  %-28s %s\n' "$name" "$dir"
		sed 's/^/        /' "$log"
		failed+=("$name")
	fi
done
if ((${#failed[@]} > 0)); then
	echo "fuzz: ${#failed[@]} of $n targets failed: ${failed[*]} (crashers are saved under the package's testdata/fuzz/)"
	exit 1
fi
echo "fuzz: all $n targets passed"
