#!/usr/bin/env bash
# Profiles a cold `aimonitor tokens` (a first scan: everything read and
# recorded) on a generated corpus: a CPU profile and an allocation profile
# (every allocation sampled), each in a separate run, and prints the top of
# both; then one more cold run's wall, user and system time, peak RSS,
# page faults and context switches (GNU time), and its system calls
# (strace -c, when strace is installed). It runs bench/tokens/aimon-tokens,
# the CLI's entry point without the desktop parts, which writes the
# profiles when AIMON_CPUPROFILE / AIMON_MEMPROFILE name files.
#
# Usage: bench/tokens/profile.sh   (SHAPE=dense SIZE_MB=300 by default;
#                                   SHAPE is one of run.sh's shapes)
# Output: bench/out/tokens/profile-<shape>/{cpu,alloc}.prof, time.txt and
# syscalls.txt; explore the profiles with
# `go tool pprof -http :8080 bench/out/tokens/aimon-tokens FILE`.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"

SHAPE=${SHAPE:-dense}
SIZE_MB=${SIZE_MB:-300}
OUT=bench/out/tokens
CORPUS=$OUT/corpus-$SHAPE-${SIZE_MB}mb
P=$OUT/profile-$SHAPE
mkdir -p "$P" "$OUT/home"

case $SHAPE in
default) FLAGS="" ;;
dense) FLAGS="-files 170 -spread 0.5 -density 153 -tool-share 0.45 -subagents 0.001" ;;
*)
	echo "unknown shape $SHAPE" >&2
	exit 2
	;;
esac

go build -o "$OUT/gen" ./bench/tokens/gen
go build -o "$OUT/aimon-tokens" ./bench/tokens/aimon-tokens
if [ ! -f "$CORPUS/.complete" ]; then
	# shellcheck disable=SC2086
	"$OUT/gen" -out "$CORPUS" -size $((SIZE_MB << 20)) $FLAGS >"$CORPUS.shape"
	touch "$CORPUS/.complete"
fi

export HOME=$PWD/$OUT/home CLAUDE_CONFIG_DIR=$PWD/$CORPUS AIMONITOR_DATA_DIR=$PWD/$P/data
export AIMONITOR_CONFIG=$PWD/$OUT/config.yaml XDG_STATE_HOME=$PWD/$OUT/home/state
find "$CORPUS" -name '*.jsonl' -exec cat {} + >/dev/null

rm -rf "$P/data"
AIMON_CPUPROFILE=$P/cpu.prof "$OUT/aimon-tokens" --json --tz UTC >/dev/null
rm -rf "$P/data"
AIMON_MEMPROFILE=$P/alloc.prof "$OUT/aimon-tokens" --json --tz UTC >/dev/null

echo "== CPU, by cumulative time (cold scan, $SHAPE shape: $(cat "$CORPUS.shape"))"
go tool pprof -top -cum -nodecount=40 "$OUT/aimon-tokens" "$P/cpu.prof" 2>/dev/null | sed -n '4,50p'
echo
echo "== allocations, by objects"
go tool pprof -sample_index=alloc_objects -top -nodecount=15 "$OUT/aimon-tokens" "$P/alloc.prof" 2>/dev/null | sed -n '4,25p'
echo
# System calls and page faults: on a VM each costs microseconds (a fault
# tens of them), so their counts matter as much as the CPU profile.
rm -rf "$P/data"
/usr/bin/time -f '%e s wall, %U s user, %S s system, %M KB peak RSS, %R page faults, %c+%w context switches' \
	-o "$P/time.txt" "$OUT/aimon-tokens" --json --tz UTC >/dev/null
echo "== one cold scan: $(cat "$P/time.txt")"
if command -v strace >/dev/null; then
	rm -rf "$P/data"
	strace -f -c -o "$P/syscalls.txt" "$OUT/aimon-tokens" --json --tz UTC >/dev/null
	echo "== system calls of one cold scan (strace -f -c; counts, the times are strace's)"
	sed -n '1,2p' "$P/syscalls.txt"
	sed '1,2d' "$P/syscalls.txt" | grep -v -e '^-' -e ' total$' | sort -k4 -n -r | head -12
	grep ' total$' "$P/syscalls.txt"
fi
