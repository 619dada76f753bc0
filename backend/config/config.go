// Package config is aimonitor's typed configuration: defaults in code, the
// YAML file (~/.config/aimonitor/config.yaml) over them, then AIMONITOR_*
// environment overrides. Keys are dotted (auto_swap.threshold_pct). Every
// value is validated against a range or a set of choices before anything is
// saved, and the file is replaced atomically, so it is never half-written.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"strconv"
	"strings"

	"github.com/caarlos0/env/v11"
	"go.yaml.in/yaml/v3"

	"github.com/aimonitor/aimonitor/backend/paths"
	"github.com/aimonitor/aimonitor/backend/statusline/line"
)

// EnvPrefix is the prefix of every environment override.
const EnvPrefix = "AIMONITOR_"

// Config is the whole configuration. Field tags drive everything else:
// yaml gives the dotted key, env the override name, range/enum the allowed
// values, help the text shown by `config list` and the settings pane.
type Config struct {
	AutoSwap     AutoSwap     `yaml:"auto_swap" envPrefix:"AUTO_SWAP_"`
	Notify       Notify       `yaml:"notify" envPrefix:"NOTIFY_"`
	DailySummary DailySummary `yaml:"daily_summary" envPrefix:"DAILY_SUMMARY_"`
	AutoUpdate   AutoUpdate   `yaml:"auto_update" envPrefix:"AUTO_UPDATE_"`
	Autostart    bool         `yaml:"autostart" env:"AUTOSTART" help:"Start aimonitor when you log in"`
	AutostartRun string       `yaml:"autostart_run" env:"AUTOSTART_RUN" enum:"widget,daemon" help:"What starts at login: the widget, or the headless daemon"`
	Widget       Widget       `yaml:"widget" envPrefix:"WIDGET_"`
	Poll         Poll         `yaml:"poll" envPrefix:"POLL_"`
	Log          Log          `yaml:"log" envPrefix:"LOG_"`
	Keyring      Keyring      `yaml:"keyring" envPrefix:"KEYRING_"`
	StatusLine   StatusLine   `yaml:"statusline" envPrefix:"STATUSLINE_"`

	// Endpoints are environment-only (tests and the demo point them at the
	// loopback simulator); the egress allowlist decides whether they are allowed.
	Endpoints Endpoints `yaml:"-"`
}

type AutoSwap struct {
	Enabled      bool `yaml:"enabled" env:"ENABLED" help:"Switch to another account automatically when the active one nears its limits"`
	ThresholdPct int  `yaml:"threshold_pct" env:"THRESHOLD_PCT" range:"1,100" help:"5-hour window usage (%) that arms a swap"`
	Threshold7d  int  `yaml:"threshold_7d_pct" env:"THRESHOLD_7D_PCT" range:"1,100" help:"7-day window usage (%) that arms a swap"`
	GraceSec     int  `yaml:"grace_sec" env:"GRACE_SEC" range:"0,3600" help:"Seconds between the warning and the swap (you can cancel meanwhile)"`
}

type Notify struct {
	Enabled bool `yaml:"enabled" env:"ENABLED" help:"Show desktop notifications"`
	WarnPct int  `yaml:"warn_pct" env:"WARN_PCT" range:"1,100" help:"Usage (%) that triggers a warning"`
	CritPct int  `yaml:"crit_pct" env:"CRIT_PCT" range:"1,100" help:"Usage (%) that triggers a critical notification"`
}

type DailySummary struct {
	Enabled bool `yaml:"enabled" env:"ENABLED" help:"Send one summary notification a day"`
	Hour    int  `yaml:"hour" env:"HOUR" range:"0,23" help:"Local hour of the daily summary"`
}

type AutoUpdate struct {
	Enabled bool `yaml:"enabled" env:"ENABLED" help:"Check GitHub for a newer release once a day (never installs anything)"`
}

type Widget struct {
	AlwaysOnTop bool   `yaml:"always_on_top" env:"ALWAYS_ON_TOP" help:"Keep the mini widget above other windows"`
	Theme       string `yaml:"theme" env:"THEME" enum:"system,light,dark" help:"Colour theme"`
}

type Poll struct {
	IntervalSec int `yaml:"interval_sec" env:"INTERVAL_SEC" range:"180,3600" help:"Longest gap between usage checks of the active account; checks come sooner when a threshold is near (the endpoint rate-limits, so never below 180 s)"`
}

