#!/usr/bin/env bash
# test.sh APPIMAGE DEB VERSION RUNTIME TARBALL [APPIMAGE_WEBKIT41]: check the built packages the
# way a user meets them (`make package-test` builds them first): the AppImage's
# format, extraction, the three binaries inside (the launcher aimonitor,
# aimonitor-core, the widget), CLI commands and runs through FUSE and
# through extract-and-run, the widget window from the AppImage under Xvfb, the
# .deb installed and removed with dpkg, and the command line's tarball run from
# an empty directory. Ends with "N passed, N failed, N skipped"; exits
# non-zero on any failure. A step that cannot run here is skipped with the
# reason printed, never passed.
set -uo pipefail
appimage=$(readlink -f "$1") deb=$(readlink -f "$2") version=$3 runtime=$(readlink -f "$4")
tarball=$(readlink -f "$5")
appimage41=${6:+$(readlink -f "$6")}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=packaging/common.sh
source "$repo/packaging/common.sh"
plain=$(plain_version "$version")
deb_version=$(debian_version "$version")

passed=0 failed=0 skipped=0
pass() { passed=$((passed + 1)); echo "PASS  $*"; }
fail() { failed=$((failed + 1)); echo "FAIL  $*"; }
skip() { skipped=$((skipped + 1)); echo "SKIP  $*"; }
# check NAME CMD...: pass when CMD succeeds; on failure show its output.
check() {
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then pass "$name"; else fail "$name"; printf '%s\n' "$out" | tail -n 15 | sed 's/^/      /'; fi
}

