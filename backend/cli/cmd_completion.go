package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/aimonitor/aimonitor/backend/tokens"
)

// Shell completion: cobra's `completion` command generates the scripts;
// these functions give them our words. They run inside `aimonitor
// __complete …` on every Tab, so they stay quiet: on any error they offer
// nothing rather than print.

// completeAccounts offers the saved account labels as the first argument
// (switch, rename, remove, refresh, relogin).
func (a *app) completeAccounts(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	_, m, err := a.manager(cmd.Context())
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	list, err := m.List(cmd.Context())
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, acc := range list {
		out = append(out, cobra.CompletionWithDesc(acc.Label, acc.Email))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeConfig offers the setting keys, and for `config set KEY` the
// key's allowed values.
func (a *app) completeConfig(withValue bool) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		svc, err := a.service()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		fields := svc.Config().Fields()
		var out []cobra.Completion
		switch {
		case len(args) == 0:
			for _, f := range fields {
				out = append(out, cobra.CompletionWithDesc(f.Key, f.Help))
			}
		case len(args) == 1 && withValue:
			for _, f := range fields {
				if f.Key != args[0] {
					continue
				}
				switch {
				case len(f.Choices) > 0:
					out = append(out, f.Choices...)
				case f.Type == "bool":
					out = append(out, "true", "false")
				case f.Min != nil && f.Max != nil:
					out = append(out, cobra.CompletionWithDesc(fmt.Sprint(f.Value), fmt.Sprintf("a whole number from %d to %d", *f.Min, *f.Max)))
				}
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// tokensByValues are the values of `tokens --by`.
var tokensByValues = []string{tokens.ByDay, tokens.ByModel, tokens.ByProject, tokens.ByAccount}

func fixedValues(values ...string) cobra.CompletionFunc {
	return cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp)
}

// CommandTree is the whole command tree as the binary parses it, for the
// generator of the shell completions and man pages (tools/clidocs). The
// man page generator stays out of the binary: its markdown library
// compiles a dozen regular expressions at every start of every command.
func CommandTree() *cobra.Command {
	return (&app{deps: Deps{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Environ: os.Environ()}}).rootCommand()
}

// completionLong explains where the generated scripts go.
const completionLong = `Prints a completion script for your shell. The packages install them already;
to load one by hand:

  bash:  source <(aimonitor completion bash)
  zsh:   aimonitor completion zsh > "${fpath[1]}/_aimonitor"
  fish:  aimonitor completion fish > ~/.config/fish/completions/aimonitor.fish

They complete commands, flags, account names (switch, rename, remove, refresh),
setting keys and their allowed values (config get/set) and tokens --by.`

// wireCompletion attaches the completion functions once the tree is built.
func (a *app) wireCompletion(root *cobra.Command) {
	root.CompletionOptions.HiddenDefaultCmd = false
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		switch c.Name() {
		case "switch", "rename", "remove", "refresh", "relogin":
			if c.ValidArgsFunction == nil {
				c.ValidArgsFunction = a.completeAccounts
			}
		case "completion":
			c.Long = completionLong
		case "tokens":
			_ = c.RegisterFlagCompletionFunc("by", fixedValues(tokensByValues...))
			_ = c.RegisterFlagCompletionFunc("tz", fixedValues("UTC", "Local"))
		case "config":
			for _, sub := range c.Commands() {
				switch sub.Name() {
				case "get":
					sub.ValidArgsFunction = a.completeConfig(false)
				case "set":
					sub.ValidArgsFunction = a.completeConfig(true)
				}
			}
		}
	}
}
