package sim

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// FaultKind names a misbehaviour the simulator can be switched into.
type FaultKind string

const (
	// FaultServerError answers Status (default 500) with an api_error body.
	FaultServerError FaultKind = "server_error"
	// FaultHang sends nothing until the client gives up, the simulator is
	// closed, or Delay (real time, default 30 s) passes, then 504.
	FaultHang FaultKind = "hang"
	// FaultSlowBody sends the normal answer a few bytes at a time, pausing
	// Delay (real time, default 200 ms) between chunks.
	FaultSlowBody FaultKind = "slow_body"
	// FaultMalformedJSON answers 200 with the normal answer cut in half.
	FaultMalformedJSON FaultKind = "malformed_json"
	// FaultWrongShape answers 200 with valid JSON of the wrong shape.
	FaultWrongShape FaultKind = "wrong_shape"
	// FaultHugeBody answers 200 with a JSON body of Size bytes (default
	// 2 MiB), valid but far larger than any real answer.
	FaultHugeBody FaultKind = "huge_body"
	// FaultThrottle answers 429 with a rate_limit_error and RetryAfter as
	// the Retry-After header ("" leaves the header out; "0" is allowed).
	FaultThrottle FaultKind = "throttle"
)

// Endpoint names a simulated endpoint, for faults and the request log.
type Endpoint string

const (
	EndpointUsage    Endpoint = "usage"
	EndpointProfile  Endpoint = "profile"
	EndpointToken    Endpoint = "token"
	EndpointReleases Endpoint = "releases"
	EndpointOther    Endpoint = "other"
)

// Fault is a switchable misbehaviour. Zero-valued filters match everything.
//
// Faults that distort the normal answer (slow_body, malformed_json) run the
// real handler first, so on the token endpoint the refresh token has been
// rotated even though the client cannot read the new one: the same loss a
// dropped connection causes in real life, and worth testing.
type Fault struct {
	Kind FaultKind `json:"kind"`
	// Endpoint limits the fault to one endpoint; "" means all of them.
	Endpoint Endpoint `json:"endpoint,omitempty"`
	// Account limits the fault to requests of one account uuid.
	Account string `json:"account,omitempty"`
	// Times is how many requests the fault hits before it clears itself;
	// 0 means until ClearFaults.
	Times      int           `json:"times,omitempty"`
	Status     int           `json:"status,omitempty"`
	RetryAfter string        `json:"retry_after,omitempty"`
	Delay      time.Duration `json:"delay,omitempty"`
	Size       int           `json:"size,omitempty"`
}

func (f Fault) validate() error {
	switch f.Kind {
	case FaultServerError, FaultHang, FaultSlowBody, FaultMalformedJSON, FaultWrongShape, FaultHugeBody, FaultThrottle:
	default:
		return fmt.Errorf("sim: unknown fault kind %q", f.Kind)
	}
	switch f.Endpoint {
	case "", EndpointUsage, EndpointProfile, EndpointToken, EndpointReleases:
	default:
		return fmt.Errorf("sim: unknown endpoint %q", f.Endpoint)
	}
	if f.Status != 0 && (f.Status < 400 || f.Status > 599) {
		return fmt.Errorf("sim: fault status %d is not an error status", f.Status)
	}
	return nil
}

// SetFault adds a fault. Faults are checked in the order they were added;
// the first that matches a request applies.
func (s *Server) SetFault(f Fault) error {
	if err := f.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fc := f
	s.faults = append(s.faults, &fc)
	return nil
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFaultLocked returns the fault for this request, if any, counting it.
func (s *Server) takeFaultLocked(ep Endpoint, acct string) *Fault {
	for i, f := range s.faults {
		if f.Endpoint != "" && f.Endpoint != ep {
			continue
		}
		if f.Account != "" && f.Account != acct {
			continue
		}
		applied := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
		}
		return &applied
	}
	return nil
}

// serveFault answers in place of the real handler. next renders the normal
// answer, for faults that distort it.
func (s *Server) serveFault(w http.ResponseWriter, r *http.Request, ep Endpoint, f *Fault, next http.Handler) {
	switch f.Kind {
	case FaultServerError:
		status := f.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		errType := "api_error"
		if status == 529 {
			errType = "overloaded_error"
		}
		writeAPIError(w, status, errType, "Internal server error")
	case FaultThrottle:
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		writeAPIError(w, http.StatusTooManyRequests, "rate_limit_error", "Rate limited. Please try again later.")
	case FaultHang:
		delay := f.Delay
		if delay <= 0 {
			delay = 30 * time.Second
		}
		// Real time on purpose: hangs exercise the client's network
		// timeouts, which run on the wall clock.
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		case <-t.C:
		}
		writeAPIError(w, http.StatusGatewayTimeout, "timeout_error", "Gateway timeout")
	case FaultSlowBody:
		rec := newRecorder()
		next.ServeHTTP(rec, r)
		delay := f.Delay
		if delay <= 0 {
			delay = 200 * time.Millisecond
		}
		copyHeader(w.Header(), rec.header)
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.status)
		flusher, _ := w.(http.Flusher)
		body := rec.body.Bytes()
		for len(body) > 0 {
			n := min(16, len(body))
			if _, err := w.Write(body[:n]); err != nil {
				return
			}
			body = body[n:]
			if flusher != nil {
				flusher.Flush()
			}
			t := time.NewTimer(delay)
			select {
			case <-r.Context().Done():
				t.Stop()
				return
			case <-s.done:
				t.Stop()
				return
			case <-t.C:
			}
		}
	case FaultMalformedJSON:
		rec := newRecorder()
		next.ServeHTTP(rec, r)
		body := rec.body.Bytes()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(body[:len(body)/2])
	case FaultWrongShape:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		switch ep {
		case EndpointUsage:
			w.Write([]byte(`{"five_hour":"nearly full","seven_day":[42]}`))
		case EndpointProfile:
			w.Write([]byte(`{"account":"nobody","organization":17}`))
		case EndpointToken:
			w.Write([]byte(`{"access_token":42,"expires_in":"soon"}`))
		default:
			w.Write([]byte(`{"message":"this should have been a list"}`))
		}
	case FaultHugeBody:
		size := f.Size
		if size <= 0 {
			size = 2 << 20
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(size))
		w.WriteHeader(http.StatusOK)
		// {"padding":"xxxx...."} of exactly size bytes (minimum 14).
		const head, tail = `{"padding":"`, `"}`
		pad := max(0, size-len(head)-len(tail))
		w.Write([]byte(head))
		chunk := bytes.Repeat([]byte("x"), 32<<10)
		for pad > 0 {
			n := min(pad, len(chunk))
			if _, err := w.Write(chunk[:n]); err != nil {
				return
			}
			pad -= n
		}
		w.Write([]byte(tail))
	}
}

// recorder captures a handler's answer so a fault can distort it. The
// simulator is embedded in the app, so it avoids net/http/httptest.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}, status: http.StatusOK} }

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(status int)      { r.status = status }
func (r *recorder) Write(p []byte) (int, error) { return r.body.Write(p) }

func copyHeader(dst, src http.Header) {
	for k, v := range src {
		dst[k] = append([]string(nil), v...)
	}
}

// writeAPIError writes Anthropic's API error shape.
func writeAPIError(w http.ResponseWriter, status int, errType, message string) {
	writeJSON(w, status, map[string]any{
		"type":       "error",
		"error":      map[string]any{"type": errType, "message": message},
		"request_id": "req_sim" + strings.ReplaceAll(newUUID(), "-", "")[:20],
	})
}
