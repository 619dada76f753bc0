#!/usr/bin/env bash
# Token accounting benchmark: `aimonitor tokens --json` (the real binary,
# build/bin/aimonitor) against `ccusage daily --json --offline -z UTC` (npm
# ccusage@20.0.24, its native linux binary) on generated corpora of Claude
# Code transcripts of two shapes (bench/tokens/gen):
#   default  ~1000 files, one response per ~19 KB, 2/3 of the bytes in tool results
#   dense    ~200 files of ~1.5 MB (a few up to 5 MB), one response per ~6.7 KB
# For each shape it reports, from the same run:
#   - cold time: ours on an empty data directory (reads and records everything)
#   - warm time: ours again with nothing changed: the launcher answers from
#     the snapshot the cold run left (backend/tokens/warm), never starting
#     aimonitor-core; and, for comparison, aimonitor-core itself warm (what
#     a warm run cost before the launcher's warm path)
#   - ccusage's time (it has no cache: every run reads everything)
#   - peak RSS of each (/usr/bin/time)
#   - whether the totals are identical (bench/tokens/compare)
#   - the floor: reading the tree from the page cache (cat), and the JSON
#     scan alone on every core (AIMON_PARSEONLY=1 aimon-tokens: a cold run's
#     reading and parsing, nothing recorded; where the rest goes:
#     bench/tokens/profile.sh)
# Medians of RUNS rounds; each round reads the corpus once first, so both
# tools find it in the page cache, and the tools take turns within a round.
#
# Then a first scan of a large history (LARGE_MB, 1024 by default, dense
# shape; 0 skips it): ours once on an empty data directory, with its peak
# RSS — the same scan the widget's ingester runs on its first start — and
# the widget itself running that first scan (bench/tokens/widget.sh: peak
# RSS of the aimonitor-widget process, against the widget without the
# history, same run; WIDGET=0 skips it).
#
# Usage: bench/tokens/run.sh   (SIZE_MB=300 RUNS=7 SHAPES="default dense"
#                               LARGE_MB=1024 WIDGET=1 BIN=build/bin/aimonitor by default)
# Output goes to bench/out/tokens (git-ignored); nothing outside the
# repository is touched: HOME points at an empty directory there, so neither
# tool sees a real ~/.claude.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"

SIZE_MB=${SIZE_MB:-300}
RUNS=${RUNS:-7}
SHAPES=${SHAPES:-default dense}
LARGE_MB=${LARGE_MB:-1024}
BIN=${BIN:-build/bin/aimonitor}
OUT=bench/out/tokens
CC_DIR=.cache/ccusage
CC_BIN=$CC_DIR/node_modules/@ccusage/ccusage-linux-x64/bin/ccusage
mkdir -p "$OUT/home"

log() { printf '%s\n' "$*" >&2; }

# gen flags of each shape
shape_flags() {
	case $1 in
	default) echo "" ;;
	dense) echo "-files 170 -spread 0.5 -density 153 -tool-share 0.45 -subagents 0.001" ;;
	*)
		log "unknown shape $1"
		exit 2
		;;
	esac
}

# --- tools -------------------------------------------------------------------
if [ ! -x /usr/bin/time ]; then
	log "installing GNU time (for peak RSS)"
	SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
	$SUDO apt-get install -y -qq time >/dev/null
fi
if [ ! -f "$CC_BIN" ]; then
	log "installing ccusage@20.0.24 into $CC_DIR"
	npm install --prefix "$CC_DIR" --no-audit --no-fund --loglevel=error ccusage@20.0.24 >/dev/null
fi
chmod +x "$CC_BIN" # npm leaves the native binary without its exec bit
if [ "$BIN" = build/bin/aimonitor ]; then
	# Incremental: rebuilt only when a source changed, so the figures are
	# always those of the work tree.
	log "building $BIN and build/bin/aimonitor-core (make, if anything changed)"
	make build/bin/aimonitor build/bin/aimonitor-core >/dev/null
