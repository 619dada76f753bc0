package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Release is one entry of the simulated GitHub releases list.
type Release struct {
	Tag         string    `json:"tag"`
	Name        string    `json:"name"`
	Draft       bool      `json:"draft"`
	Prerelease  bool      `json:"prerelease"`
	PublishedAt time.Time `json:"published_at"`
	Body        string    `json:"body"`
}

// defaultReleases has one stable line, a newer prerelease and a newer
// draft, so an update check that ignores neither would be caught.
func defaultReleases(now time.Time) []Release {
	day := 24 * time.Hour
	return []Release{
		{Tag: "v1.2.0", Name: "v1.2.0 (draft)", Draft: true, Body: "Not published yet."},
		{Tag: "v1.1.0-rc.1", Name: "v1.1.0-rc.1", Prerelease: true, PublishedAt: now.Add(-2 * day).Truncate(time.Second), Body: "Release candidate."},
		{Tag: "v1.0.0", Name: "v1.0.0", PublishedAt: now.Add(-10 * day).Truncate(time.Second), Body: "First stable release."},
		{Tag: "v0.9.0", Name: "v0.9.0", PublishedAt: now.Add(-30 * day).Truncate(time.Second), Body: "Preview."},
	}
}

// SetReleases replaces the releases list (newest first, as GitHub orders it).
func (s *Server) SetReleases(rs []Release) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.releases = slices.Clone(rs)
}

func (s *Server) handleReleases(w http.ResponseWriter, r *http.Request) {
	repo := r.PathValue("owner") + "/" + r.PathValue("repo")
	s.mu.Lock()
	wantRepo := s.cfg.releasesRepo
	list := slices.Clone(s.releases)
	s.mu.Unlock()
	if !strings.EqualFold(repo, wantRepo) {
		writeJSON(w, http.StatusNotFound, map[string]any{
			"message":           "Not Found",
			"documentation_url": "https://docs.github.com/rest/releases/releases#list-releases",
			"status":            "404",
		})
		return
	}
	items := make([]map[string]any, 0, len(list))
	for i, rel := range list {
		var published any
		if !rel.Draft && !rel.PublishedAt.IsZero() {
			published = rel.PublishedAt.UTC().Format(time.RFC3339)
		}
		id := 1000 + len(list) - i
		items = append(items, map[string]any{
			"url":              "https://api.github.com/repos/" + wantRepo + "/releases/" + itoa(id),
			"html_url":         "https://github.com/" + wantRepo + "/releases/tag/" + rel.Tag,
			"id":               id,
			"node_id":          "RE_sim" + itoa(id),
			"tag_name":         rel.Tag,
			"target_commitish": "main",
			"name":             rel.Name,
			"draft":            rel.Draft,
			"prerelease":       rel.Prerelease,
			"created_at":       rel.PublishedAt.UTC().Format(time.RFC3339),
			"published_at":     published,
			"author":           map[string]any{"login": "aimonitor-bot", "type": "Bot"},
			"assets":           []any{},
			"body":             rel.Body,
		})
	}
	body := mustJSON(items)
	sum := sha256.Sum256(body)
	etag := `W/"` + hex.EncodeToString(sum[:16]) + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "private, max-age=60, s-maxage=60")
	w.Header().Set("X-GitHub-Api-Version-Selected", "2022-11-28")
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// etagMatches is the weak comparison If-None-Match uses.
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	strip := func(s string) string { return strings.TrimPrefix(strings.TrimSpace(s), "W/") }
	for _, cand := range strings.Split(header, ",") {
		if strings.TrimSpace(cand) == "*" || strip(cand) == strip(etag) {
			return true
		}
	}
	return false
}
