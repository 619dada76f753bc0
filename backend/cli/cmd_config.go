package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) configCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Read and change settings (" + "~/.config/aimonitor/config.yaml" + ")",
	}
	var getJSON bool
	get := &cobra.Command{
		Use:   "get KEY",
		Short: "Print the effective value of a setting",
		Args:  namedArgs("setting KEY"),
		RunE: func(_ *cobra.Command, args []string) error {
			svc, err := a.repairService()
			if err != nil {
				return err
			}
			v, err := svc.Config().Get(args[0])
			if err != nil {
				return err
			}
			if getJSON {
				return a.printJSON(map[string]any{"key": args[0], "value": v})
			}
			a.printf("%v\n", v)
			return nil
		},
	}
	get.Flags().BoolVar(&getJSON, "json", false, "print JSON")

	set := &cobra.Command{
		Use:   "set KEY VALUE",
		Short: "Validate and save a setting",
		Args:  namedArgs("setting KEY", "VALUE"),
		RunE: func(_ *cobra.Command, args []string) error {
			a.lenient = true // what is wrong may be the very key being fixed
			svc, err := a.service()
			if err != nil {
				return err
			}
			cfg, err := svc.SetConfig(args[0], args[1])
			if err != nil {
				return err
			}
			v, _ := cfg.Get(args[0])
			a.printf("%s = %v\n", args[0], v)
			a.warnConfigProblems(svc) // what is still wrong, if anything
			for _, f := range cfg.Fields() {
				if f.Key == args[0] && f.Source == "env" {
					a.eprintf("note: %s is set in the environment, which overrides the file\n", f.EnvVar)
				}
			}
			return nil
		},
	}

	var listJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List every setting with its value and where it comes from",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			svc, err := a.repairService()
			if err != nil {
				return err
			}
			fields := svc.Config().Fields()
			if listJSON {
				return a.printJSON(map[string]any{"path": svc.Paths.ConfigFile, "settings": fields})
			}
			tw := newTable(a.deps.Stdout, 0)
			fmt.Fprintln(tw, "KEY\tVALUE\tSOURCE")
			for _, f := range fields {
				fmt.Fprintf(tw, "%s\t%v\t%s\n", f.Key, f.Value, f.Source)
			}
			return tw.Flush()
		},
	}
	list.Flags().BoolVar(&listJSON, "json", false, "print JSON")

	var pathJSON bool
	path := &cobra.Command{
		Use:   "path",
		Short: "Print where aimonitor keeps its config, data and logs",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			svc, err := a.repairService()
			if err != nil {
				return err
			}
			if pathJSON {
				return a.printJSON(map[string]string{"config": svc.Paths.ConfigFile, "data": svc.Paths.DataDir, "logs": svc.Paths.LogDir})
			}
			a.printf("config  %s\ndata    %s\nlogs    %s\n", svc.Paths.ConfigFile, svc.Paths.DataDir, svc.Paths.LogDir)
			return nil
		},
	}
	path.Flags().BoolVar(&pathJSON, "json", false, "print JSON")
	cmd.AddCommand(get, set, list, path, a.exportCommand(), a.importCommand())
	return cmd
}