fi
if [ ! -x "$BIN" ] || { [ "$LARGE_MB" -gt 0 ] && [ "${WIDGET:-1}" != 0 ] && [ ! -x build/bin/aimonitor-widget ]; }; then
	log "building $BIN and the widget"
	make build >/dev/null
fi
CORE_BIN=$(dirname "$BIN")/aimonitor-core
log "building the generator, the comparer and aimon-tokens (for the floor)"
go build -o "$OUT/gen" ./bench/tokens/gen
go build -o "$OUT/aimon-tokens" ./bench/tokens/aimon-tokens
go build -o "$OUT/compare" ./bench/tokens/compare
: >"$OUT/result.txt"
{
	echo "machine: $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ *//'), $(uname -sr)"
	echo "ours: $BIN ($(file -b "$BIN" | cut -d, -f1-2)), ccusage 20.0.24 native"
	echo "runs: $RUNS rounds per shape, medians; corpus in the page cache"
} | tee -a "$OUT/result.txt"

# usec times one run in microseconds, output discarded: spawned directly
# (posix_spawn) by a small Python timer, which counts from just before the
# spawn to the child's exit (after an untimed spawn of true: a process's
# first spawn costs it ~2 ms more). Bash's own clock around "$@" counted bash's
# fork too, several milliseconds here (against 2 ms for /bin/true), most of
# a warm run's figure; a shell function (warm_cache), or no python3, is
# still timed that way.
usec() {
	if [ "$(type -t "$1")" = file ] && command -v python3 >/dev/null; then
		python3 -c '
import os, sys, time
null = os.open(os.devnull, os.O_WRONLY)
def run(argv):
    pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, null, 1)])
    os.waitpid(pid, 0)
