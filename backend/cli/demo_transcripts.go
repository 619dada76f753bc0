package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/aimonitor/aimonitor/backend/paths"
)

// seedDemoTranscripts writes a week of made-up Claude Code transcripts into
// the sandbox HOME, so the demo's Tokens view has something to show. The
// lines have the shape Claude Code writes (assistant messages with usage).
func seedDemoTranscripts(home string, now time.Time) error {
	projects := []string{"-home-demo-src-webapp", "-home-demo-src-cli-tool", "-home-demo-notes"}
	models := []string{"claude-opus-4-7", "claude-sonnet-4-5", "claude-haiku-4-5"}
	rng := rand.New(rand.NewPCG(42, uint64(now.Unix()/86400)))
	for pi, project := range projects {
		dir := filepath.Join(home, ".claude", "projects", project)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		var buf bytes.Buffer
		session := fmt.Sprintf("00000000-0000-4000-8000-%012d", pi)
		for day := 6; day >= 0; day-- {
			for i := 0; i < 4+rng.IntN(12); i++ {
				ts := now.Add(-time.Duration(day)*24*time.Hour - time.Duration(rng.IntN(10*3600))*time.Second)
				if ts.After(now) {
					continue
				}
				line := map[string]any{
					"type": "assistant", "sessionId": session, "cwd": "/home/demo/" + project, "isSidechain": false,
					"requestId": fmt.Sprintf("req_demo_%d_%d_%d", pi, day, i),
					"timestamp": ts.UTC().Format("2006-01-02T15:04:05.000Z"),
					"message": map[string]any{
						"id": fmt.Sprintf("msg_demo_%d_%d_%d", pi, day, i), "model": models[rng.IntN(len(models))],
						"usage": map[string]int{
							"input_tokens": 200 + rng.IntN(3000), "output_tokens": 300 + rng.IntN(4000),
							"cache_creation_input_tokens": rng.IntN(20000), "cache_read_input_tokens": rng.IntN(200000),
						},
					},
				}
				b, err := json.Marshal(line)
				if err != nil {
					return err
				}
				buf.Write(b)
				buf.WriteByte('\n')
			}
		}
		if err := paths.WriteFileAtomic(filepath.Join(dir, session+".jsonl"), buf.Bytes()); err != nil {
			return err
		}
	}
	return nil
}
