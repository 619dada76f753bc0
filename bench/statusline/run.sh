#!/usr/bin/env bash
# Status line benchmark: `aimonitor statusline` against `ccusage statusline`
# (npm ccusage@20.0.24, its native linux binary), in the same run, on the
# same machine state:
#   - aimonitor's data: five accounts with a year of usage samples each
#     (bench/statusline/seed), a status row, and the ~300 MB transcript
#     corpus of bench/tokens/gen ingested into the token ledger;
#   - Claude Code's .claude.json: ~1 MB of project history around
#     oauthAccount (the status line reads who is logged in from it);
#   - the same session object on stdin for both, naming a corpus transcript.
# Rows, taking turns within each round so that the machine's load falls on
# all alike: /bin/true and a static Go program that prints one line (what
# any process and any Go binary cost right now); `aimonitor statusline`
# (the launcher) with nothing changed since the last run, the common case,
# which it answers from statusline.cache without starting aimonitor-core;
# aimonitor-core answering the same from the cache (what every run cost
# before the launcher's fast path); the launcher with that cache removed
# before each run (what a run costs after any write to the database, e.g.
# the poller's heartbeat every 5 s: the launcher execs core, which reads the
# database); ccusage cached (--refresh-interval 3600, so every run after
# the first answers from its cache). Then, on their own: ours with today's
# tokens and cost from the ledger (another format, so another cache key),
# ccusage cold (its cache dir removed before each run: it reads every
# transcript), and last the launcher with a poller running: bench/statusline/
# poller rewrites the status row every 200 ms (the daemon's heartbeat is
# 5 s; scaled down, as is the pause between two lines, 250 ms here, so that
# every line follows a write), refreshing the cache after each write as the
# daemon and the widget do, and then without that refresh (as before it:
# every line a miss).
# Times are wall medians of RUNS runs (bench/statusline/timeit: fork+exec
# to exit, no shell in the span); RSS is the largest ru_maxrss.
#
# Usage: bench/statusline/run.sh   (build/bin/aimonitor and aimonitor-core
#        first: make build, or make build/bin/aimonitor build/bin/aimonitor-core;
#        AIMONITOR_BIN=path to time another build, with its aimonitor-core
#        beside it; ALSO_BIN=path to add a row for a second one; RUNS=51 COLD_RUNS=5)
# Output goes to bench/out/statusline (git-ignored); the corpus is shared
# with bench/tokens (bench/out/tokens/corpus-default-300mb, its default shape). Nothing outside the
# repository is read or written: HOME, TMPDIR and the XDG dirs point there.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"

RUNS=${RUNS:-51}
COLD_RUNS=${COLD_RUNS:-5}
SIZE_MB=${SIZE_MB:-300}
BIN=$(realpath "${AIMONITOR_BIN:-build/bin/aimonitor}")
OUT=bench/out/statusline
CORPUS=bench/out/tokens/corpus-default-${SIZE_MB}mb
CC_DIR=.cache/ccusage
CC_BIN=$PWD/$CC_DIR/node_modules/@ccusage/ccusage-linux-x64/bin/ccusage
log() { printf '%s\n' "$*" >&2; }

CORE=$(dirname "$BIN")/aimonitor-core
[ -x "$BIN" ] || { log "no $BIN: run make build (or set AIMONITOR_BIN)"; exit 1; }
[ -x "$CORE" ] || { log "no $CORE beside $BIN: run make build"; exit 1; }
if [ ! -f "$CC_BIN" ]; then
	log "installing ccusage@20.0.24 into $CC_DIR"
	npm install --prefix "$CC_DIR" --no-audit --no-fund --loglevel=error ccusage@20.0.24 >/dev/null
fi
chmod +x "$CC_BIN" # npm leaves the native binary without its exec bit
log "building the helpers"
mkdir -p "$OUT"
go build -o "$OUT/seed" ./bench/statusline/seed
go build -o "$OUT/timeit" ./bench/statusline/timeit
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$OUT/hello" ./bench/statusline/hello
go build -o "$OUT/gen" ./bench/tokens/gen
go build -o "$OUT/aimon-tokens" ./bench/tokens/aimon-tokens
# The cache key names the build's version: the poller's entries are hits
# only for a binary of the same version.
VERSION=$("$BIN" version | awk '{print $2}')
go build -ldflags "-X github.com/aimonitor/aimonitor/backend/buildinfo.Version=$VERSION" -o "$OUT/poller" ./bench/statusline/poller

