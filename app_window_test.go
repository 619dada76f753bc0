package main

import "testing"

func TestPlaceWidget(t *testing.T) {
	left := rect{0, 0, 1920, 1080}
	right := rect{1920, 0, 1280, 1024}
	cases := []struct {
		name     string
		p        windowPos
		monitors []rect
		primary  int
		want     windowPos
	}{
		{"where it was", windowPos{100, 200}, []rect{left, right}, 0, windowPos{100, 200}},
		{"on the second monitor", windowPos{2500, 300}, []rect{left, right}, 0, windowPos{2500, 300}},
		{"hanging off the right edge", windowPos{3100, 300}, []rect{left, right}, 0, windowPos{1920 + 1280 - 340, 300}},
		{"below the bottom", windowPos{100, 1000}, []rect{left, right}, 0, windowPos{100, 1080 - 420}},
		{"across two monitors goes to the one showing more", windowPos{1800, 10}, []rect{left, right}, 0, windowPos{1920, 10}},
		{"its monitor is gone: onto the primary", windowPos{2500, 300}, []rect{left}, 0, windowPos{1920 - 340, 300}},
		{"gone, primary second", windowPos{-900, 50}, []rect{left, right}, 1, windowPos{1920, 50}},
		{"above and left of everything", windowPos{-50, -30}, []rect{left}, 0, windowPos{0, 0}},
		{"a monitor smaller than the widget", windowPos{10, 10}, []rect{{0, 0, 300, 200}}, 0, windowPos{0, 0}},
		{"no monitors known", windowPos{5, 6}, nil, 0, windowPos{5, 6}},
	}
	for _, c := range cases {
		if got := placeWidget(c.p, 340, 420, c.monitors, c.primary); got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}
