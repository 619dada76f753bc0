package anthropic

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aimonitor/aimonitor/backend/egress"
)

// Kinds of failure the rest of the app acts on. Match them with errors.Is;
// use errors.As with *Error for the details (status, Retry-After).
var (
	// ErrUnauthorized: the access token was refused (401). Refresh it.
	ErrUnauthorized = errors.New("the access token was not accepted")
	// ErrMissingScope: the token lacks the user:profile scope (403). Only a
	// new login with Claude Code fixes it.
	ErrMissingScope = errors.New("the login lacks the user:profile permission")
	// ErrThrottled: rate limited (429). Wait Error.RetryAfter.
	ErrThrottled = errors.New("rate limited by Anthropic")
	// ErrRefreshDead: the refresh token is expired, revoked or already used
	// (400 invalid_grant or 401 on refresh). The user must log in again.
	ErrRefreshDead = errors.New("the login has expired or was revoked")
	// ErrServer: Anthropic answered 5xx. Retry later.
	ErrServer = errors.New("Anthropic had a server error")
	// ErrMalformed: the answer was not the JSON we expect, or too large.
	ErrMalformed = errors.New("Anthropic sent an answer aimonitor cannot read")
	// ErrUnexpectedStatus: any other HTTP status (e.g. 404, a 400 that is not
	// invalid_grant).
	ErrUnexpectedStatus = errors.New("Anthropic answered with an unexpected status")
	// ErrNetwork: no answer at all (DNS, connection, timeout, egress refusal),
	// or an answer that broke off. The cause is an *egress.NoAnswerError,
	// which says it in words and wraps the transport's error, so
	// errors.Is(err, egress.ErrNotAllowed) and
	// errors.Is(err, context.DeadlineExceeded) still work.
	ErrNetwork = errors.New("could not reach Anthropic")
)

// MinRetryAfter is the shortest wait a 429 ever yields. The usage endpoint is
// known to answer 429 with "retry-after: 0" or no header at all, and to keep
// answering 429 when polled quickly; treating that as "retry now" would only
// earn more 429s, so anything shorter than a minute becomes a minute.
const MinRetryAfter = 60 * time.Second

// MaxRetryAfter caps absurd Retry-After values (and keeps durations from
// overflowing); the scheduler re-checks after this at the latest.
const MaxRetryAfter = 24 * time.Hour

// Error is every failure returned by Client. It never holds a token or a
// response body: only the status and, when the server sent a short
// machine-readable error type (like "rate_limit_error"), that type.
type Error struct {
	Kind     error  // one of the Err* kinds above
	Endpoint string // "usage", "profile" or "token refresh"
	Status   int    // HTTP status, 0 when there was no answer
	// ErrorType is the server's error code ("invalid_grant",
	// "rate_limit_error"), when it sent one that looks like a code.
	ErrorType string
	// RetryAfter is how long to wait before asking again (throttled only):
	// the server's Retry-After, at least MinRetryAfter, at most MaxRetryAfter.
	RetryAfter time.Duration
	// ServerRetryAfter is what the server asked for, 0 when it sent no
	// usable Retry-After.
	ServerRetryAfter time.Duration
	Err              error // underlying cause, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("anthropic ")
	b.WriteString(e.Endpoint)
	b.WriteString(": ")
	var noAnswer *egress.NoAnswerError
	if e.Kind == ErrNetwork && errors.As(e.Err, &noAnswer) {
		// It names the host and what happened; the kind's words and a
		// status of an answer that broke off would only repeat it.
		b.WriteString(noAnswer.Error())
		return b.String()
	}
	b.WriteString(e.Kind.Error())
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d", e.Status)
		if e.ErrorType != "" {
			b.WriteString(" ")
			b.WriteString(e.ErrorType)
		}
		b.WriteString(")")
	}
	switch e.Kind {
	case ErrThrottled:
		fmt.Fprintf(&b, "; retry in %s", e.RetryAfter.Round(time.Second))
	case ErrMissingScope, ErrRefreshDead:
		b.WriteString("; log in again with Claude Code")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Is(target error) bool { return target == e.Kind }
func (e *Error) Unwrap() error        { return e.Err }

// statusKind maps an HTTP error status of the usage and profile endpoints
// to a kind. Refresh answers are classified separately (see refreshKind).
func statusKind(status int, _ string) error {
	switch {
	case status == http.StatusUnauthorized:
		return ErrUnauthorized
	case status == http.StatusForbidden:
		return ErrMissingScope
	case status == http.StatusTooManyRequests:
		return ErrThrottled
	case status >= 500:
		return ErrServer
	}
	return ErrUnexpectedStatus
}

func refreshKind(status int, errType string) error {
	switch {
	case status == http.StatusBadRequest && errType == "invalid_grant":
		return ErrRefreshDead
	case status == http.StatusUnauthorized:
		return ErrRefreshDead
	case status == http.StatusTooManyRequests:
		return ErrThrottled
	case status >= 500:
		return ErrServer
	}
	return ErrUnexpectedStatus
}

// safeErrorType keeps a server error code only if it looks like one
// (lower-case letters, digits, underscores, short), so free text from a body
// never lands in an error string.
func safeErrorType(s string) string {
	if s == "" || len(s) > 64 {
		return ""
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return ""
		}
	}
	return s
}