work=$(mktemp -d "${TMPDIR:-/tmp}/aimonitor-pkgtest.XXXXXX")
chmod 755 "$work"
cleanup() {
  # Never leave a mount or a process of ours behind.
  grep -o " ${work}[^ ]*" /proc/mounts 2>/dev/null | while read -r m; do umount -l "$m" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

# A directory with a space: the specification requires AppImages to work there.
dir="$work/app dir"
mkdir -p "$dir"
cp "$appimage" "$dir/aimonitor.AppImage"
ai="$dir/aimonitor.AppImage"
# The runtime creates its mount point or extraction directory under TMPDIR;
# a private one shows whether it cleaned up after itself.
rt_tmp="$work/tmp"
mkdir -p "$rt_tmp"
chmod 1777 "$rt_tmp"
run_ai() { (cd "$work" && TMPDIR="$rt_tmp" NO_AT_BRIDGE=1 "$ai" "$@"); }
tmp_empty() { [ -z "$(ls -A "$rt_tmp")" ] || { echo "left behind in TMPDIR: $(ls -A "$rt_tmp")"; return 1; }; }

echo "== packages: $(basename "$appimage"), $(basename "$deb") (version $version)"

# ------------------------------------------------------------------ format
check "AppImage: ELF with type-2 magic AI\\x02 at offset 8" \
  bash -c '[ "$(head -c 4 "$1" | od -An -c | tr -d " ")" = 177ELF ] && [ "$(od -An -c -j8 -N3 "$1" | tr -d " ")" = AI002 ]' _ "$ai"

offset=$(run_ai --appimage-offset 2>&1)
check "AppImage: --appimage-offset ($offset) is where the runtime ends" \
  test "$offset" = "$(stat -c %s "$runtime")"
check "AppImage: a SquashFS image starts at that offset (unsquashfs reads it)" \
  bash -c 'unsquashfs -o "$1" -s "$2" | grep -q "Compression zstd"' _ "$offset" "$ai"
check "AppImage: runtime carries the .upd_info and .sha256_sig sections" \
  bash -c 'readelf -S -W "$1" | grep -q "\.upd_info" && readelf -S -W "$1" | grep -q "\.sha256_sig"' _ "$ai"
check "AppImage: --appimage-help and --appimage-version answer" \
  bash -c '"$1" --appimage-help | grep -q appimage-extract && "$1" --appimage-version | grep -q "type 2"' _ "$ai"
check "AppImage: an unknown --appimage- option is refused" \
  bash -c '! "$1" --appimage-nonsense 2>/dev/null' _ "$ai"

# ------------------------------------------------------------------ extract
check "AppImage: --appimage-extract writes squashfs-root" run_ai --appimage-extract
root="$work/squashfs-root"
check "extracted: AppRun, .DirIcon, desktop entry, icon at the root" \
  bash -c 'cd "$1" && [ -x AppRun ] && [ -L .DirIcon ] && [ -f "$(readlink -f .DirIcon)" ] && [ -f aimonitor.desktop ] && [ -f aimonitor.png ]' _ "$root"
check "extracted: usr/bin/aimonitor is the built launcher, static, executable" \
  bash -c '[ -x "$1/usr/bin/aimonitor" ] && cmp -s "$1/usr/bin/aimonitor" "$2" && file -b "$2" | grep -q "statically linked"' _ "$root" "$repo/build/bin/aimonitor"
check "extracted: usr/bin/aimonitor-core beside it is the built command line, static, executable" \
  bash -c '[ -x "$1/usr/bin/aimonitor-core" ] && cmp -s "$1/usr/bin/aimonitor-core" "$2" && file -b "$2" | grep -q "statically linked"' _ "$root" "$repo/build/bin/aimonitor-core"
check "extracted: usr/bin/aimonitor-widget beside it is the built widget, executable" \
  bash -c '[ -x "$1/usr/bin/aimonitor-widget" ] && cmp -s "$1/usr/bin/aimonitor-widget" "$2"' _ "$root" "$repo/build/bin/aimonitor-widget"
check "extracted: hicolor icons 16…512 and scalable" \
  bash -c 'for s in 16 32 48 128 256 512; do [ -f "$1/usr/share/icons/hicolor/${s}x$s/apps/aimonitor.png" ] || exit 1; done; [ -f "$1/usr/share/icons/hicolor/scalable/apps/aimonitor.svg" ]' _ "$root"
check "extracted: aimonitor.desktop is valid and says X-AppImage-Version=$plain" \
  bash -c 'desktop-file-validate "$1/aimonitor.desktop" && grep -qx "X-AppImage-Version=$2" "$1/aimonitor.desktop"' _ "$root" "$plain"
check "extracted: AppStream metainfo validates and names release $plain" \
  bash -c 'f="$1/usr/share/metainfo/dev.aimonitor.app.metainfo.xml"; appstreamcli validate --no-net "$f" >/dev/null && grep -q "release version=\"$2\"" "$f"' _ "$root" "$plain"
rm -rf "$root"
check "AppImage: --appimage-extract PATTERN extracts only matching files" \
  bash -c 'cd "$1" && "$2" --appimage-extract "usr/share/icons/*/256x256/*" >/dev/null && [ -f squashfs-root/usr/share/icons/hicolor/256x256/apps/aimonitor.png ] && [ ! -e squashfs-root/AppRun ]' _ "$work" "$ai"
rm -rf "$root"

truncated="$work/truncated.AppImage"
head -c "$((offset + 4096))" "$ai" >"$truncated" && chmod 755 "$truncated"
check "AppImage: a truncated image fails with a message, not a crash" \
  bash -c 'out=$(cd "$2" && TMPDIR="$3" APPIMAGE_EXTRACT_AND_RUN=1 "$1" version 2>&1); rc=$?; [ $rc -eq 1 ] && grep -q "SquashFS" <<<"$out"' _ "$truncated" "$work" "$rt_tmp"
tmp_empty >/dev/null || rm -rf "${rt_tmp:?}"/*

# ------------------------------------------------------------- FUSE mount
fuse_reason=
if [ ! -c /dev/fuse ]; then
  fuse_reason="no /dev/fuse on this machine"
else
  mnt_log="$work/mount.log"
  (cd "$work" && TMPDIR="$rt_tmp" exec "$ai" --appimage-mount) >"$mnt_log" 2>&1 &
  mount_pid=$!
  for _ in $(seq 100); do [ -s "$mnt_log" ] && break; sleep 0.05; done
  mnt=$(head -n1 "$mnt_log")
  if [ -d "$mnt" ] && grep -q " $mnt fuse" /proc/mounts; then
    check "FUSE: --appimage-mount mounts the image read-only (/proc/mounts)" \
      bash -c 'grep " $1 fuse" /proc/mounts | grep -q "[ ,]ro[ ,]"' _ "$mnt"
    check "FUSE: the mounted AppDir's binaries run: aimonitor version, aimonitor-core version" \
      bash -c '"$1/usr/bin/aimonitor" version | grep -qF "aimonitor $2 " && "$1/usr/bin/aimonitor-core" version | grep -qF "aimonitor $2 "' _ "$mnt" "$version"
    check "FUSE: the mounted launcher runs a command through aimonitor-core: config list" \
      bash -c 'env -i PATH=/usr/bin:/bin HOME="$3" "$1/usr/bin/aimonitor" config list | grep -q "^auto_swap.enabled "' _ "$mnt" "$version" "$work"
    kill "$mount_pid" 2>/dev/null
    wait "$mount_pid" 2>/dev/null
    for _ in $(seq 100); do grep -q " $mnt " /proc/mounts || break; sleep 0.05; done
    check "FUSE: the mount and its directory go when the runtime exits" \
      bash -c '! grep -q " $1 " /proc/mounts && [ ! -e "$1" ]' _ "$mnt"
  else
    fuse_reason="FUSE mounting does not work here: $(tr '\n' ' ' <"$mnt_log")"
    kill "$mount_pid" 2>/dev/null
    wait "$mount_pid" 2>/dev/null
  fi
fi

if [ -z "$fuse_reason" ]; then
  out=$(run_ai version 2>"$work/stderr")
  check "FUSE: ./aimonitor.AppImage version prints '$version' (mounted, no fallback)" \
    bash -c '[[ $1 == "aimonitor $2 "* ]] && ! grep -q "cannot mount" "$3"' _ "$out" "$version" "$work/stderr"
  check "FUSE: nothing left in TMPDIR after the run (mount point removed)" tmp_empty
else
  skip "FUSE: ./aimonitor.AppImage version — $fuse_reason"
fi

# The unprivileged path: fusermount3 (setuid) mounts for an ordinary user.
# Containers often give /dev/fuse mode 0600, which stops that before
# fusermount3 is tried; a private mount namespace with a 0666 node fixes
# that for this one check without touching the machine's /dev.
if [ -n "$fuse_reason" ]; then
  skip "FUSE as an ordinary user via fusermount3 — $fuse_reason"
elif ! command -v unshare >/dev/null || ! command -v setpriv >/dev/null || ! command -v fusermount3 >/dev/null; then
  skip "FUSE as an ordinary user via fusermount3 — needs unshare, setpriv and fusermount3"
elif [ "$(id -u)" != 0 ]; then
  out=$(run_ai version 2>"$work/stderr")
  check "FUSE as an ordinary user ($(id -un)): version, no fallback" \
    bash -c '[[ $1 == "aimonitor $2 "* ]] && ! grep -q "cannot mount" "$3"' _ "$out" "$version" "$work/stderr"
else
  user_log="$work/user.log"
  if unshare -m --propagation private bash -c '
      mknod "$1/fuse" c 10 229 && chmod 666 "$1/fuse" && mount --bind "$1/fuse" /dev/fuse || exit 99
      cd "$1" && exec setpriv --reuid=65534 --regid=65534 --clear-groups env TMPDIR="$2" HOME="$1" "$3" version
    ' _ "$work" "$rt_tmp" "$ai" >"$user_log" 2>&1; then
    check "FUSE as an ordinary user (uid 65534) via fusermount3: version, no fallback" \
      bash -c 'grep -q "^aimonitor $2 " "$1" && ! grep -q "cannot mount" "$1"' _ "$user_log" "$version"
    check "FUSE as an ordinary user: fusermount3 unmounted, mount point removed" tmp_empty
  elif [ $? -eq 99 ]; then
    skip "FUSE as an ordinary user — cannot make a private /dev/fuse here: $(tr '\n' ' ' <"$user_log")"
  else
    fail "FUSE as an ordinary user (uid 65534) via fusermount3"
    sed 's/^/      /' "$user_log"
  fi
fi

# ------------------------------------------------------- extract and run
out=$(run_ai --appimage-extract-and-run version 2>&1)
check "extract-and-run: --appimage-extract-and-run version prints '$version'" \
  bash -c '[[ $1 == "aimonitor $2 "* ]]' _ "$out" "$version"
check "extract-and-run: the temporary copy is deleted afterwards" tmp_empty
out=$(APPIMAGE_EXTRACT_AND_RUN=1 run_ai version 2>&1)
check "extract-and-run: APPIMAGE_EXTRACT_AND_RUN=1 version prints '$version'" \
  bash -c '[[ $1 == "aimonitor $2 "* ]]' _ "$out" "$version"
check "extract-and-run: exit status passes through (unknown command fails)" \
  bash -c '! APPIMAGE_EXTRACT_AND_RUN=1 TMPDIR="$2" "$1" no-such-command >/dev/null 2>&1' _ "$ai" "$rt_tmp"
tmp_empty >/dev/null || rm -rf "${rt_tmp:?}"/*

# ------------------------------------------------------------ CLI commands
# Given a command, the AppImage is the command line: it runs it in a
# throw-away HOME with no display and no session bus.
cli_home="$work/cli-home"
mkdir -p "$cli_home"
ai_cli() { (cd "$work" && env -i PATH=/usr/bin:/bin HOME="$cli_home" USER=tester TMPDIR="$rt_tmp" "$ai" "$@"); }
got=$(ai_cli config set widget.theme dark >/dev/null 2>&1 && ai_cli config get widget.theme 2>&1)
check "CLI: ./aimonitor.AppImage config set, then config get reads it back" \
  bash -c '[ "$1" = dark ] || { echo "$1"; exit 1; }' _ "$got"
out=$(ai_cli list --json 2>&1)
check "CLI: ./aimonitor.AppImage list --json answers with no accounts" \
  bash -c 'grep -q "\"accounts\": \[\]" <<<"$1"' _ "$out"
out=$(ai_cli switch work 2>&1); rc=$?
check "CLI: ./aimonitor.AppImage switch work reaches the command (no such account: one line, exit $rc)" \
  bash -c '[ "$1" -eq 1 ] && [ "$(wc -l <<<"$2")" -eq 1 ] && grep -q "work" <<<"$2"' _ "$rc" "$out"
out=$(ai_cli 2>&1); rc=$?
check "CLI: ./aimonitor.AppImage alone with no display: one line naming the CLI and the daemon, exit $rc" \
  bash -c '[ "$1" -ne 0 ] && [ "$(wc -l <<<"$2")" -eq 1 ] && grep -q "no display" <<<"$2" && grep -q "aimonitor daemon" <<<"$2"' _ "$rc" "$out"
tmp_empty >/dev/null || rm -rf "${rt_tmp:?}"/*

# Without FUSE the runtime must fall back on its own. /dev/null bound over
# /dev/fuse (private mount namespace) makes the mount fail the way a
# machine without FUSE does.
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
  out=$(unshare -m --propagation private bash -c 'mount --bind /dev/null /dev/fuse && cd "$1" && TMPDIR="$2" exec "$3" version' \
    _ "$work" "$rt_tmp" "$ai" 2>"$work/stderr")
  check "no FUSE: falls back to extract-and-run by itself, says so, prints '$version'" \
    bash -c '[[ $1 == "aimonitor $2 "* ]] && grep -q "extracting it to a temporary directory instead" "$3"' _ "$out" "$version" "$work/stderr"
  check "no FUSE: nothing left in TMPDIR" tmp_empty
else
  skip "no-FUSE fallback — needs root and unshare to hide /dev/fuse"
fi

# ------------------------------------------------------ widget under Xvfb
# The widget from the AppImage, run like a user would: no arguments, in a
# throw-away HOME and keyring, on a private X display.
cat >"$work/widget.sh" <<'WIDGET'
set -u
ai=$1 log=$2
TMPDIR=$3 setsid "$ai" >"$log" 2>&1 &
pid=$!
win=
for _ in $(seq 300); do
  win=$(xdotool search --onlyvisible --name '^aimonitor$' 2>/dev/null | head -n1)
  [ -n "$win" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
exe=$(readlink "/proc/$pid/exe" 2>/dev/null)
env_ok=no
tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "APPIMAGE=$ai" && env_ok=yes
appdir=$(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | sed -n 's/^APPDIR=//p')
geometry=$( [ -n "$win" ] && xdotool getwindowgeometry "$win" | tr '\n' ' ')
kill -TERM -- "-$pid" 2>/dev/null
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
kill -KILL -- "-$pid" 2>/dev/null
# The FUSE server leaves once the app has gone.
gone=no
for _ in $(seq 100); do
  if [ -n "$appdir" ] && ! grep -q " $appdir " /proc/mounts && [ ! -e "$appdir" ]; then gone=yes; break; fi
  sleep 0.05
done
echo "window=${win:-none}"
echo "geometry=$geometry"
echo "exe=$exe"
echo "appdir=$appdir"
echo "env_ok=$env_ok"
echo "mount_gone=$gone"
WIDGET

# widget_test LABEL APPIMAGE: open the widget from APPIMAGE and check it.
widget_test() {
  local label=$1 image=$2 report
  report=$(AIMONITOR_FORCE_XVFB=1 "$repo/scripts/with-display" "$repo/scripts/sandbox" \
    bash "$work/widget.sh" "$image" "$work/widget.log" "$rt_tmp" 2>&1)
  get() { sed -n "s/^$1=//p" <<<"$report" | head -n1; }
  check "$label: the AppImage alone opens the 'aimonitor' window under Xvfb ($(get geometry))" \
    bash -c '[ "$1" != none ] && [ -n "$1" ]' _ "$(get window)"
  if [ -z "$fuse_reason" ]; then
    check "$label: the app runs from the FUSE mount ($(get exe))" \
      bash -c '[[ $1 == "$2"/.mount_* && $1 == */usr/bin/aimonitor-widget ]]' _ "$(get exe)" "$rt_tmp"
  fi
  check "$label: APPIMAGE and APPDIR are set for the app" \
    bash -c '[ "$1" = yes ] && [ -n "$2" ]' _ "$(get env_ok)" "$(get appdir)"
  check "$label: mount point / extraction directory removed after kill -- -PGID" \
    bash -c '[ "$1" = yes ]' _ "$(get mount_gone)"
  if [ "$(get window)" = none ] || [ -z "$(get window)" ]; then
    sed 's/^/      /' <<<"$report"
    tail -n 20 "$work/widget.log" 2>/dev/null | sed 's/^/      app: /'
  fi
}

