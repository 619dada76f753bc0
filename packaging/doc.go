// Package packaging holds the scripts that turn build/bin/aimonitor into an
// AppImage, a .deb and a macOS .app (see README.md and package.mk). It has
// no code of its own; its tests check the packaging assets that need no
// build: the macOS Info.plist templates Wails renders.
package packaging
