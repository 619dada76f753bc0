package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	env "github.com/caarlos0/env/v11"
)

// Problem is one setting that does not load: what it holds, where that
// came from, why it is refused, and the exact command that fixes it.
type Problem struct {
	Key    string `json:"key,omitempty"` // empty when the whole file is unreadable
	Value  string `json:"value,omitempty"`
	Source string `json:"source"` // "the file PATH" or "the environment variable AIMONITOR_…"
	Msg    string `json:"message"`
	Fix    string `json:"fix"`
}

func (p Problem) String() string {
	if p.Key == "" {
		return fmt.Sprintf("%s: %s; fix: %s", p.Source, p.Msg, p.Fix)
	}
	return fmt.Sprintf("%s: %s (the value %s comes from %s); fix: %s", p.Key, p.Msg, p.Value, p.Source, p.Fix)
}

// ProblemsError is Load's error when settings do not load; each problem
// names its key, its source and its fix.
type ProblemsError struct{ Problems []Problem }

func (e *ProblemsError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return "config: " + strings.Join(lines, "\n")
}

// LoadLenient loads what it can and never fails: a file that is not valid
// YAML (or holds unknown keys) is set aside whole, a bad AIMONITOR_*
// variable is ignored, and a value out of range or not allowed falls back
// to its default. Each is reported as a Problem. The commands that repair
// settings (config get/set/list/path, doctor, uninstall) use it, so a bad
// setting never locks the user out of the fix.
func LoadLenient(path string, environ []string) (*Loaded, []Problem) {
	if l, err := loadStrict(path, environ); err == nil {
		return l, nil
	}
	var probs []Problem
	cfg := Default()
	fileKeys, err := decodeFile(path, &cfg)
	if err != nil {
		cfg, fileKeys = Default(), map[string]bool{}
		probs = append(probs, Problem{Source: "the file " + path, Msg: strings.TrimPrefix(err.Error(), "config: "),
			Fix: fmt.Sprintf("correct it in an editor, or move it aside (mv %s %s.bad) to start from the defaults", path, path)})
	}
	envMap := env.ToMap(environ)
	envSet := map[string]bool{}
	for _, f := range fields() {
		v, ok := envMap[f.envVar]
		if !ok {
			continue
		}
		parsed, err := f.parse(v)
		if err != nil {
			probs = append(probs, Problem{Key: f.key, Value: v, Source: "the environment variable " + f.envVar,
				Msg: keyMsg(err), Fix: "unset " + f.envVar})
			continue
		}
		reflect.ValueOf(&cfg).Elem().FieldByIndex(f.index).Set(reflect.ValueOf(parsed))
		envSet[f.key] = true
	}
	// Values out of range and broken cross-key rules: report, then fall
	// back to the default, until everything validates.
	def := reflect.ValueOf(Default())
	resetInvalid(&cfg, func(f field, _ error, ke *KeyError) bool {
		cur := reflect.ValueOf(&cfg).Elem().FieldByIndex(f.index)
		p := Problem{Key: f.key, Value: fmt.Sprint(cur.Interface()), Msg: ke.Msg}
		switch {
		case envSet[f.key]:
			p.Source, p.Fix = "the environment variable "+f.envVar, "unset "+f.envVar
			delete(envSet, f.key)
		case fileKeys[f.key]:
			p.Source = "the file " + path
			p.Fix = fmt.Sprintf("aimonitor config set %s %v", f.key, def.FieldByIndex(f.index).Interface())
			delete(fileKeys, f.key)
		default:
			p.Source = "the defaults"
			p.Fix = "report this as a bug"
		}
		probs = append(probs, p)
		return true
	})
	return &Loaded{Config: cfg, Path: path, fileSet: fileKeys, envSet: envSet}, probs
}

func keyMsg(err error) string {
	var ke *KeyError
	if errors.As(err, &ke) {
		return ke.Msg
	}
	return err.Error()
}