if ! command -v Xvfb >/dev/null || ! command -v xdotool >/dev/null; then
  skip "widget from the AppImage under Xvfb — needs Xvfb and xdotool (make setup)"
else
  widget_test widget "$ai"
fi

# ------------------------------------------ WebKitGTK 4.1 variant (optional)
if [ -z "$appimage41" ]; then
  skip "WebKitGTK 4.1 AppImage — not given"
elif ! ldconfig -p | grep -q 'libwebkit2gtk-4.1.so.0'; then
  skip "WebKitGTK 4.1 AppImage — libwebkit2gtk-4.1-0 is not installed here"
else
  ai41="$dir/aimonitor-webkit41.AppImage"
  cp "$appimage41" "$ai41"
  check "webkit41: the AppImage's widget links WebKitGTK 4.1, not 4.0; its command line is the static one" \
    bash -c 'cd "$2" && TMPDIR="$3" "$1" --appimage-extract "usr/bin/*" >/dev/null && l=$(ldd squashfs-root/usr/bin/aimonitor-widget) && s=$(file -b squashfs-root/usr/bin/aimonitor squashfs-root/usr/bin/aimonitor-core) && rm -rf squashfs-root && grep -q "libwebkit2gtk-4.1" <<<"$l" && ! grep -q "libwebkit2gtk-4.0" <<<"$l" && [ "$(grep -c "statically linked" <<<"$s")" = 2 ]' _ "$ai41" "$work" "$rt_tmp"
  out=$(cd "$work" && TMPDIR="$rt_tmp" "$ai41" version 2>&1)
  check "webkit41: ./aimonitor-webkit41.AppImage version prints '$version'" \
    bash -c '[[ $1 == "aimonitor $2 "* ]]' _ "$out" "$version"
  if command -v Xvfb >/dev/null && command -v xdotool >/dev/null; then
    widget_test webkit41 "$ai41"
  fi