type Log struct {
	Level string `yaml:"level" env:"LEVEL" enum:"debug,info,warn,error" help:"Log detail (tokens are never logged at any level)"`
	File  bool   `yaml:"file" env:"FILE" help:"Also write logs to a 0600 file in the log directory"`
}

// Keyring backends.
const (
	KeyringAuto          = "auto"
	KeyringSecretService = "secret-service"
	KeyringKeychain      = "keychain"
	KeyringFile          = "file"
)

type Keyring struct {
	Backend          string `yaml:"backend" env:"BACKEND" enum:"auto,secret-service,keychain,file" help:"Where saved logins are kept: auto (the Secret Service on Linux, the Keychain on macOS), one of those by name, or file (encrypted with a passphrase, for machines without a keyring; never chosen by auto). Move existing logins with aimonitor keyring migrate"`
	UnlockTimeoutMin int    `yaml:"unlock_timeout_min" env:"UNLOCK_TIMEOUT_MIN" range:"1,43200" help:"How long aimonitor keyring unlock keeps the file keyring open for later commands and the daemon (minutes)"`
}

// StatusLine configures `aimonitor statusline`, the line Claude Code shows
// under its prompt.
type StatusLine struct {
	Format string `yaml:"format" env:"FORMAT" help:"What Claude Code's status line shows: text with {fields} (account, 5h, 7d, runout, swap, marks, tokens, cost, model, session_cost); the text before a field shows only when that field and an earlier one have something to say"`
	Color  bool   `yaml:"color" env:"COLOR" help:"Colour the status line by the warning and critical thresholds (NO_COLOR turns it off too)"`
	// Replaced is Claude Code's own statusLine setting that
	// `statusline --install --force` replaced, put back by --uninstall.
	Replaced string `yaml:"replaced" env:"REPLACED" help:"The statusLine setting (JSON) that --install --force replaced; --uninstall puts it back"`
}

// DefaultStatusLineFormat is the built-in statusline.format.
const DefaultStatusLineFormat = line.DefaultFormat

// Endpoints are the network overrides for tests and the demo.
type Endpoints struct {
	APIBase     string `env:"API_BASE"`
	TokenURL    string `env:"TOKEN_URL"`
	ReleasesURL string `env:"RELEASES_URL"`
}

// Default returns the built-in configuration.
func Default() Config {
	return Config{
		AutoSwap:     AutoSwap{Enabled: true, ThresholdPct: 80, Threshold7d: 80, GraceSec: 60},
		Notify:       Notify{Enabled: true, WarnPct: 80, CritPct: 95},
		DailySummary: DailySummary{Enabled: false, Hour: 9},
		AutoUpdate:   AutoUpdate{Enabled: true},
		AutostartRun: "widget",
		Widget:       Widget{AlwaysOnTop: true, Theme: "system"},
		Poll:         Poll{IntervalSec: 600},
		Log:          Log{Level: "info"},
		Keyring:      Keyring{Backend: KeyringAuto, UnlockTimeoutMin: 480},
		StatusLine:   StatusLine{Format: DefaultStatusLineFormat, Color: true},
	}
}

// Source says where a value came from.
type Source string

const (
	FromDefault Source = "default"
	FromFile    Source = "file"
	FromEnv     Source = "env"
)

// Field describes one key for listings and the settings UI.
type Field struct {
	Key     string   `json:"key"`
	Type    string   `json:"type" tstype:"'bool' | 'int' | 'string'"`
	Value   any      `json:"value" tstype:"boolean | number | string"`
	Default any      `json:"default" tstype:"boolean | number | string"`
	Source  Source   `json:"source"`
	EnvVar  string   `json:"env"`
	Min     *int     `json:"min,omitempty"`
	Max     *int     `json:"max,omitempty"`
	Choices []string `json:"choices,omitempty"`
	Help    string   `json:"help"`
}

// KeyError is a validation failure tied to one key, so the UI can show it
// next to the field.
type KeyError struct {
	Key string
	Msg string
}

func (e *KeyError) Error() string { return fmt.Sprintf("%s: %s", e.Key, e.Msg) }

// ErrUnknownKey is wrapped by errors about keys that do not exist.
var ErrUnknownKey = errors.New("unknown key")

// Loaded is the effective configuration plus what is needed to explain it.
type Loaded struct {
	Config
	Path    string
	fileSet map[string]bool // keys present in the file
	envSet  map[string]bool // keys overridden by the environment
}

