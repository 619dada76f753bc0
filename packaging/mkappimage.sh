#!/usr/bin/env bash
# mkappimage.sh CLI CORE WIDGET RUNTIME VERSION OUTPUT: assemble a type-2 AppImage —
# our runtime (packaging/runtime, magic already stamped) followed by a
# zstd SquashFS of the AppDir — with squashfs-tools only, nothing downloaded.
set -euo pipefail
cli=$1 core=$2 widget=$3 runtime=$4 version=$5 out=$6
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=packaging/common.sh
source "$repo/packaging/common.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/aimonitor-appimage.XXXXXX")
trap 'rm -rf "$work"' EXIT
app=$work/AppDir

# The AppDir: AppRun, the three binaries under usr/bin (the launcher finds
# aimonitor-core beside itself, which finds the widget beside itself), usr/share as in the .deb, plus the desktop
# entry and icon at the root where AppImage tools look for them.
install -D -m755 "$cli" "$app/usr/bin/aimonitor"
install -D -m755 "$core" "$app/usr/bin/aimonitor-core"
install -D -m755 "$widget" "$app/usr/bin/aimonitor-widget"
install -m755 "$repo/packaging/AppRun" "$app/AppRun"
install_share_files "$app" "$version" "$repo"
printf 'X-AppImage-Version=%s\n' "$(plain_version "$version")" >>"$app/usr/share/applications/aimonitor.desktop"
cp "$app/usr/share/applications/aimonitor.desktop" "$app/aimonitor.desktop"
cp "$repo/build/linux/icons/256x256.png" "$app/aimonitor.png"
ln -s aimonitor.png "$app/.DirIcon"

# Timestamps from the commit, so the same commit gives the same image.
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}
mksquashfs "$app" "$work/image.squashfs" -root-owned -noappend -no-xattrs -comp zstd -Xcompression-level 19 \
  -all-time "$epoch" -mkfs-time "$epoch" -quiet -no-progress >"$work/mksquashfs.log" 2>&1 ||
  { cat "$work/mksquashfs.log" >&2; exit 1; }

if [ "$(od -An -c -j8 -N3 "$runtime" | tr -d ' ')" != 'AI002' ]; then
  echo "mkappimage: $runtime lacks the AppImage type-2 magic" >&2
  exit 1
fi
mkdir -p "$(dirname "$out")"
cat "$runtime" "$work/image.squashfs" >"$out.tmp"
chmod 755 "$out.tmp"
mv -f "$out.tmp" "$out"
echo "built $out ($(du -h "$out" | cut -f1))"
