package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/aimonitor/aimonitor/backend/doctor"
)

func (a *app) doctorCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the installation: config, database, keyring, Claude Code, poller, network, autostart",
		Long: `Checks everything aimonitor depends on and prints one line per finding, OK, WARN or
FAIL, with what to do about it. It changes nothing (the keyring check writes and deletes
a test item). The exit status is 1 when any check fails.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Doctor builds its own service: it must also run when the
			// configuration is what is broken.
			rep := doctor.Run(cmd.Context(), doctor.Options{Environ: a.deps.Environ, Stderr: a.deps.Stderr})
			if asJSON {
				if err := a.printJSON(rep); err != nil {
					return err
				}
			} else {
				a.printDoctor(rep)
			}
			if n := rep.Count(doctor.Fail); n > 0 {
				return &ExitError{Code: 1, Err: fmt.Errorf("doctor found %s; see the FAIL lines and their fixes", plural(n, "problem", "problems"))}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON: checks with area, status, detail, fix")
	return cmd
}

func (a *app) printDoctor(rep *doctor.Report) {
	for _, c := range rep.Checks {
		status := fmt.Sprintf("%-4s", strings.ToUpper(string(c.Status)))
		a.printf("%s  %-11s  %s\n", a.paint(map[doctor.Status]string{doctor.OK: green, doctor.Warn: yellow, doctor.Fail: red}[c.Status], status), c.Area, c.Detail)
		if c.Fix != "" {
			a.printf("%-4s  %-11s  fix: %s\n", "", "", c.Fix)
		}
	}
	a.printf("\n%d ok, %s, %s\n", rep.Count(doctor.OK), plural(rep.Count(doctor.Warn), "warning", "warnings"), plural(rep.Count(doctor.Fail), "failure", "failures"))
}