// Load reads the configuration: defaults, then the file at path (missing is
// fine), then AIMONITOR_* variables from environ (os.Environ() in production).
//
// When something does not load, the error is a *ProblemsError naming each
// bad key, where its value came from and the command that fixes it.
func Load(path string, environ []string) (*Loaded, error) {
	l, err := loadStrict(path, environ)
	if err == nil {
		return l, nil
	}
	if _, probs := LoadLenient(path, environ); len(probs) > 0 {
		return nil, &ProblemsError{Problems: probs}
	}
	return nil, err
}

func loadStrict(path string, environ []string) (*Loaded, error) {
	cfg := Default()
	fileKeys, err := decodeFile(path, &cfg)
	if err != nil {
		return nil, err
	}
	envMap := env.ToMap(environ)
	// Check override values ourselves first: env's own errors name the Go
	// field, not the variable the user set.
	for _, f := range fields() {
		if v, ok := envMap[f.envVar]; ok {
			if _, err := f.parse(v); err != nil {
				return nil, fmt.Errorf("config: environment variable %s: %w", f.envVar, err)
			}
		}
	}
	if err := env.ParseWithOptions(&cfg, env.Options{Prefix: EnvPrefix, Environment: envMap}); err != nil {
		return nil, fmt.Errorf("config: environment override: %w", err)
	}
	l := &Loaded{Config: cfg, Path: path, fileSet: fileKeys, envSet: map[string]bool{}}
	for _, f := range fields() {
		if _, ok := envMap[f.envVar]; ok {
			l.envSet[f.key] = true
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config (%s and environment): %w", path, err)
	}
	return l, nil
}

// decodeFile strictly decodes path over cfg and reports which keys it set.
func decodeFile(path string, cfg *Config) (map[string]bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]bool{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("config: reading %s: %w", path, err)
	}
	return decodeBytes(path, data, cfg)
}

func decodeBytes(path string, data []byte, cfg *Config) (map[string]bool, error) {
	set := map[string]bool{}
	if len(bytes.TrimSpace(data)) == 0 {
		return set, nil
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("config: %s is not valid YAML: %w", path, err)
	}
	if err := checkKnownKeys(&root); err != nil {
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil {
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	for _, f := range fields() {
		if lookupNode(&root, f.key) != nil {
			set[f.key] = true
		}
	}
	return set, nil
}

// checkKnownKeys rejects unknown keys with the dotted name and the list of
// valid keys, which reads better than the YAML decoder's message.
func checkKnownKeys(root *yaml.Node) error {
	doc := root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return errors.New("the top level must be a mapping of keys to values")
	}
	known := map[string]bool{}
	sections := map[string]bool{}
	for _, f := range fields() {
		known[f.key] = true
		if i := strings.IndexByte(f.key, '.'); i > 0 {
			sections[f.key[:i]] = true
		}
	}
	var walk func(n *yaml.Node, prefix string) error
	walk = func(n *yaml.Node, prefix string) error {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := prefix + n.Content[i].Value
			v := n.Content[i+1]
			switch {
			case sections[k]:
				if v.Kind != yaml.MappingNode {
					return fmt.Errorf("%s must be a section of keys", k)
				}
				if err := walk(v, k+"."); err != nil {
					return err
				}
			case known[k]:
			default:
				return fmt.Errorf("%w %q (line %d); known keys: %s", ErrUnknownKey, k, n.Content[i].Line, strings.Join(Keys(), ", "))
			}
		}
		return nil
	}
	return walk(doc, "")
}

// Validate checks every value against its range or choices, and the rules
// that tie keys together.
func (c *Config) Validate() error {
	v := reflect.ValueOf(c).Elem()
	for _, f := range fields() {
		if err := f.check(v.FieldByIndex(f.index)); err != nil {
			return err
		}
	}
	if _, _, _, err := line.ParseFormat(c.StatusLine.Format); err != nil {
		return &KeyError{Key: "statusline.format", Msg: err.Error()}
	}
	if c.Notify.WarnPct >= c.Notify.CritPct {
		return &KeyError{Key: "notify.warn_pct", Msg: fmt.Sprintf("must be below notify.crit_pct (%d)", c.Notify.CritPct)}
	}
	return nil
}

// Keys lists every dotted key in declaration order.
func Keys() []string {
	fs := fields()
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.key
	}
	return out
}

