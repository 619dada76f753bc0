//go:build unix

package crash

import (
	"os"
	"testing"

	"github.com/aimonitor/aimonitor/hardening/internal/world"
)

func TestMain(m *testing.M) {
	world.Main()
	os.Exit(m.Run())
}
