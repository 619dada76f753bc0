//go:build unix

package world

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
)

// ClaudeCode stands in for a running Claude Code: it rewrites ~/.claude.json
// and refreshes its own login the way Claude Code does, under Claude Code's
// directory locks (mkdir-based, stale after 10 s), so the hardening tests can
// run it against aimonitor processes.
type ClaudeCode struct {
	w *World
	// LockWait is how long it waits for a lock before skipping a round.
	LockWait time.Duration
	// InPlace makes settings writes truncate-and-write (two writes with a
	// pause between), as a writer that is not atomic would, instead of
	// temp file + rename.
	InPlace bool
}

// NewClaudeCode returns a stand-in for Claude Code in w.
func (w *World) NewClaudeCode() *ClaudeCode {
	return &ClaudeCode{w: w, LockWait: 500 * time.Millisecond}
}

// ErrBusy: a lock stayed held for LockWait; nothing was written.
var ErrBusy = errors.New("claude code stand-in: lock busy")

const claudeLockStale = 10 * time.Second

// lock takes Claude Code's directory locks in order.
func (c *ClaudeCode) lock(ctx context.Context, paths ...string) (func(), error) {
	var held []string
	release := func() {
		for i := len(held) - 1; i >= 0; i-- {
			os.Remove(held[i])
		}
	}
	for _, p := range paths {
		deadline := time.Now().Add(c.LockWait)
		for {
			err := os.Mkdir(p, 0o755)
			if err == nil {
				held = append(held, p)
				break
			}
			if !errors.Is(err, fs.ErrExist) {
				release()
				return nil, err
			}
			if st, err := os.Stat(p); err == nil && time.Since(st.ModTime()) > claudeLockStale {
				os.Remove(p)
				continue
			}
			if time.Now().After(deadline) {
				release()
				return nil, ErrBusy
			}
			select {
			case <-ctx.Done():
				release()
				return nil, ctx.Err()
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	return release, nil
}

// EditSettings changes an unrelated setting of ~/.claude.json (numStartups
// + 1) under .claude.json.lock and keeps everything else, oauthAccount
// included, byte for byte.
func (c *ClaudeCode) EditSettings(ctx context.Context) error {
	path := c.w.ConfigPath()
	release, err := c.lock(ctx, path+".lock")
	if err != nil {
		return err
	}
	defer release()
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("claude code stand-in: ~/.claude.json does not parse: %w", err)
	}
	n, _ := strconv.Atoi(string(m["numStartups"]))
	m["numStartups"] = json.RawMessage(strconv.Itoa(n + 1))
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if c.InPlace {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		half := len(out) / 2
		_, err = f.Write(out[:half])
		time.Sleep(time.Millisecond)
		if err == nil {
			_, err = f.Write(out[half:])
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}
	return writeAtomic(path, out)
}

// RefreshLogin refreshes the live login the way Claude Code does: under
// .oauth_refresh.lock and ~/.claude.lock it spends the refresh token at the
// token endpoint and writes the rotated tokens back (re-serialising the
// file, as Claude Code does). It returns whose login it refreshed.
func (c *ClaudeCode) RefreshLogin(ctx context.Context) (string, error) {
	dir := filepath.Dir(c.w.CredsPath())
	release, err := c.lock(ctx, filepath.Join(dir, ".oauth_refresh.lock"), dir+".lock")
	if err != nil {
		return "", err
	}
	defer release()
	data, err := os.ReadFile(c.w.CredsPath())
	if err != nil {
		return "", err
	}
	var blob map[string]json.RawMessage
	if err := json.Unmarshal(data, &blob); err != nil {
		return "", fmt.Errorf("claude code stand-in: the credential file does not parse: %w", err)
	}
	var oauth map[string]json.RawMessage
	if err := json.Unmarshal(blob["claudeAiOauth"], &oauth); err != nil {
		return "", err
	}
	var rt string
	json.Unmarshal(oauth["refreshToken"], &rt)
	body, _ := json.Marshal(map[string]string{"grant_type": "refresh_token", "refresh_token": rt, "client_id": sim.ClientID})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.w.URL+sim.TokenPath, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("claude code stand-in: refresh answered %d", resp.StatusCode)
	}
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		ExpiresIn    int    `json:"expires_in"`
		Account      struct {
			Email string `json:"email_address"`
		} `json:"account"`
	}
	if err := json.Unmarshal(answer, &tok); err != nil {
		return "", err
	}
	oauth["accessToken"], _ = json.Marshal(tok.AccessToken)
	if tok.RefreshToken != "" {
		oauth["refreshToken"], _ = json.Marshal(tok.RefreshToken)
	}
	oauth["expiresAt"], _ = json.Marshal(time.Now().Add(time.Duration(tok.ExpiresIn) * time.Second).UnixMilli())
	blob["claudeAiOauth"], _ = json.Marshal(oauth)
	out, _ := json.Marshal(blob)
	unlock, err := c.lock(ctx, filepath.Join(dir, ".storage-write.lock"))
	if err != nil {
		// Claude Code would wait; the stand-in must not lose the rotated
		// token either, so it waits as long as it takes.
		c2 := *c
		c2.LockWait = time.Minute
		if unlock, err = c2.lock(ctx, filepath.Join(dir, ".storage-write.lock")); err != nil {
			return "", err
		}
	}
	defer unlock()
	return tok.Account.Email, writeAtomic(c.w.CredsPath(), out)
}

func writeAtomic(path string, data []byte) error {
	tmp := fmt.Sprintf("%s.cc-tmp-%d", path, time.Now().UnixNano())
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