fi

# -------------------------------------------------------------------- .deb
check "deb: control names aimonitor $deb_version amd64" \
  bash -c '[ "$(dpkg-deb -f "$1" Package Version Architecture | tr "\n" " ")" = "Package: aimonitor Version: $2 Architecture: amd64 " ]' _ "$deb" "$deb_version"
depends=$(dpkg-deb -f "$deb" Depends)
check "deb: Depends from dpkg-shlibdeps names libc6, GTK 3 and WebKitGTK" \
  bash -c '[[ $1 == *libc6* && $1 == *libgtk-3-0* && $1 == *libwebkit2gtk-4.* ]]' _ "$depends"
expected_files="./usr/bin/aimonitor ./usr/bin/aimonitor-core ./usr/bin/aimonitor-widget ./usr/share/applications/aimonitor.desktop ./usr/share/metainfo/dev.aimonitor.app.metainfo.xml ./usr/share/icons/hicolor/512x512/apps/aimonitor.png ./usr/share/icons/hicolor/16x16/apps/aimonitor.png ./usr/share/icons/hicolor/scalable/apps/aimonitor.svg ./usr/share/doc/aimonitor/copyright ./usr/share/bash-completion/completions/aimonitor ./usr/share/zsh/vendor-completions/_aimonitor ./usr/share/fish/vendor_completions.d/aimonitor.fish ./usr/share/man/man1/aimonitor.1.gz ./usr/share/man/man1/aimonitor-switch.1.gz"
check "deb: contents: the three binaries, desktop entry, metainfo, icons, copyright, completions, man pages; owned by root" \
  bash -c 'list=$(dpkg-deb -c "$1"); for f in $2; do grep -q " $f\$" <<<"$list" || { echo "missing $f"; exit 1; }; done; ! grep -v " root/root " <<<"$list"' _ "$deb" "$expected_files"
