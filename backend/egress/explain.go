package egress

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// NoAnswerError is a request that got no answer (or only part of one), told
// in words a user can act on: which host, what happened, what to do. Go's
// own wording ("dial tcp …: connect: …", the request line with its URL) is
// kept out of the text; the transport's error stays wrapped, so errors.Is
// and errors.As (ErrNotAllowed, context.DeadlineExceeded, *net.DNSError …)
// still see it.
type NoAnswerError struct {
	// Host is the request's host[:port], never the URL: a path or query
	// could hold something private.
	Host string
	// Partial: the answer had begun (status and headers came) but broke off.
	Partial bool
	// Waited is how long the request had been going when it failed.
	Waited time.Duration
	Err    error
	reason string
}

// Unreachable explains the error of sending req (http.Client.Do). waited is
// how long the request had been going; it is what a timeout reports.
func Unreachable(req *http.Request, waited time.Duration, err error) *NoAnswerError {
	return explain(req, waited, err, false)
}

// Interrupted explains the error of reading the answer to req.
func Interrupted(req *http.Request, waited time.Duration, err error) *NoAnswerError {
	return explain(req, waited, err, true)
}

func explain(req *http.Request, waited time.Duration, err error, partial bool) *NoAnswerError {
	e := &NoAnswerError{Partial: partial, Waited: waited, Err: err}
	var ctxErr error
	if req != nil {
		if req.URL != nil {
			e.Host = req.URL.Host
		}
		ctxErr = req.Context().Err()
	}
	e.reason = reason(err, ctxErr, waited, partial)
	return e
}

func (e *NoAnswerError) Error() string {
	var na *NotAllowedError
	switch {
	case errors.As(e.Err, &na):
		// Already names the host and says what is allowed.
		return na.Error()
	case errors.Is(e.Err, ErrNotAllowed):
		return "egress: host " + strconv.Quote(e.Host) + " is not allowed"
	case e.Partial:
		return "the answer from " + e.Host + " broke off: " + e.reason
	}
	return "could not reach " + e.Host + ": " + e.reason
}

func (e *NoAnswerError) Unwrap() error { return e.Err }

// reason is the "what happened — what to do" half of the message. ctxErr is
// the request context's error, which catches a deadline the transport
// reported in other words.
func reason(err, ctxErr error, waited time.Duration, partial bool) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var badHost x509.HostnameError
	var badCert x509.CertificateInvalidError
	var netErr net.Error
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(ctxErr, context.Canceled):
		return "the request was cancelled"
	case errors.As(err, &dnsErr):
		return "the name could not be looked up — are you offline?"
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctxErr, context.DeadlineExceeded) ||
		errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
		if partial {
			return "it did not finish within " + seconds(waited) + " — check your network, or try again later"
		}
		return "no answer within " + seconds(waited) + " — check your network, or try again later"
	case errors.As(err, &certErr) || errors.As(err, &unknownCA) || errors.As(err, &badHost) || errors.As(err, &badCert):
		return "its certificate is not trusted — something on your network may be intercepting secure connections"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "the connection was refused — check your network or firewall"
	case errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETDOWN) || errors.Is(err, syscall.EHOSTDOWN):
		return "the network is unreachable — are you offline?"
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection was cut off — try again later"
	case isTLS(err):
		return "the secure connection could not be set up — check your network or firewall"
	}
	return "the connection failed (" + detail(err) + ") — check your network"
}

// isTLS reports a handshake failure other than an untrusted certificate.
func isTLS(err error) bool {
	var rec tls.RecordHeaderError
	var alert tls.AlertError
	var op *net.OpError
	return errors.As(err, &rec) || errors.As(err, &alert) || errors.As(err, &op) && op.Op == "remote error"
}

// detail is the innermost error's text for failures not named above, with
// the request line (*url.Error, which carries the URL) and the dialer's
// "dial tcp addr:" prefix (*net.OpError) peeled off, on one line.
func detail(err error) string {
	for {
		var next error
		switch e := err.(type) {
		case *url.Error:
			next = e.Err
		case *net.OpError:
			next = e.Err
		case interface{ Unwrap() []error }: // errors.Join of one failure per address
			if errs := e.Unwrap(); len(errs) > 0 {
				next = errs[0]
			}
		}
		if next == nil {
			break
		}
		err = next
	}
	if err == nil {
		return "no detail"
	}
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}

// seconds writes d the way people say it: "30 s", "2.5 s", "0.3 s".
func seconds(d time.Duration) string {
	if d >= 10*time.Second {
		return strconv.Itoa(int(d.Round(time.Second)/time.Second)) + " s"
	}
	d = max(d, 100*time.Millisecond)
	s := strconv.FormatFloat(d.Seconds(), 'f', 1, 64)
	return strings.TrimSuffix(s, ".0") + " s"
}
