#!/usr/bin/env bash
# macos.sh VERSION LDFLAGS: build build/bin/aimonitor.app as a universal
# (arm64 + x86_64) app holding the three binaries — the widget (Wails; the
# bundle's executable, Contents/MacOS/aimonitor-widget) and beside it the
# command line: Contents/MacOS/aimonitor, the launcher (pure Go, no cgo),
# and Contents/MacOS/aimonitor-core, which it runs (pure Go plus cgo for the
# Keychain, no Cocoa or WebKit) — stamp VERSION into its Info.plist, sign it and zip
# it; notarise when asked. Runs on macOS only (`make package-macos`).
# To put the command line on PATH: ln -s /Applications/aimonitor.app/Contents/MacOS/aimonitor ~/bin/
# (it finds aimonitor-core and the widget beside the link's target).
#   MACOS_SIGN_IDENTITY  "Developer ID Application: Name (TEAMID)"; unset = ad-hoc signature
#   MACOS_NOTARY_PROFILE a `xcrun notarytool store-credentials` profile; set = notarise and staple
set -euo pipefail
version=$1 ldflags=$2
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

[ "$(uname -s)" = Darwin ] || { echo "macos.sh: run this on macOS" >&2; exit 1; }
for tool in plutil codesign ditto lipo otool; do
  command -v "$tool" >/dev/null || { echo "macos.sh: $tool is missing (install Xcode's command-line tools: xcode-select --install)" >&2; exit 1; }
done

app=build/bin/aimonitor.app
rm -rf "$app"
go tool wails build -platform darwin/universal -s -skipbindings -ldflags "$ldflags" -o aimonitor-widget

# Wails can exit 0 without output (e.g. the wrong platform): check the result.
widget=$app/Contents/MacOS/aimonitor-widget
if [ ! -x "$widget" ]; then
  echo "macos.sh: wails build produced no $widget" >&2
  exit 1
fi

# The command line, one slice per architecture, joined: the launcher with
# no cgo, core with cgo for the Keychain (Security.framework) only.
cli=$app/Contents/MacOS/aimonitor
core=$app/Contents/MacOS/aimonitor-core
for b in "aimonitor 0" "aimonitor-core 1"; do
  set -- $b
  slices=()
  for arch in arm64 amd64; do
    GOOS=darwin GOARCH=$arch CGO_ENABLED=$2 go build -trimpath -ldflags "-s -w $ldflags" -o "build/bin/$1-darwin-$arch" "./cmd/$1"
    slices+=("build/bin/$1-darwin-$arch")
  done
  lipo -create -output "$app/Contents/MacOS/$1" "${slices[@]}"
  rm -f "${slices[@]}"
done
# They must link nothing of Cocoa or WebKit: only libSystem and the two
# frameworks the Keychain needs.
for exe in "$cli" "$core"; do
  extra=$(otool -L "$exe" | tail -n +2 | awk '{print $1}' | grep -vE '^(/usr/lib/libSystem\.B\.dylib|/usr/lib/libresolv\.9\.dylib|/System/Library/Frameworks/(CoreFoundation|Security)\.framework/)' || true)
  [ -z "$extra" ] || { echo "macos.sh: $exe links more than the Keychain needs: $extra" >&2; exit 1; }
done

for exe in "$widget" "$cli" "$core"; do
  archs=$(lipo -archs "$exe")
  [[ $archs == *arm64* && $archs == *x86_64* ]] || { echo "macos.sh: $exe is not universal (has: $archs)" >&2; exit 1; }
  "$exe" version | grep -qF " $version " || { echo "macos.sh: $exe does not report version $version" >&2; exit 1; }
done

# Bundle versions must be numbers: v1.2.3-rc.1-4-gabc → 1.2.3.
short=${version#v}
short=${short%%-*}
plist=$app/Contents/Info.plist
plutil -replace CFBundleShortVersionString -string "$short" "$plist"
plutil -replace CFBundleVersion -string "$short" "$plist"
plutil -lint "$plist" >/dev/null

# The command line is nested code: signed first, then the bundle. Core
# keeps the identifier the command line had before the launcher came
# (dev.aimonitor.cli): it is the program that reads the Keychain.
if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
  # Hardened runtime and a secure timestamp are what notarisation requires.
  codesign --force --options runtime --timestamp --identifier dev.aimonitor.launcher --sign "$MACOS_SIGN_IDENTITY" "$cli"
  codesign --force --options runtime --timestamp --identifier dev.aimonitor.cli --sign "$MACOS_SIGN_IDENTITY" "$core"
  codesign --force --options runtime --timestamp --sign "$MACOS_SIGN_IDENTITY" "$app"
else
  echo "macos.sh: MACOS_SIGN_IDENTITY unset: ad-hoc signature (Gatekeeper will warn; see docs/install.md)" >&2
  codesign --force --identifier dev.aimonitor.launcher --sign - "$cli"
  codesign --force --identifier dev.aimonitor.cli --sign - "$core"
  codesign --force --sign - "$app"
fi
codesign --verify --strict --verbose=2 "$app"

zip=build/bin/aimonitor-$version-macos-universal.zip
rm -f "$zip"
ditto -c -k --keepParent "$app" "$zip"
if [ -n "${MACOS_NOTARY_PROFILE:-}" ]; then
  [ -n "${MACOS_SIGN_IDENTITY:-}" ] || { echo "macos.sh: notarisation needs MACOS_SIGN_IDENTITY" >&2; exit 1; }
  xcrun notarytool submit "$zip" --keychain-profile "$MACOS_NOTARY_PROFILE" --wait
  xcrun stapler staple "$app"
  rm -f "$zip"
  ditto -c -k --keepParent "$app" "$zip"
  spctl --assess --type execute --verbose "$app"
fi
echo "built $app and $zip ($version)"