check "deb: the copyright file is machine-readable and carries LICENSE" \
  bash -c 'f=$(dpkg-deb --fsys-tarfile "$1" | tar -xO ./usr/share/doc/aimonitor/copyright) &&
    [[ $f == "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"* ]] &&
    grep -q "^Files: \*$" <<<"$f" && grep -q "^License: MIT$" <<<"$f" &&
    grep -qF " $(tail -n 1 "$2/LICENSE")" <<<"$f"' _ "$deb" "$repo"

if [ "$(id -u)" != 0 ]; then
  skip "deb: dpkg -i / dpkg -r — needs root"
elif dpkg-query -W -f='${Status}' aimonitor 2>/dev/null | grep -q 'ok installed'; then
  skip "deb: dpkg -i / dpkg -r — an aimonitor package is already installed here; not touching it"
else
  check "deb: dpkg -i installs it" dpkg -i "$deb"
  check "deb: installed files are in place" \
    bash -c 'for f in $1; do [ -e "${f#.}" ] || { echo "missing ${f#.}"; exit 1; }; done' _ "$expected_files"
  check "deb: /usr/bin/aimonitor version prints '$version'" \
    bash -c '/usr/bin/aimonitor version | grep -qF "aimonitor $1 "' _ "$version"
  check "deb: aimonitor on PATH is the static launcher, aimonitor-core beside it static too; aimonitor-widget links WebKitGTK" \
    bash -c '[ "$(env -i PATH=/usr/bin:/bin sh -c "command -v aimonitor")" = /usr/bin/aimonitor ] && file -b /usr/bin/aimonitor | grep -q "statically linked" && file -b /usr/bin/aimonitor-core | grep -q "statically linked" && ldd /usr/bin/aimonitor-widget | grep -q libwebkit2gtk'
  check "deb: aimonitor config list runs through aimonitor-core; aimonitor-core version is the launcher's" \
    bash -c 'env -i PATH=/usr/bin:/bin HOME="$1" aimonitor config list | grep -q "^auto_swap.enabled " && [ "$(aimonitor version)" = "$(aimonitor-core version)" ]' _ "$cli_home"
  check "deb: aimonitor alone with no display says so in one line and exits non-zero" \
    bash -c 'out=$(env -i PATH=/usr/bin:/bin HOME="$1" aimonitor 2>&1); rc=$?; [ $rc -ne 0 ] && [ "$(wc -l <<<"$out")" -eq 1 ] && grep -q "no display" <<<"$out"' _ "$cli_home"
  check "deb: aimonitor-widget version prints '$version'" \
    bash -c '/usr/bin/aimonitor-widget version | grep -qF "aimonitor $1 "' _ "$version"
  check "deb: dpkg -r removes it" dpkg -r aimonitor
  check "deb: no file and no package state left" \
    bash -c 'for f in $1; do [ ! -e "${f#.}" ] || { echo "left ${f#.}"; exit 1; }; done; ! dpkg-query -W -f="\${Status}" aimonitor 2>/dev/null | grep -q installed' _ "$expected_files"
  dpkg -P aimonitor >/dev/null 2>&1 || true
