package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/agnivade/levenshtein"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/aimonitor/aimonitor/backend/accounts"
	"github.com/aimonitor/aimonitor/backend/logging"
	"github.com/aimonitor/aimonitor/backend/service"
	"github.com/aimonitor/aimonitor/backend/textout"
)

// The helpers every command shares: results go to stdout (printf,
// printJSON), hints and progress to stderr (eprintf); errors are returned
// for Run to print.

// printJSON prints v on stdout in the one shape every --json shares (see
// docs/cli.md): an object, indented by two spaces, null for "none" (a zero
// time becomes null), and numbers with at most four decimals, so arithmetic
// noise such as 73.12758514999999 never shows.
func (a *app) printJSON(v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var compact bytes.Buffer
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := normalizeJSON(dec, &compact); err != nil {
		return err
	}
	return a.writeJSON(compact.Bytes())
}

// writeJSON indents compact JSON and prints it with a final newline.
func (a *app) writeJSON(compact []byte) error { return textout.WriteJSON(a.deps.Stdout, compact) }

// zeroTime is how encoding/json writes time.Time{}.
const zeroTime = "0001-01-01T00:00:00Z"

// normalizeJSON copies one JSON value token by token (keeping the order of
// members), writing zero times as null and rounding numbers.
func normalizeJSON(dec *json.Decoder, w *bytes.Buffer) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch v := tok.(type) {
	case json.Delim:
		open, end := byte(v), byte('}')
		if open == '[' {
			end = ']'
		}
		w.WriteByte(open)
		for i := 0; dec.More(); i++ {
			if i > 0 {
				w.WriteByte(',')
			}
			if open == '{' {
				key, err := dec.Token()
				if err != nil {
					return err
				}
				k, _ := json.Marshal(key)
				w.Write(k)
				w.WriteByte(':')
			}
			if err := normalizeJSON(dec, w); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
		w.WriteByte(end)
	case json.Number:
		w.WriteString(roundNumber(v))
	case string:
		if v == zeroTime {
			w.WriteString("null")
			return nil
		}
		b, _ := json.Marshal(v)
		w.Write(b)
	case nil:
		w.WriteString("null")
	default:
		b, _ := json.Marshal(v)
		w.Write(b)
	}
	return nil
}

// roundNumber keeps integers as they are and gives other numbers at most
// four decimals.
func roundNumber(n json.Number) string {
	s := n.String()
	if !strings.ContainsAny(s, ".eE") {
		return s
	}
	f, err := n.Float64()
	if err != nil {
		return s
	}
	return strconv.FormatFloat(math.Round(f*1e4)/1e4, 'f', -1, 64)
}

// printf prints a result on stdout.
func (a *app) printf(format string, args ...any) {
	fmt.Fprintf(a.deps.Stdout, format, args...)
}

// eprintf prints a hint or progress on stderr.
func (a *app) eprintf(format string, args ...any) {
	fmt.Fprintf(a.deps.Stderr, format, args...)
}

// debugf logs one debug record on stderr with --debug, in the same format
// as the service's own records, so every command says something there even
// when it never builds the service.
func (a *app) debugf(format string, args ...any) {
	if !a.debug {
		return
	}
	h := slog.NewTextHandler(a.deps.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})
	slog.New(logging.NewHandler(h)).Debug(fmt.Sprintf(format, args...))
}

// usageError is a mistake in the command line (exit 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// noArgs refuses arguments; a near miss of a subcommand gets a suggestion.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return unknownCommand(cmd, args[0])
	}
	return nil
}

func unknownCommand(cmd *cobra.Command, arg string) error {
	msg := fmt.Sprintf("unknown command %q for %q", arg, cmd.CommandPath())
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	if s := closest(arg, names); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return usageErrorf("%s (see %s --help)", msg, cmd.CommandPath())
}

// groupRejectsUnknown makes a command that only groups subcommands (config,
// update) print its help when called alone and refuse an unknown
// subcommand, instead of printing help and exiting 0 (cobra's default).
func groupRejectsUnknown(c *cobra.Command) {
	if !c.HasSubCommands() || c.Runnable() {
		return
	}
	c.Args = cobra.ArbitraryArgs
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return cmd.Help()
		}
		return unknownCommand(cmd, args[0])
	}
}

// namedArgs wants exactly one argument per name and says which is missing
// ("missing account NAME") or that there are too many.
func namedArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < len(names):
			return usageErrorf("missing %s (see %s --help)", names[len(args)], cmd.CommandPath())
		case len(args) > len(names):
			return usageErrorf("too many arguments: %s takes %s", cmd.CommandPath(), strings.Join(names, " and "))
		}
		return nil
	}
}