run(["true"])  # the first spawn of a process costs it more: not timed
t = time.perf_counter()
run(sys.argv[1:])
print(int((time.perf_counter() - t) * 1e6))' "$@"
		return
	fi
	local s e
	s=${EPOCHREALTIME//[!0-9]/}
	"$@" >/dev/null
	e=${EPOCHREALTIME//[!0-9]/}
	echo $((e - s))
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
spread() { sort -n | awk '{a[NR]=$1} END {printf "%.1f-%.1f", a[1] / 1000, a[NR] / 1000}'; }
rss_kb() { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }
ms() { awk -v a="$1" 'BEGIN {printf "%.1f", a / 1000}'; }
mb() { awk -v a="$1" 'BEGIN {printf "%.1f", a / 1024}'; }

for SHAPE in $SHAPES; do
CORPUS=$OUT/corpus-$SHAPE-${SIZE_MB}mb
S=$OUT/$SHAPE
mkdir -p "$S"
# --- corpus ------------------------------------------------------------------
if [ ! -f "$CORPUS/.complete" ]; then
	log "generating a ${SIZE_MB} MB $SHAPE corpus in $CORPUS"
	# shellcheck disable=SC2046
	"$OUT/gen" -out "$CORPUS" -size $((SIZE_MB << 20)) $(shape_flags "$SHAPE") >"$CORPUS.shape"
	touch "$CORPUS/.complete"
fi

# --- runs --------------------------------------------------------------------
HOME_DIR=$PWD/$OUT/home
DATA=$PWD/$OUT/data
# Both tools see the same environment: HOME is an empty directory, the
# corpus is CLAUDE_CONFIG_DIR, and our data directory is under $OUT.
export HOME="$HOME_DIR" CLAUDE_CONFIG_DIR="$PWD/$CORPUS" AIMONITOR_DATA_DIR="$DATA"
export AIMONITOR_CONFIG="$PWD/$OUT/config.yaml" XDG_STATE_HOME="$HOME_DIR/state"
OURS=("$PWD/$BIN" tokens --json --tz UTC)
CORE=("$PWD/$CORE_BIN" tokens --json --tz UTC)
THEIRS=("$PWD/$CC_BIN" daily --json --offline -z UTC)
SCAN=(env AIMON_PARSEONLY=1 "$PWD/$OUT/aimon-tokens" --json --tz UTC)
warm_cache() { find "$CORPUS" -name '*.jsonl' -exec cat {} + >/dev/null; }

log "$SHAPE: checking totals"
rm -rf "$DATA"
"${OURS[@]}" >"$S/ours.json"
"${THEIRS[@]}" >"$S/ccusage.json"
"$OUT/compare" "$S/ours.json" "$S/ccusage.json" | tee "$S/compare.txt"

log "$SHAPE: timing ($RUNS rounds)"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for f in cc cold warm corewarm true version cat scan; do : >"$S/$f.us"; done
for i in $(seq "$RUNS"); do
	warm_cache
	usec "${THEIRS[@]}" >>"$S/cc.us"
	rm -rf "$DATA"
	warm_cache
	usec "${OURS[@]}" >>"$S/cold.us"
	usec "${OURS[@]}" >/dev/null # the first warm run may still settle the database
	usec "${OURS[@]}" >>"$S/warm.us"
	[ -x "$CORE_BIN" ] && usec "${CORE[@]}" >>"$S/corewarm.us"
	# What any warm run pays before it does anything: starting a process
	# (this script's way), and the launcher's own start.
	usec /bin/true >>"$S/true.us"
	usec "$PWD/$BIN" version >>"$S/version.us"
	usec warm_cache >>"$S/cat.us"
	rm -rf "$DATA"
	usec "${SCAN[@]}" >>"$S/scan.us"
done
# The warm runs above must have been the launcher's own answer, the same
# bytes as the cold run's: a snapshot there, and core swapped for a
# stand-in that fails would not change the answer.
rm -rf "$DATA"
"${OURS[@]}" >"$S/cold-out.json"
WARM_SRC="the launcher's warm path (no aimonitor-core started)"
if [ -x "$CORE_BIN" ] && [ -f "$DATA/tokens.snapshot" ]; then
	FAKE=$OUT/fake-bin
	rm -rf "$FAKE" && mkdir -p "$FAKE"
	cp "$BIN" "$FAKE/aimonitor"
	printf '#!/bin/sh\nexit 97\n' >"$FAKE/aimonitor-core" && chmod +x "$FAKE/aimonitor-core"
	if ! "$PWD/$FAKE/aimonitor" tokens --json --tz UTC >"$S/warm-out.json" || ! cmp -s "$S/cold-out.json" "$S/warm-out.json"; then
		WARM_SRC="NOT the launcher's warm path: it fell back to aimonitor-core"
	fi
else
	WARM_SRC="NOT the launcher's warm path: no snapshot after a cold run"
fi

log "$SHAPE: peak RSS"
warm_cache
RSS_CC=$(rss_kb "${THEIRS[@]}")
rm -rf "$DATA"
RSS_COLD=$(rss_kb "${OURS[@]}")
RSS_WARM=$(rss_kb "${OURS[@]}")

CC=$(median <"$S/cc.us")
COLD=$(median <"$S/cold.us")
WARM=$(median <"$S/warm.us")
COREWARM=$(median <"$S/corewarm.us" 2>/dev/null || true)
TRUE_US=$(median <"$S/true.us")
VERSION_US=$(median <"$S/version.us")
CAT=$(median <"$S/cat.us")
SCANT=$(median <"$S/scan.us")
BYTES=$(du -sb "$CORPUS" | cut -f1)

{
	echo
	echo "shape $SHAPE: $(mb $((BYTES / 1024))) MB, $(cat "$CORPUS.shape")"
	printf '%-26s %10s %14s %12s %10s\n' "" "time (ms)" "min-max (ms)" "vs ccusage" "RSS (MB)"
	printf '%-26s %10s %14s %12s %10s\n' "ccusage daily (native)" "$(ms "$CC")" "$(spread <"$S/cc.us")" "1.000" "$(mb "$RSS_CC")"
	printf '%-26s %10s %14s %12s %10s\n' "aimonitor tokens, cold" "$(ms "$COLD")" "$(spread <"$S/cold.us")" "$(ratio "$COLD" "$CC")" "$(mb "$RSS_COLD")"
	printf '%-26s %10s %14s %12s %10s\n' "aimonitor tokens, warm" "$(ms "$WARM")" "$(spread <"$S/warm.us")" "$(ratio "$WARM" "$CC")" "$(mb "$RSS_WARM")"
	if [ -n "$COREWARM" ]; then
		printf '%-26s %10s %14s %12s\n' "  aimonitor-core, warm" "$(ms "$COREWARM")" "$(spread <"$S/corewarm.us")" "$(ratio "$COREWARM" "$CC")"
	fi
	printf '%-26s %10s %14s %12s\n' "floor: /bin/true" "$(ms "$TRUE_US")" "$(spread <"$S/true.us")" "$(ratio "$TRUE_US" "$CC")"
	printf '%-26s %10s %14s %12s\n' "floor: aimonitor version" "$(ms "$VERSION_US")" "$(spread <"$S/version.us")" "$(ratio "$VERSION_US" "$CC")"
	printf '%-26s %10s %14s %12s\n' "floor: cat the tree" "$(ms "$CAT")" "$(spread <"$S/cat.us")" "$(ratio "$CAT" "$CC")"
	printf '%-26s %10s %14s %12s\n' "floor: JSON scan alone" "$(ms "$SCANT")" "$(spread <"$S/scan.us")" "$(ratio "$SCANT" "$CC")"
	echo "warm answered by: $WARM_SRC"
	echo "targets: cold <= 0.5, warm <= 0.03 (issue 18; issue 15: warm <= 0.05), RSS <= 100 MB"
	echo "load average: $LOAD_BEFORE before the rounds, $(cut -d' ' -f1-3 /proc/loadavg) after"
	echo "totals: $(cat "$S/compare.txt")"
} | tee -a "$OUT/result.txt"
done

# --- a first scan of a large history ----------------------------------------
if [ "$LARGE_MB" -gt 0 ]; then
	CORPUS=$OUT/corpus-large-${LARGE_MB}mb
	if [ ! -f "$CORPUS/.complete" ]; then
		log "generating a ${LARGE_MB} MB dense corpus in $CORPUS"
		"$OUT/gen" -out "$CORPUS" -size $((LARGE_MB << 20)) -files $((170 * LARGE_MB / 300)) -spread 0.5 -density 153 \
			-tool-share 0.45 -subagents 0.001 >"$CORPUS.shape"
		touch "$CORPUS/.complete"
	fi
	export CLAUDE_CONFIG_DIR="$PWD/$CORPUS"
	find "$CORPUS" -name '*.jsonl' -exec cat {} + >/dev/null
	rm -rf "$DATA"
	log "large: a first scan"
	/usr/bin/time -f '%e %M' -o "$OUT/large.time" "$PWD/$BIN" tokens --json --tz UTC >/dev/null
	read -r LSEC LRSS <"$OUT/large.time"
	/usr/bin/time -f '%e %M' -o "$OUT/large-warm.time" "$PWD/$BIN" tokens --json --tz UTC >/dev/null
	read -r WSEC WRSS <"$OUT/large-warm.time"
	{
		echo
		echo "first scan of a large history: $(du -sm "$CORPUS" | cut -f1) MB, $(cat "$CORPUS.shape")"
		echo "  cold: ${LSEC} s, peak RSS $(mb "$LRSS") MB; warm after it: ${WSEC} s, peak RSS $(mb "$WRSS") MB (bound: 100 MB)"
	} | tee -a "$OUT/result.txt"
	# The same first scan in the widget (needs build/bin/aimonitor-widget
	# and Xvfb; WIDGET=0 skips it).
	if [ "${WIDGET:-1}" != 0 ]; then
		if [ -x build/bin/aimonitor-widget ] && command -v Xvfb >/dev/null; then
			log "large: the widget's first scan"
			bench/tokens/widget.sh "$CORPUS" 2>"$OUT/widget.log" | tee -a "$OUT/result.txt"
		else
			echo "  (widget not measured: build/bin/aimonitor-widget or Xvfb missing; run make build)" | tee -a "$OUT/result.txt"
		fi
	fi
fi
