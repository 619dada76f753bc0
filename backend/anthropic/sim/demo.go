package sim

import (
	"time"

	"github.com/aimonitor/aimonitor/backend/clock"
)

// DemoSpecs returns the accounts Demo creates, in order. Their usage is set
// so a viewer sees movement within minutes on the real clock:
//
//   - ada: busy Max 20x account, five-hour window climbing ~0.7 points a
//     minute, far from any limit.
//   - grace: Max 5x account at 86 % and climbing ~0.8 points a minute: it
//     crosses 95 % in about eleven minutes (auto-swap material), then its
//     window resets 25 minutes in and drops to 0.
//   - alan: idle Pro account, the natural swap target.
//   - katherine: Team account with extra usage (credits) switched on.
func DemoSpecs() []AccountSpec {
	return []AccountSpec{
		{
			Email: "ada@example.com", DisplayName: "Ada", OrganizationName: "Analytical Engines",
			SubscriptionType: "max", RateLimitTier: "default_claude_max_20x",
			Windows: map[string]WindowSpec{
				FiveHour:       {Utilization: 34, ResetsIn: 2*time.Hour + 10*time.Minute, RatePerHour: 40},
				SevenDay:       {Utilization: 22, ResetsIn: 4 * 24 * time.Hour, RatePerHour: 3},
				SevenDayOpus:   {Utilization: 15, ResetsIn: 4 * 24 * time.Hour, RatePerHour: 4},
				SevenDaySonnet: {Utilization: 9, ResetsIn: 4 * 24 * time.Hour, RatePerHour: 1},
			},
		},
		{
			Email: "grace@example.com", DisplayName: "Grace", OrganizationName: "Compilers Inc.",
			SubscriptionType: "max", RateLimitTier: "default_claude_max_5x",
			Windows: map[string]WindowSpec{
				FiveHour:     {Utilization: 86, ResetsIn: 25 * time.Minute, RatePerHour: 48},
				SevenDay:     {Utilization: 61, ResetsIn: 2*24*time.Hour + 5*time.Hour, RatePerHour: 5},
				SevenDayOpus: {Utilization: 40, ResetsIn: 2*24*time.Hour + 5*time.Hour, RatePerHour: 6},
			},
		},
		{
			Email: "alan@example.com", DisplayName: "Alan", OrganizationName: "Bletchley",
			SubscriptionType: "pro",
			Windows: map[string]WindowSpec{
				FiveHour: {Utilization: 4, ResetsIn: 3*time.Hour + 40*time.Minute},
				SevenDay: {Utilization: 12, ResetsIn: 6 * 24 * time.Hour},
			},
		},
		{
			Email: "katherine@example.com", DisplayName: "Katherine", OrganizationName: "Trajectories Team",
			SubscriptionType: "team",
			Windows: map[string]WindowSpec{
				FiveHour:       {Utilization: 57, ResetsIn: time.Hour + 30*time.Minute, RatePerHour: 24},
				SevenDay:       {Utilization: 73, ResetsIn: 24 * time.Hour, RatePerHour: 2},
				SevenDaySonnet: {Utilization: 66, ResetsIn: 24 * time.Hour, RatePerHour: 3},
			},
			ExtraUsage: ExtraUsage{Enabled: true, MonthlyLimitCents: 5000, UsedCents: 1234, Currency: "EUR"},
		},
	}
}

// Demo returns a simulator with the DemoSpecs accounts and their first logins,
// in the same order. Access tokens live 20 minutes so a demo also shows
// refreshes; pass more options to change that or anything else.
func Demo(clk clock.Clock, opts ...Option) (*Server, []Credentials) {
	opts = append([]Option{WithAccessTokenTTL(20 * time.Minute)}, opts...)
	s := New(clk, opts...)
	specs := DemoSpecs()
	creds := make([]Credentials, 0, len(specs))
	for _, spec := range specs {
		c, err := s.AddAccount(spec)
		if err != nil {
			panic("sim: demo account is invalid: " + err.Error()) // fixed data above
		}
		creds = append(creds, c)
	}
	return s, creds
}
