// Command clidocs writes the shell completion files (bash, zsh, fish) and
// the man pages of the aimonitor command line into a directory:
// `go run ./tools/clidocs DIR` (make cli-docs; packaging/common.sh and
// mktarball.sh run it too). It reads the command tree from backend/cli, so
// the files describe exactly what the binary parses; the man page generator
// lives here rather than in the binary because its markdown library costs
// every command's start-up.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/aimonitor/aimonitor/backend/cli"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: clidocs DIR")
		os.Exit(2)
	}
	if err := writeDocs(cli.CommandTree(), os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "clidocs:", err)
		os.Exit(1)
	}
}

// writeDocs lays out DIR as the packages install it: completions/ (bash:
// aimonitor, zsh: _aimonitor, fish: aimonitor.fish) and man1/.
func writeDocs(root *cobra.Command, dir string) error {
	comp := filepath.Join(dir, "completions")
	man := filepath.Join(dir, "man1")
	for _, d := range []string{comp, man} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	for name, gen := range map[string]func(string) error{
		"aimonitor":      func(p string) error { return root.GenBashCompletionFileV2(p, true) },
		"_aimonitor":     root.GenZshCompletionFile,
		"aimonitor.fish": func(p string) error { return root.GenFishCompletionFile(p, true) },
	} {
		if err := gen(filepath.Join(comp, name)); err != nil {
			return fmt.Errorf("writing the %s completion: %w", name, err)
		}
	}
	root.DisableAutoGenTag = true // reproducible pages: no generation date
	hdr := &doc.GenManHeader{Title: "AIMONITOR", Section: "1", Source: "aimonitor", Manual: "aimonitor manual"}
	if err := doc.GenManTree(root, hdr, man); err != nil {
		return fmt.Errorf("writing the man pages: %w", err)
	}
	return nil
}