// flagError words pflag's errors ("strconv.ParseInt: parsing …") for people.
func flagError(cmd *cobra.Command, err error) error {
	var inv *pflag.InvalidValueError
	if errors.As(err, &inv) {
		f := inv.GetFlag()
		what := map[string]string{
			"int": "a whole number", "duration": "a duration like 90s, 5m or 1h",
			"bool": "true or false", "float64": "a number",
		}[f.Value.Type()]
		if what == "" {
			return usageErrorf("--%s: %v (see %s --help)", f.Name, errors.Unwrap(err), cmd.CommandPath())
		}
		return usageErrorf("--%s: %q is not %s (see %s --help)", f.Name, inv.GetValue(), what, cmd.CommandPath())
	}
	return usageErrorf("%v (see %s --help)", err, cmd.CommandPath())
}

// closest is the word (an account label, a command) nearest to name: a
// typo, another case or a prefix; "" when none is near.
func closest(name string, labels []string) string {
	best, bestD := "", 3 // at most two edits
	for _, l := range labels {
		d := levenshtein.ComputeDistance(strings.ToLower(name), strings.ToLower(l))
		if strings.HasPrefix(strings.ToLower(l), strings.ToLower(name)) && name != "" {
			d = min(d, 1)
		}
		if d < bestD {
			best, bestD = l, d
		}
	}
	return best
}

// accountHint adds "did you mean" to a no-such-account error.
func accountHint(ctx context.Context, m *accounts.Manager, name string, err error) error {
	if !errors.Is(err, accounts.ErrNotFound) {
		return err
	}
	list, lerr := m.List(ctx)
	if lerr != nil {
		return err
	}
	labels := make([]string, 0, len(list))
	for _, acc := range list {
		labels = append(labels, acc.Label)
	}
	if s := closest(name, labels); s != "" {
		return fmt.Errorf("%w; did you mean %q?", err, s)
	}
	return err
}

// manager is the service and its accounts Manager, for the account commands.
func (a *app) manager(ctx context.Context) (*service.Service, *accounts.Manager, error) {
	s, err := a.service()
	if err != nil {
		return nil, nil, err
	}
	m, err := s.Accounts(ctx)
	if err != nil {
		return nil, nil, err
	}
	return s, m, nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// when is a time of day, with the weekday when it is not today.
func when(now, t time.Time) string {
	lt := t.Local()
	if lt.YearDay() == now.Local().YearDay() && lt.Year() == now.Local().Year() {
		return lt.Format("15:04")
	}
	return lt.Format("Mon 15:04")
}

func lookup(environ []string, key string) string {
	for i := len(environ) - 1; i >= 0; i-- {
		if len(environ[i]) > len(key) && environ[i][:len(key)] == key && environ[i][len(key)] == '=' {
			return environ[i][len(key)+1:]
		}
	}
	return ""
}

// AccountRef names an account in the --json answers of add, switch, remove
// and rename.
type AccountRef struct {
	Label        string `json:"label"`
	Email        string `json:"email"`
	Organization string `json:"organization"`
	Subscription string `json:"subscription"`
}

func refOf(acc *accounts.Account) AccountRef {
	return AccountRef{Label: acc.Label, Email: acc.Email, Organization: acc.OrgName, Subscription: acc.Subscription}
}

// newTable is the tabwriter every table uses, writing to w; its lines lose
// the blanks an empty last column would leave.
func newTable(w io.Writer, flags uint) *tabwriter.Writer { return textout.NewTable(w, flags) }

// plural is "1 account", "2 accounts".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Colour: only on a terminal, never with NO_COLOR set (https://no-color.org)
// or --no-color.
const (
	green  = "32"
	yellow = "33"
	red    = "31"
	bold   = "1"
)

// colorOn reports whether stdout gets colour.
func (a *app) colorOn() bool {
	if a.noColor || lookup(a.deps.Environ, "NO_COLOR") != "" {
		return false
	}
	if a.isTerminal != nil {
		return a.isTerminal(a.deps.Stdout)
	}
	f, ok := a.deps.Stdout.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// paint wraps s in an SGR colour when colour is on.
func (a *app) paint(code, s string) string {
	if code == "" || !a.colorOn() {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// cell is paint for a table cell: with colour on, every cell of a column
// carries an escape of the same length (39 is the default colour), so the
// columns stay aligned.
func (a *app) cell(code, s string) string {
	if !a.colorOn() {
		return s
	}
	if code == "" {
		code = "39"
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}
