package faults

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aimonitor/aimonitor/backend/anthropic"
	"github.com/aimonitor/aimonitor/backend/clock"
)

// answer is a transport that answers every request with one status and body.
type answer struct {
	status int
	header string // Retry-After
	body   []byte
}

func (a answer) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	h := http.Header{"Content-Type": {"application/json"}}
	if a.header != "" {
		h.Set("Retry-After", a.header)
	}
	return &http.Response{StatusCode: a.status, Header: h, Body: io.NopCloser(bytes.NewReader(a.body)), Request: r}, nil
}

func fuzzClient(t *testing.T, a answer) *anthropic.Client {
	c, err := anthropic.New(&http.Client{Transport: a}, clock.Real{}, anthropic.WithBaseURL("https://api.anthropic.com"), anthropic.WithTokenURL("https://platform.claude.com/v1/oauth/token"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const (
	sentRefresh = "sk-ant-ort01-SentRefreshTokenSentRefreshTokenSentRefreshTokenSentRefreshTokenSent00AA"
	sentAccess  = "sk-ant-oat01-SentAccessTokenSentAccessTokenSentAccessTokenSentAccessTokenSentAcc00AA"
)

// clean fails when an error could show a token: the one sent, or any
// token-shaped text the answer carried.
func clean(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	if strings.Contains(msg, "sk-ant-") || strings.Contains(msg, "SentRefreshToken") || strings.Contains(msg, "SentAccessToken") {
		t.Fatalf("an error shows a token: %s", msg)
	}
	var ae *anthropic.Error
	if !errors.As(err, &ae) {
		t.Fatalf("not an *anthropic.Error: %T %v", err, err)
	}
}

// FuzzRefreshAnswer: whatever the token endpoint answers, Refresh never
// panics, never puts a token (sent or received) in an error, and succeeds
// only with an access token in hand.
func FuzzRefreshAnswer(f *testing.F) {
	for _, s := range []struct {
		status int
		body   string
	}{
		{200, `{"token_type":"Bearer","access_token":"sk-ant-oat01-new","refresh_token":"sk-ant-ort01-new","expires_in":28800,"scope":"user:inference user:profile","account":{"uuid":"a","email_address":"a@b"},"organization":{"uuid":"o","name":"O"}}`},
		{200, `{"access_token":"sk-ant-oat01-new","expires_in":"soon"}`},
		{200, `{"access_token":42}`},
		{200, `{"access_token":"","refresh_token":"sk-ant-ort01-x"}`},
		{400, `{"error":"invalid_grant","error_description":"Refresh token sk-ant-ort01-abc has been revoked"}`},
		{400, `{"error":"sk-ant-ort01-looks-like-a-code"}`},
		{401, `{"error":{"type":"authentication_error","message":"sk-ant-oat01-echo"}}`},
		{429, `{"type":"error","error":{"type":"rate_limit_error"}}`},
		{500, `<html>oops sk-ant-api03-key</html>`},
		{200, `{"access_token":"a\u0000b","expires_in":1e400}`},
		{200, ``}, {302, `{}`}, {200, `[`},
	} {
		f.Add(s.status, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 599 {
			return
		}
		tok, err := fuzzClient(t, answer{status: status, body: body}).Refresh(context.Background(), []byte(sentRefresh))
		clean(t, err)
		if err == nil {
			if tok == nil || len(tok.AccessToken) == 0 || len(tok.RefreshToken) == 0 || tok.ExpiresAt.IsZero() {
				t.Fatalf("a refresh succeeded without tokens: %v", tok)
			}
			if s := tok.String(); strings.Contains(s, "sk-ant-") {
				t.Fatalf("Tokens prints a token: %s", s)
			}
		}
	})
}

// FuzzUsageAnswer: whatever the usage or profile endpoint answers (status,
// Retry-After, body), the client never panics, keeps tokens out of errors,
// and a 429's wait stays within its documented bounds.
func FuzzUsageAnswer(f *testing.F) {
	f.Add(200, "", []byte(`{"five_hour":{"utilization":24.0,"resets_at":"2026-01-02T19:59:59.600956+00:00"}}`), false)
	f.Add(429, "0", []byte(`{"type":"error","error":{"type":"rate_limit_error","message":"Rate limited"}}`), false)
	f.Add(429, "Wed, 21 Oct 2015 07:28:00 GMT", []byte(``), false)
	f.Add(429, "99999999999999999999", []byte(`{}`), true)
	f.Add(403, "", []byte(`{"error":{"type":"permission_error","message":"OAuth token sk-ant-oat01-x does not meet scope requirement user:profile"}}`), false)
	f.Add(200, "", []byte(`{"account":{"uuid":"a","email":"sk-ant-oat01-in-an-email"}}`), true)
	f.Add(529, "", []byte(`{"error":{"type":"overloaded_error"}}`), true)
	f.Fuzz(func(t *testing.T, status int, retryAfter string, body []byte, profile bool) {
		if status < 100 || status > 599 || strings.ContainsAny(retryAfter, "\r\n") {
			return
		}
		c := fuzzClient(t, answer{status: status, header: retryAfter, body: body})
		var err error
		if profile {
			_, err = c.Profile(context.Background(), []byte(sentAccess))
		} else {
			_, err = c.Usage(context.Background(), []byte(sentAccess))
		}
		clean(t, err)
		var ae *anthropic.Error
		if errors.As(err, &ae) && errors.Is(err, anthropic.ErrThrottled) {
			if ae.RetryAfter < anthropic.MinRetryAfter || ae.RetryAfter > anthropic.MaxRetryAfter {
				t.Fatalf("a 429 asks to wait %s", ae.RetryAfter)
			}
		}
	})
}