// Get returns the effective value of key.
func (l *Loaded) Get(key string) (any, error) {
	f, ok := fieldByKey(key)
	if !ok {
		return nil, unknownKey(key)
	}
	return reflect.ValueOf(&l.Config).Elem().FieldByIndex(f.index).Interface(), nil
}

// Fields describes every key with its effective value and source.
func (l *Loaded) Fields() []Field {
	def := reflect.ValueOf(Default())
	cur := reflect.ValueOf(l.Config)
	var out []Field
	for _, f := range fields() {
		src := FromDefault
		if l.fileSet[f.key] {
			src = FromFile
		}
		if l.envSet[f.key] {
			src = FromEnv
		}
		out = append(out, Field{
			Key: f.key, Type: f.kind.String(), Value: cur.FieldByIndex(f.index).Interface(),
			Default: def.FieldByIndex(f.index).Interface(), Source: src, EnvVar: f.envVar,
			Min: f.min, Max: f.max, Choices: f.choices, Help: f.help,
		})
	}
	return out
}

// Set validates value for key and writes it to the config file at path. The
// file keeps its other keys and comments; on any error it is left untouched.
// Environment overrides are not written to the file.
func Set(path, key, value string) error {
	f, ok := fieldByKey(key)
	if !ok {
		return unknownKey(key)
	}
	parsed, err := f.parse(value)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("config: reading %s: %w", path, err)
	}
	var root yaml.Node
	if len(bytes.TrimSpace(data)) > 0 {
		if err := yaml.Unmarshal(data, &root); err != nil {
			return fmt.Errorf("config: %s is not valid YAML: %w; fix: correct it in an editor, or move it aside (mv %s %s.bad) to start from the defaults", path, err, path, path)
		}
	}
	if root.Kind == 0 {
		root = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode}}}
	}
	if err := setNode(&root, key, parsed); err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&root); err != nil {
		return fmt.Errorf("config: encoding: %w", err)
	}
	enc.Close()
	// Validate the whole result as it would load, so cross-key rules hold.
	// Problems the file already had on other keys do not block the change
	// (the user may be fixing them one at a time); new ones, and any on
	// this key, do.
	after, err := invalidKeys(path, buf.Bytes())
	if err != nil {
		if _, errBefore := invalidKeys(path, data); errBefore == nil {
			return err
		}
	}
	before, _ := invalidKeys(path, data)
	for k, e := range after {
		if _, had := before[k]; k == key || !had {
			return e
		}
	}
	return paths.WriteFileAtomic(path, buf.Bytes())
}

// invalidKeys decodes a config file's bytes and lists each key whose value
// does not validate (falling back to the default to find the next one).
// The error is a decoding failure of the file as a whole.
func invalidKeys(path string, data []byte) (map[string]error, error) {
	cfg := Default()
	if _, err := decodeBytes(path, data, &cfg); err != nil {
		return nil, err
	}
	bad := map[string]error{}
	resetInvalid(&cfg, func(f field, err error, _ *KeyError) bool {
		if bad[f.key] != nil {
			return false
		}
		bad[f.key] = err
		return true
	})
	return bad, nil
}

// resetInvalid validates cfg and, for each key found wrong, calls visit
// with the key's field and error, then puts the key's default back, until
// cfg validates, visit returns false, or the wrong key is not a setting.
// The bound keeps a default that fails a cross-key rule from looping.
func resetInvalid(cfg *Config, visit func(f field, err error, ke *KeyError) bool) {
	def := reflect.ValueOf(Default())
	for range len(fields()) + 2 {
		err := cfg.Validate()
		var ke *KeyError
		if err == nil || !errors.As(err, &ke) {
			return
		}
		f, ok := fieldByKey(ke.Key)
		if !ok || !visit(f, err, ke) {
			return
		}
		reflect.ValueOf(cfg).Elem().FieldByIndex(f.index).Set(def.FieldByIndex(f.index))
	}
}

func unknownKey(key string) error {
	return fmt.Errorf("config: %w %q; known keys: %s", ErrUnknownKey, key, strings.Join(Keys(), ", "))
}