if [ ! -f "$CORPUS/.complete" ]; then
	log "generating a ${SIZE_MB} MB corpus in $CORPUS"
	mkdir -p "$(dirname "$CORPUS")"
	"$OUT/gen" -out "$CORPUS" -size $((SIZE_MB << 20)) >"$CORPUS.shape"
	touch "$CORPUS/.complete"
fi

HOME_DIR=$PWD/$OUT/home
DATA=$PWD/$OUT/data
rm -rf "$HOME_DIR" "$DATA"
mkdir -p "$HOME_DIR/tmp"
export HOME="$HOME_DIR" CLAUDE_CONFIG_DIR="$PWD/$CORPUS" AIMONITOR_DATA_DIR="$DATA" TMPDIR="$HOME_DIR/tmp"
export AIMONITOR_CONFIG="$HOME_DIR/config.yaml" XDG_STATE_HOME="$HOME_DIR/state" XDG_CACHE_HOME="$HOME_DIR/cache"
unset NO_COLOR

log "seeding accounts, a year of samples and the status row"
"$OUT/seed" -data "$DATA" -claude-json "$CLAUDE_CONFIG_DIR/.claude.json" >&2
log "ingesting the corpus into the ledger"
"$OUT/aimon-tokens" --json --tz UTC >/dev/null

# The session object Claude Code would send, naming the corpus's largest
# transcript (ccusage prices that session from it).
TRANSCRIPT=$(find "$CORPUS/projects" -name '*.jsonl' -printf '%s %p\n' | sort -n | tail -1 | cut -d' ' -f2-)
SESSION=$(basename "$TRANSCRIPT" .jsonl)
cat >"$OUT/session.json" <<JSON
{"session_id":"$SESSION","transcript_path":"$PWD/$TRANSCRIPT","cwd":"$PWD","prompt_id":"p1",
 "model":{"id":"claude-opus-5","display_name":"Opus 5"},"workspace":{"current_dir":"$PWD","project_dir":"$PWD","added_dirs":[]},
 "version":"2.1.197","output_style":{"name":"default"},
 "cost":{"total_cost_usd":1.23,"total_duration_ms":60000,"total_api_duration_ms":20000,"total_lines_added":10,"total_lines_removed":2},
 "context_window":{"total_input_tokens":1000,"total_output_tokens":200,"context_window_size":200000,"used_percentage":1,"remaining_percentage":99},
 "exceeds_200k_tokens":false,"fast_mode":false,"thinking":{"enabled":false}}
JSON

DB_MB=$(du -cm "$DATA"/aimonitor.db* | tail -1 | cut -f1)
SAMPLES=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM usage_samples").fetchone()[0])' "$DATA/aimonitor.db")
MESSAGES=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM token_messages").fetchone()[0])' "$DATA/aimonitor.db")
CORPUS_MB=$(du -sm "$CORPUS" | cut -f1)

