// Command hello prints one line and exits: the least a static Go program
// costs to start on this machine, a yardstick for the status line's rows.
package main

import "os"

func main() { os.Stdout.WriteString("hello\n") }
