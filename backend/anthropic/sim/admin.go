package sim

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"
)

// The /_sim/ control API lets a person (or a script) drive a running
// `aimonitor sim` the way tests drive a Server in-process:
//
//	GET    /_sim/accounts                  accounts and their windows (no tokens)
//	POST   /_sim/accounts                  add one (AccountSpec JSON) -> credentials
//	POST   /_sim/accounts/{uuid}/login     a fresh login -> credentials
//	POST   /_sim/accounts/{uuid}/revoke    revoke every token of the account
//	POST   /_sim/accounts/{uuid}/expire    expire its access tokens now
//	POST   /_sim/accounts/{uuid}/usage     {"window","utilization","resets_at","rate_per_hour"}
//	POST   /_sim/faults                    add a fault (delay as "2s")
//	DELETE /_sim/faults                    clear faults
//	GET    /_sim/log                       request log and counts
//	POST   /_sim/advance?by=1h             move a fake clock forward
//
// Credentials answers carry the (fake) tokens plus "claude_code_json", the
// blob Claude Code would store, ready to paste into a test config dir.

type credentialsAnswer struct {
	Credentials
	ClaudeCodeJSON   json.RawMessage `json:"claude_code_json"`
	OAuthAccountJSON json.RawMessage `json:"oauth_account_json"`
}

func (s *Server) registerAdmin(mux *http.ServeMux) {
	mux.HandleFunc("GET /_sim/accounts", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Accounts())
	})
	mux.HandleFunc("POST /_sim/accounts", func(w http.ResponseWriter, r *http.Request) {
		var spec AccountSpec
		if !readJSON(w, r, &spec) {
			return
		}
		creds, err := s.AddAccount(spec)
		answerCredentials(w, creds, err)
	})
	mux.HandleFunc("POST /_sim/accounts/{uuid}/login", func(w http.ResponseWriter, r *http.Request) {
		creds, err := s.Login(r.PathValue("uuid"))
		answerCredentials(w, creds, err)
	})
	mux.HandleFunc("POST /_sim/accounts/{uuid}/revoke", func(w http.ResponseWriter, r *http.Request) {
		answerDone(w, s.RevokeLogin(r.PathValue("uuid")))
	})
	mux.HandleFunc("POST /_sim/accounts/{uuid}/expire", func(w http.ResponseWriter, r *http.Request) {
		answerDone(w, s.ExpireAccessTokens(r.PathValue("uuid")))
	})
	mux.HandleFunc("POST /_sim/accounts/{uuid}/usage", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Window      string     `json:"window"`
			Utilization *float64   `json:"utilization"`
			ResetsAt    *time.Time `json:"resets_at"`
			RatePerHour *float64   `json:"rate_per_hour"`
		}
		if !readJSON(w, r, &req) {
			return
		}
		id := r.PathValue("uuid")
		if req.Utilization != nil {
			if err := s.SetUsage(id, req.Window, *req.Utilization, req.ResetsAt); err != nil {
				answerDone(w, err)
				return
			}
		}
		if req.RatePerHour != nil {
			if err := s.SetActivity(id, req.Window, *req.RatePerHour); err != nil {
				answerDone(w, err)
				return
			}
		}
		answerDone(w, nil)
	})
	mux.HandleFunc("POST /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Fault
			Delay string `json:"delay"`
		}
		if !readJSON(w, r, &req) {
			return
		}
		f := req.Fault
		if req.Delay != "" {
			d, err := time.ParseDuration(req.Delay)
			if err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "delay: " + err.Error()})
				return
			}
			f.Delay = d
		}
		answerDone(w, s.SetFault(f))
	})
	mux.HandleFunc("DELETE /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		s.ClearFaults()
		answerDone(w, nil)
	})
	mux.HandleFunc("GET /_sim/log", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Log())
	})
	mux.HandleFunc("POST /_sim/advance", func(w http.ResponseWriter, r *http.Request) {
		adv, ok := s.clock.(interface{ Advance(time.Duration) })
		if !ok {
			writeJSON(w, http.StatusConflict, map[string]string{"error": "the simulator runs on the real clock"})
			return
		}
		d, err := time.ParseDuration(r.URL.Query().Get("by"))
		if err != nil || d <= 0 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "by must be a positive duration like 1h"})
			return
		}
		adv.Advance(d)
		writeJSON(w, http.StatusOK, map[string]any{"now": s.clock.Now()})
	})
}

func readJSON(w http.ResponseWriter, r *http.Request, dst any) bool {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil {
		err = json.Unmarshal(body, dst)
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad JSON: " + err.Error()})
		return false
	}
	return true
}

func answerCredentials(w http.ResponseWriter, c Credentials, err error) {
	if err != nil {
		answerDone(w, err)
		return
	}
	writeJSON(w, http.StatusOK, credentialsAnswer{Credentials: c, ClaudeCodeJSON: c.ClaudeCodeJSON(), OAuthAccountJSON: c.OAuthAccountJSON()})
}

func answerDone(w http.ResponseWriter, err error) {
	switch {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, ErrUnknownAccount):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
	}
}