T=("$OUT/timeit" -stdin "$OUT/session.json")
{
	echo "machine: $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ *//'), $(uname -sr)"
	echo "aimonitor: $BIN ($(file -b "$BIN" | cut -d, -f1-2 | sed 's/ELF 64-bit LSB //'); $(file -b "$BIN" | grep -o 'statically linked\|dynamically linked'))"
	echo "data: $SAMPLES usage samples of 5 accounts, $MESSAGES ledger messages from a $CORPUS_MB MB corpus; database $DB_MB MB"
	echo "runs: $RUNS (ccusage cold: $COLD_RUNS); wall medians; load before the runs: $(cut -d" " -f1-3 /proc/loadavg)"
	printf '%-34s %8s %8s %8s %8s %8s  %s\n' "" "wall ms" "min" "max" "CPU ms" "RSS MB" "line"
	"${T[@]}" -n 3 -label "(warm-up)" "$BIN" statusline >/dev/null
	"${T[@]}" -n 3 -label "(warm-up)" "$CC_BIN" statusline --offline --refresh-interval 3600 >/dev/null
	also=()
	if [ -n "${ALSO_BIN:-}" ]; then
		also=(-run "$(basename "$ALSO_BIN") statusline||$(realpath "$ALSO_BIN") statusline")
	fi
	"${T[@]}" -n "$RUNS" \
		-run "/bin/true (spawn cost now)||/bin/true" \
		-run "static Go hello world||$OUT/hello" \
		-run "aimonitor statusline||$BIN statusline" \
		-run "aimonitor-core statusline (cache)||$CORE statusline" \
		-run "aimonitor statusline, no cache|rm -f '$DATA/statusline.cache'|$BIN statusline" \
		"${also[@]}" \
		-run "ccusage statusline, cached||$CC_BIN statusline --offline --refresh-interval 3600"
	# Another format is another cache key: on its own, after a warm-up.
	export AIMONITOR_STATUSLINE_FORMAT='{account} · {5h} · {7d} · {swap} · {tokens} · {cost}'
	"${T[@]}" -n 3 -label "(warm-up)" "$BIN" statusline >/dev/null
	"${T[@]}" -n "$RUNS" -label "aimonitor statusline +tokens/cost" "$BIN" statusline
	unset AIMONITOR_STATUSLINE_FORMAT
	"${T[@]}" -n "$COLD_RUNS" -before "rm -rf '$TMPDIR/ccusage-semaphore'" -label "ccusage statusline, cold" "$CC_BIN" statusline --offline --refresh-interval 3600
	echo "load after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
	# timeit's RSS is ru_maxrss, which counts timeit's own pages until the
	# child's exec (the floor every small row shows); GNU time forks a small
	# process, so its figure is the command's own.
	if [ -x /usr/bin/time ]; then
		"$BIN" statusline <"$OUT/session.json" >/dev/null # the default format's entry back in the cache
		for _ in 1 2 3 4 5 6 7 8 9 10 11; do
			/usr/bin/time -f '%M' "$BIN" statusline <"$OUT/session.json" 2>&1 >/dev/null | tail -1
		done | sort -n | tail -1 | awk '{printf "aimonitor statusline, peak RSS alone (GNU time, largest of 11): %.1f MB\n", $1 / 1024}'
	fi
	# A poller running (last: once it stops, the status row's heartbeat is
	# old and the line says so).
	trap '[ -z "${POLLER:-}" ] || kill "$POLLER" 2>/dev/null || true' EXIT
	for refresh in true false; do
		"$OUT/poller" -data "$DATA" -every 200ms -refresh=$refresh >&2 &
		POLLER=$!
		"${T[@]}" -n 3 -before "sleep 0.25" -label "(warm-up)" "$BIN" statusline >/dev/null
		label="launcher, poller running"
		[ "$refresh" = true ] || label="launcher, poller w/o cache refresh"
		"${T[@]}" -n "$RUNS" -before "sleep 0.25" -label "$label" "$BIN" statusline
		kill "$POLLER"
		wait "$POLLER" || true
		POLLER=
	done
} | tee "$OUT/result.txt"
# The issue's targets next to the figures (the launcher's default-format
# row), and ccusage's cached line from the same rounds.
awk 'function row(label) { return substr($0, 1, 35) ~ ("^" label " +$") }
	row("aimonitor statusline") { split(substr($0, 36), a, " ") }
	row("ccusage statusline, cached") { split(substr($0, 36), c, " ") }
	/peak RSS alone/ { alone = $NF == "MB" ? $(NF - 1) : "" }
	END {
		rss = alone != "" ? alone : a[5]
		printf "target: median wall <= 10 ms (aim: ~6 ms): %s ms (%s); peak RSS <= 15 MB: %s MB (%s); ccusage cached in the same rounds: %s ms\n",
			a[1], (a[1] <= 10 ? "met" : "NOT met"), rss, (rss <= 15 ? "met" : "NOT met"), c[1]
	}' "$OUT/result.txt" | tee -a "$OUT/result.txt"
