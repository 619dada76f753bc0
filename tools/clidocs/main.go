// Command clidocs writes the shell completion files (bash, zsh, fish) and
// the man pages of the aimonitor CLI into a directory, without building
// the desktop binary: `go run ./tools/clidocs DIR` (make cli-docs). It runs
// the CLI's own hidden `docs` command, which packaging/mkdeb.sh also runs
// on the built binary.
package main

import (
	"context"
	"os"

	"github.com/aimonitor/aimonitor/backend/cli"
)

func main() {
	os.Exit(cli.Run(context.Background(), append([]string{"docs"}, os.Args[1:]...), cli.Deps{}))
}
