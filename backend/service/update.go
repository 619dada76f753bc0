package service

import "github.com/aimonitor/aimonitor/backend/update"

// UpdateChecker is the release checker for the configured releases URL,
// through the egress-checked client.
func (s *Service) UpdateChecker() (*update.Checker, error) {
	hc, err := s.HTTPClient()
	if err != nil {
		return nil, err
	}
	var opts []update.Option
	if u := s.Config().Endpoints.ReleasesURL; u != "" {
		opts = append(opts, update.WithReleasesURL(u))
	}
	return update.New(hc, opts...)
}
