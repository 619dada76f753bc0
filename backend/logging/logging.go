// Package logging builds aimonitor's slog loggers. Every record passes a
// redacting handler that strips anything token-shaped from the message and
// from every attribute (nested groups, errors, byte slices, Stringers), so
// no log line at any level, --debug included, can carry a credential.
package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"

	"github.com/aimonitor/aimonitor/backend/paths"
)

// Mask replaces every secret.
const Mask = "[REDACTED]"

// The patterns are compiled on the first line that may hold a secret
// (mayHoldSecret), not at start-up: most commands never log one, and six
// compilations would be a tenth of a short command's start.
var patterns = sync.OnceValue(func() *redactPatterns {
	return &redactPatterns{
		// Anthropic OAuth and API keys: sk-ant-oat01-…, sk-ant-ort01-…, sk-ant-api03-…
		anthropicToken: regexp.MustCompile(`sk-ant-[A-Za-z]{2,8}\d{0,3}-[A-Za-z0-9_\-]{8,}`),
		// Authorization header values in any casing.
		bearer: regexp.MustCompile(`(?i)\b(bearer)\s+[A-Za-z0-9._~+/\-]+=*`),
		// Token-bearing JSON members, camelCase or snake_case, with or without escaping.
		jsonToken: regexp.MustCompile(`(?i)(\\?"(?:access_?token|refresh_?token|id_?token|client_?secret|passphrase)\\?"\s*:\s*)\\?"(?:[^"\\]|\\.)*\\?"`),
		// key=value and key:value forms (URLs, form bodies, env dumps, %+v of structs).
		kvToken: regexp.MustCompile(`(?i)\b((?:access_?token|refresh_?token|id_?token|client_?secret|passphrase)\s*[:=]\s*)[^&\s,;}\]"']+`),
		// A token printed as a byte slice (%v of []byte) or hex: "sk-ant-" is
		// "115 107 45 97 110 116 45" in decimal and 736b2d616e742d in hex.
		byteDump: regexp.MustCompile(`115 107 45 97 110 116 45[0-9 ]*`),
		hexDump:  regexp.MustCompile(`(?i)736b2d616e742d[0-9a-f]*`),
	}
})

type redactPatterns struct {
	anthropicToken, bearer, jsonToken, kvToken, byteDump, hexDump *regexp.Regexp
}

// Redact removes token-shaped substrings from s.
func Redact(s string) string {
	if !mayHoldSecret(s) {
		return s
	}
	p := patterns()
	s = p.anthropicToken.ReplaceAllString(s, Mask)
	s = p.bearer.ReplaceAllString(s, "$1 "+Mask)
	s = p.jsonToken.ReplaceAllString(s, `$1"`+Mask+`"`)
	s = p.kvToken.ReplaceAllString(s, "${1}"+Mask)
	s = p.byteDump.ReplaceAllString(s, Mask)
	s = p.hexDump.ReplaceAllString(s, Mask)
	return s
}

// mayHoldSecret is a cheap pre-check so ordinary lines skip the regexps.
func mayHoldSecret(s string) bool {
	l := strings.ToLower(s)
	return strings.Contains(l, "sk-ant-") || strings.Contains(l, "bearer") ||
		strings.Contains(l, "token") || strings.Contains(l, "passphrase") || strings.Contains(l, "secret") ||
		strings.Contains(l, "115 107 45 97 110 116 45") || strings.Contains(l, "736b2d616e742d")
}

// sensitiveKey reports attribute names whose values are secret whatever they look like.
func sensitiveKey(k string) bool {
	l := strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(k))
	for _, s := range []string{"token", "secret", "password", "passphrase", "authorization", "credential", "cookie"} {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// Handler redacts records before passing them to the wrapped handler.
type Handler struct{ next slog.Handler }

// NewHandler wraps next with redaction.
func NewHandler(next slog.Handler) *Handler { return &Handler{next: next} }

func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, Redact(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = redactAttr(a)
	}
	return &Handler{next: h.next.WithAttrs(red)}
}

func (h *Handler) WithGroup(name string) slog.Handler { return &Handler{next: h.next.WithGroup(name)} }

func redactAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	if sensitiveKey(a.Key) && v.Kind() != slog.KindGroup {
		return slog.String(Redact(a.Key), Mask)
	}
	a.Key = Redact(a.Key)
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, Redact(v.String()))
	case slog.KindGroup:
		g := v.Group()
		red := make([]any, len(g))
		for i, ga := range g {
			red[i] = redactAttr(ga)
		}
		return slog.Group(a.Key, red...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case nil:
			return a
		case error:
			return slog.String(a.Key, Redact(x.Error()))
		case []byte:
			return slog.String(a.Key, Redact(string(x)))
		default:
			// Structs, maps, Stringers: format, then redact the text. The type
			// is lost, which is the price of never printing a field we did not inspect.
			return slog.String(a.Key, Redact(fmt.Sprintf("%+v", x)))
		}
	default:
		a.Value = v
		return a
	}
}

// Options configure New.
type Options struct {
	Level  slog.Level
	Stderr io.Writer // defaults to os.Stderr; nil-safe
	File   string    // optional log file, created 0600
	JSON   bool
	// Quiet keeps Stderr to warnings and errors; File still gets Level.
	// One-shot commands set it: what they print is their result, and INFO
	// records would bury it (or, for a failing command, repeat its error).
	// Those warnings are worded like the CLI's own lines
	// ("aimonitor: warning: …"), not as log records.
	Quiet bool
}

// New returns a redacting logger writing to Stderr and, if set, File. The
// returned close function closes the file.
func New(o Options) (*slog.Logger, func() error, error) {
	w := o.Stderr
	if w == nil {
		w = os.Stderr
	}
	handler := func(w io.Writer, level slog.Level) slog.Handler {
		ho := &slog.HandlerOptions{Level: level}
		if o.JSON {
			return slog.NewJSONHandler(w, ho)
		}
		return slog.NewTextHandler(w, ho)
	}
	stderrLevel := o.Level
	if o.Quiet {
		stderrLevel = max(o.Level, slog.LevelWarn)
	}
	base := handler(w, stderrLevel)
	if o.Quiet {
		base = &plainHandler{w: w, level: stderrLevel}
	}
	closeFn := func() error { return nil }
	if o.File != "" {
		if err := paths.CreatePrivate(o.File); err != nil {
			return nil, nil, fmt.Errorf("logging: %w", err)
		}
		f, err := os.OpenFile(o.File, os.O_WRONLY|os.O_APPEND, paths.FileMode)
		if err != nil {
			return nil, nil, fmt.Errorf("logging: %w", err)
		}
		base = slog.NewMultiHandler(base, handler(f, o.Level))
		closeFn = f.Close
	}
	return slog.New(NewHandler(base)), closeFn, nil
}

// ParseLevel maps the config's level names to slog levels.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo, fmt.Errorf("logging: unknown level %q (use debug, info, warn or error)", s)
	}
	return l, nil
}

// Discard is a logger that drops everything, for tests and quiet commands.
func Discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// plainHandler writes a record as one CLI line: "aimonitor: warning: msg
// (key=value, …)", no time and no level column.
type plainHandler struct {
	w     io.Writer
	level slog.Level
	attrs []slog.Attr
	group string
}

func (h *plainHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *plainHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString("aimonitor: ")
	if r.Level >= slog.LevelError {
		b.WriteString("error")
	} else if r.Level >= slog.LevelWarn {
		b.WriteString("warning")
	} else {
		b.WriteString(strings.ToLower(r.Level.String()))
	}
	b.WriteString(": ")
	b.WriteString(r.Message)
	var kv []string
	add := func(a slog.Attr) {
		if a.Equal(slog.Attr{}) {
			return
		}
		key := a.Key
		if h.group != "" {
			key = h.group + "." + key
		}
		kv = append(kv, key+"="+a.Value.Resolve().String())
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(func(a slog.Attr) bool { add(a); return true })
	if len(kv) > 0 {
		b.WriteString(" (" + strings.Join(kv, ", ") + ")")
	}
	b.WriteByte('\n')
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *plainHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr{}, h.attrs...), as...)
	return &c
}

func (h *plainHandler) WithGroup(name string) slog.Handler {
	c := *h
	if c.group != "" {
		name = c.group + "." + name
	}
	c.group = name
	return &c
}