fi

# ---------------------------------------------------------------- tarball
# The command line alone, for machines without a display: unpacked into an
# empty directory and run from there with an empty environment and HOME.
tar_name=$(basename "$tarball" .tar.gz)
check "tarball: $(basename "$tarball") holds $tar_name/ with aimonitor, aimonitor-core, README.md$( [ -f "$repo/LICENSE" ] && echo ", LICENSE"), completions, man pages" \
  bash -c 'list=$(tar -tzf "$1" | grep -v "^$2/man/man1/aimonitor-.*\.1$" | sort | tr "\n" " ")
    docs="$2/completions/ $2/completions/bash/ $2/completions/bash/aimonitor $2/completions/fish/ $2/completions/fish/aimonitor.fish $2/completions/zsh/ $2/completions/zsh/_aimonitor $2/man/ $2/man/man1/ $2/man/man1/aimonitor.1 "
    want="$2/ $2/README.md $2/aimonitor $2/aimonitor-core $docs"; [ -f "$3/LICENSE" ] && want="$2/LICENSE $want"
    want=$(tr " " "\n" <<<"$want" | grep . | sort | tr "\n" " ")
    [ "$list" = "$want" ] && tar -tzf "$1" | grep -q "^$2/man/man1/aimonitor-switch\.1$" || { echo "holds: $list"; exit 1; }' _ "$tarball" "$tar_name" "$repo"