func lookupNode(root *yaml.Node, key string) *yaml.Node {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, part := range strings.Split(key, ".") {
		if n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == part {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}

func setNode(root *yaml.Node, key string, value any) error {
	n := root.Content[0]
	if n.Kind != yaml.MappingNode {
		return errors.New("config: the top level of the file must be a mapping of keys to values")
	}
	parts := strings.Split(key, ".")
	for i, part := range parts {
		var next *yaml.Node
		for j := 0; j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value == part {
				next = n.Content[j+1]
			}
		}
		last := i == len(parts)-1
		if next == nil {
			next = &yaml.Node{Kind: yaml.MappingNode}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: part}, next)
		}
		if last {
			var enc yaml.Node
			if err := enc.Encode(value); err != nil {
				return fmt.Errorf("config: %s: %w", key, err)
			}
			enc.HeadComment, enc.LineComment = next.HeadComment, next.LineComment
			*next = enc
			return nil
		}
		if next.Kind != yaml.MappingNode {
			return fmt.Errorf("config: %s must be a section of keys", strings.Join(parts[:i+1], "."))
		}
		n = next
	}
	return nil
}

// field is the reflected description of one key.
type field struct {
	key     string
	envVar  string
	index   []int
	kind    reflect.Kind
	min     *int
	max     *int
	choices []string
	help    string
}

func fields() []field {
	var out []field
	var walk func(t reflect.Type, idx []int, keyPrefix, envPrefix string)
	walk = func(t reflect.Type, idx []int, keyPrefix, envPrefix string) {
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			name := strings.Split(sf.Tag.Get("yaml"), ",")[0]
			if name == "-" || name == "" {
				continue
			}
			index := append(append([]int{}, idx...), i)
			if sf.Type.Kind() == reflect.Struct {
				walk(sf.Type, index, keyPrefix+name+".", envPrefix+sf.Tag.Get("envPrefix"))
				continue
			}
			f := field{key: keyPrefix + name, envVar: EnvPrefix + envPrefix + sf.Tag.Get("env"),
				index: index, kind: sf.Type.Kind(), help: sf.Tag.Get("help")}
			if r := sf.Tag.Get("range"); r != "" {
				lo, hi, _ := strings.Cut(r, ",")
				a, _ := strconv.Atoi(lo)
				b, _ := strconv.Atoi(hi)
				f.min, f.max = &a, &b
			}
			if e := sf.Tag.Get("enum"); e != "" {
				f.choices = strings.Split(e, ",")
			}
			out = append(out, f)
		}
	}
	walk(reflect.TypeOf(Config{}), nil, "", "")
	return out
}

// EnvVars are the names of every environment variable Load reads: the
// overrides of the keys and the environment-only settings. (The status
// line's cache keys on their values.)
func EnvVars() []string {
	var out []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			if sf.Type.Kind() == reflect.Struct {
				walk(sf.Type, prefix+sf.Tag.Get("envPrefix"))
			} else if name := sf.Tag.Get("env"); name != "" {
				out = append(out, prefix+name)
			}
		}
	}
	walk(reflect.TypeOf(Config{}), EnvPrefix)
	return out
}

func fieldByKey(key string) (field, bool) {
	for _, f := range fields() {
		if f.key == key {
			return f, true
		}
	}
	return field{}, false
}

func (f field) allowed() string {
	switch {
	case f.kind == reflect.Bool:
		return "true or false"
	case f.min != nil:
		return fmt.Sprintf("a whole number from %d to %d", *f.min, *f.max)
	case f.choices != nil:
		return "one of " + strings.Join(f.choices, ", ")
	}
	return "text"
}

// parse turns user text into the field's type and validates it.
func (f field) parse(s string) (any, error) {
	s = strings.TrimSpace(s)
	var v any
	switch f.kind {
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, &KeyError{Key: f.key, Msg: fmt.Sprintf("%q is not allowed; use %s", s, f.allowed())}
		}
		v = b
	case reflect.Int:
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, &KeyError{Key: f.key, Msg: fmt.Sprintf("%q is not allowed; use %s", s, f.allowed())}
		}
		v = n
	default:
		v = s
	}
	if err := f.check(reflect.ValueOf(v)); err != nil {
		return nil, err
	}
	return v, nil
}

func (f field) check(v reflect.Value) error {
	switch f.kind {
	case reflect.Int:
		n := int(v.Int())
		if f.min != nil && (n < *f.min || n > *f.max) {
			return &KeyError{Key: f.key, Msg: fmt.Sprintf("%d is out of range; use %s", n, f.allowed())}
		}
	case reflect.String:
		if f.choices != nil {
			s := v.String()
			for _, c := range f.choices {
				if c == s {
					return nil
				}
			}
			return &KeyError{Key: f.key, Msg: fmt.Sprintf("%q is not allowed; use %s", s, f.allowed())}
		}
	}
	return nil
}
