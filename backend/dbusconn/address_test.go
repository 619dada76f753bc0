package dbusconn

import "testing"

// The bus address comes from the environment the way libdbus finds it,
// minus autolaunch.
func TestSessionAddress(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"explicit", map[string]string{"DBUS_SESSION_BUS_ADDRESS": "unix:path=/tmp/x"}, "unix:path=/tmp/x"},
		{"autolaunch dropped", map[string]string{"DBUS_SESSION_BUS_ADDRESS": "autolaunch:;unix:path=/tmp/x", "XDG_RUNTIME_DIR": "/r"}, "unix:path=/tmp/x"},
		{"only autolaunch", map[string]string{"DBUS_SESSION_BUS_ADDRESS": "autolaunch:", "XDG_RUNTIME_DIR": "/r"}, "unix:path=/r/bus"},
		{"runtime dir", map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"}, "unix:path=/run/user/1000/bus"},
		{"escaped", map[string]string{"XDG_RUNTIME_DIR": "/tmp/a b"}, "unix:path=/tmp/a%20b/bus"},
		{"nothing", nil, "unix:path=/run/user/1234/bus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SessionAddress(func(k string) string { return tt.env[k] }, 1234)
			if got != tt.want {
				t.Errorf("SessionAddress = %q, want %q", got, tt.want)
			}
		})
	}
}