empty="$work/empty"
mkdir -p "$empty/home"
tar -xzf "$tarball" -C "$empty"
tbin="$empty/$tar_name/aimonitor"
tar_run() { (cd "$empty/$tar_name" && env -i HOME="$empty/home" USER=tester ./aimonitor "$@"); }
check "tarball: its aimonitor and aimonitor-core are static and the same as build/bin's" \
  bash -c 'for b in aimonitor aimonitor-core; do file -b "$1/$b" | grep -q "statically linked" && cmp -s "$1/$b" "$2/$b" || exit 1; done' _ "$(dirname "$tbin")" "$repo/build/bin"
out=$(tar_run version 2>&1)
check "tarball: ./aimonitor version from the unpacked directory, empty environment, prints '$version'" \
  bash -c '[[ $1 == "aimonitor $2 "* ]]' _ "$out" "$version"
out=$(tar_run config list 2>&1)
check "tarball: ./aimonitor config list" bash -c 'grep -q "^auto_swap.enabled " <<<"$1"' _ "$out"
out=$(tar_run list --json 2>&1)
check "tarball: ./aimonitor list --json" bash -c 'grep -q "\"accounts\": \[\]" <<<"$1"' _ "$out"
out=$(cd "$empty" && env -i HOME="$empty/home" USER=tester "$tar_name/aimonitor" list --json 2>&1)
check "tarball: $tar_name/aimonitor list --json from the directory above (finds aimonitor-core beside itself, not in the working directory)" \
  bash -c 'grep -q "\"accounts\": \[\]" <<<"$1"' _ "$out"
out=$(tar_run 2>&1); rc=$?
check "tarball: ./aimonitor alone says in one line that the widget is not installed, names the CLI and the daemon, exit $rc" \
  bash -c '[ "$1" -ne 0 ] && [ "$(wc -l <<<"$2")" -eq 1 ] && grep -q "not installed" <<<"$2" && grep -q "aimonitor daemon" <<<"$2"' _ "$rc" "$out"

lone="$work/lone"
mkdir -p "$lone"
cp "$tbin" "$lone/aimonitor"
out=$(cd "$lone" && env -i HOME="$empty/home" ./aimonitor list 2>&1); rc=$?
check "tarball: its aimonitor without aimonitor-core says in one line what is missing and where it looked, exit $rc" \
  bash -c '[ "$1" -ne 0 ] && [ "$(wc -l <<<"$2")" -eq 1 ] && grep -qF "$3/aimonitor-core" <<<"$2"' _ "$rc" "$out" "$lone"

# ------------------------------------------------------------------ macOS
# Wails' darwin build exits 0 having built nothing off a Mac: the target
# must refuse instead.
if [ "$(uname -s)" != Darwin ]; then
  mk=(make -C "$repo" --no-print-directory)
  grep -q '^include packaging/package.mk' "$repo/Makefile" || mk+=(-f Makefile -f packaging/package.mk)
  check "macOS: make package-macos on $(uname -s) stops with a clear message and a non-zero exit" \
    bash -c 'out=$("$@" package-macos 2>&1); rc=$?; echo "$out"; [ $rc -ne 0 ] && grep -q "must run on macOS" <<<"$out"' _ "${mk[@]}"
fi

echo "package-test: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
