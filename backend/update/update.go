// Package update asks GitHub whether a newer stable aimonitor release exists.
// It only reads the releases list (with an ETag, so an unchanged list costs
// GitHub nothing and us one small 304); it never downloads or runs anything.
// Drafts, pre-releases and tags that are not semantic versions are ignored.
package update

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/mod/semver"

	"github.com/aimonitor/aimonitor/backend/buildinfo"
	"github.com/aimonitor/aimonitor/backend/egress"
)

// DefaultReleasesURL is the list for buildinfo.ReleasesRepo.
func DefaultReleasesURL() string {
	return "https://api.github.com/repos/" + buildinfo.ReleasesRepo + "/releases"
}

const (
	// maxBody caps the list read into memory (30 releases with long notes
	// stay far below it).
	maxBody = 4 << 20
	// DefaultTimeout bounds one check.
	DefaultTimeout = 30 * time.Second
)

// Release is the newest stable release found.
type Release struct {
	Version     string     `json:"version"` // the tag as published, e.g. "v1.2.0"
	URL         string     `json:"url"`     // the release page
	PublishedAt *time.Time `json:"published_at,omitempty"`
}

// Cache is what the caller persists between checks. The zero value means
// "nothing cached".
type Cache struct {
	ETag   string   `json:"etag"`
	Latest *Release `json:"latest"` // nil: the list had no stable release
}

// Result is the outcome of a check.
type Result struct {
	Current string `json:"current"`
	// Latest is the newest stable version, "" when there is none.
	Latest          string     `json:"latest"`
	UpdateAvailable bool       `json:"update_available"`
	URL             string     `json:"url,omitempty"`
	PublishedAt     *time.Time `json:"published_at,omitempty"`
	// NotModified is true when GitHub answered 304 and the cache was used.
	NotModified bool `json:"not_modified"`
	// CurrentUnversioned is true when Current is not a semantic version
	// (a "dev" build): then UpdateAvailable is always false.
	CurrentUnversioned bool `json:"current_unversioned,omitempty"`
}

// ErrRateLimited is matched when GitHub refuses with 403/429 rate limiting.
var ErrRateLimited = errors.New("GitHub rate limit reached")

// Checker performs update checks.
type Checker struct {
	http    *http.Client
	url     string
	timeout time.Duration
}

// Option configures New.
type Option func(*Checker)

// WithReleasesURL overrides DefaultReleasesURL (AIMONITOR_RELEASES_URL).
func WithReleasesURL(u string) Option { return func(c *Checker) { c.url = u } }

// WithTimeout overrides DefaultTimeout.
func WithTimeout(d time.Duration) Option { return func(c *Checker) { c.timeout = d } }

// New returns a Checker. httpClient must be the egress client.
func New(httpClient *http.Client, opts ...Option) (*Checker, error) {
	if httpClient == nil {
		return nil, errors.New("update: an HTTP client is required (use egress.NewClient)")
	}
	c := &Checker{http: httpClient, url: DefaultReleasesURL(), timeout: DefaultTimeout}
	for _, o := range opts {
		o(c)
	}
	u, err := url.Parse(c.url)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("update: the releases URL is not an http(s) URL")
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	return c, nil
}

type ghRelease struct {
	TagName     string     `json:"tag_name"`
	HTMLURL     string     `json:"html_url"`
	Draft       bool       `json:"draft"`
	Prerelease  bool       `json:"prerelease"`
	PublishedAt *time.Time `json:"published_at"`
}

// Check compares current (e.g. buildinfo.Version) with the newest stable
// release. Pass the Cache from the previous check; persist the returned one.
// On error the returned Cache is the one passed in.
func (c *Checker) Check(ctx context.Context, current string, cache Cache) (Result, Cache, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return Result{}, cache, errors.New("update: could not build the request")
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	req.Header.Set("User-Agent", buildinfo.UserAgent())
	if cache.ETag != "" {
		req.Header.Set("If-None-Match", cache.ETag)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return Result{}, cache, fmt.Errorf("update: %w", egress.Unreachable(req, time.Since(start), err))
	}
	defer resp.Body.Close()

	switch {
	case resp.StatusCode == http.StatusNotModified:
		if cache.ETag == "" {
			return Result{}, cache, errors.New("update: GitHub answered 304 to a request without an ETag")
		}
		res := compare(current, cache.Latest)
		res.NotModified = true
		return res, cache, nil
	case resp.StatusCode == http.StatusTooManyRequests ||
		(resp.StatusCode == http.StatusForbidden && resp.Header.Get("X-RateLimit-Remaining") == "0"):
		return Result{}, cache, fmt.Errorf("update: %w (HTTP %d)", ErrRateLimited, resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return Result{}, cache, fmt.Errorf("update: GitHub answered HTTP %d", resp.StatusCode)
	}

	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return Result{}, cache, fmt.Errorf("update: %w", egress.Interrupted(req, time.Since(start), err))
	}
	if len(body) > maxBody {
		return Result{}, cache, fmt.Errorf("update: the releases list is larger than %d MiB", maxBody>>20)
	}
	var list []ghRelease
	if err := json.Unmarshal(body, &list); err != nil {
		return Result{}, cache, errors.New("update: GitHub sent a releases list aimonitor cannot read")
	}
	latest := newestStable(list)
	newCache := Cache{ETag: resp.Header.Get("ETag"), Latest: latest}
	return compare(current, latest), newCache, nil
}

// newestStable picks the highest semantic version among published,
// non-prerelease releases. A tag with a semver pre-release part ("-rc.1")
// counts as a pre-release even if GitHub's flag says otherwise.
func newestStable(list []ghRelease) *Release {
	best := ""
	var out *Release
	for _, r := range list {
		if r.Draft || r.Prerelease {
			continue
		}
		v, ok := canonical(r.TagName)
		if !ok || semver.Prerelease(v) != "" {
			continue
		}
		if best == "" || semver.Compare(v, best) > 0 {
			best = v
			out = &Release{Version: r.TagName, URL: safeReleaseURL(r.HTMLURL), PublishedAt: r.PublishedAt}
		}
	}
	return out
}

// safeReleaseURL keeps only https links, so a tampered answer cannot make
// the UI open something odd.
func safeReleaseURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return ""
	}
	return s
}

func compare(current string, latest *Release) Result {
	res := Result{Current: current}
	if latest == nil {
		return res
	}
	res.Latest, res.URL, res.PublishedAt = latest.Version, latest.URL, latest.PublishedAt
	cur, ok := canonical(strings.TrimSpace(current))
	if !ok {
		res.CurrentUnversioned = true
		return res
	}
	lv, ok := canonical(latest.Version)
	if !ok {
		return res
	}
	res.UpdateAvailable = semver.Compare(lv, cur) > 0
	return res
}

// canonical reads a release tag or a version as a semantic version, with
// or without the leading "v" and with the minor or patch number left out
// ("v2", "1.4"), as vMAJOR.MINOR.PATCH[-PRERELEASE] (build metadata dropped:
// it does not order versions).
func canonical(tag string) (string, bool) {
	if !strings.HasPrefix(tag, "v") {
		tag = "v" + tag
	}
	v := semver.Canonical(tag)
	return v, v != ""
}
