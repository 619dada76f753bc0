package cli

import (
	"context"

	"github.com/spf13/cobra"
)

func (a *app) runGUI(ctx context.Context, opts GUIOptions) error {
	if a.deps.RunGUI == nil {
		return a.launchWidget() // the command line: start the widget binary (launch.go)
	}
	svc, err := a.service()
	if err != nil {
		return err
	}
	return a.deps.RunGUI(ctx, svc, a.demoOptions(opts))
}

func (a *app) widgetCommand() *cobra.Command {
	var expanded bool
	cmd := &cobra.Command{
		Use:   "widget",
		Short: "Open the desktop widget (the same as running aimonitor alone)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runGUI(cmd.Context(), GUIOptions{Expanded: expanded})
		},
	}
	cmd.Flags().BoolVar(&expanded, "expanded", false, "open the full panel instead of the mini widget")
	return cmd
}
