package main

// The widget is open all day, so its resting memory is what users feel.
// bench/widget/run.sh measures these two settings against a bare Wails app;
// docs/performance.md has the figures.

// jitEnv is read by JavaScriptCore in every WebKit process we start.
const jitEnv = "JSC_useJIT"

// widgetGCPercent keeps the Go heap near its live size (well under a
// megabyte when idle) instead of Go's default 4 MB floor; at that size a
// collection costs microseconds.
const widgetGCPercent = 25

// applyWidgetMemoryDefaults tunes the GUI process before the window exists:
//   - JavaScriptCore's JIT tiers are turned off. The widget runs little
//     script, and the interpreter handles it with no visible difference,
//     while the JIT kept ~10 MB of compiler and generated code resident and
//     grew with every status event. JSC_useJIT=true turns it back on.
//   - the Go GC target drops to 25 %, unless GOGC says otherwise.
//
// getenv/setenv are os.Getenv/os.Setenv outside tests; setGC is
// debug.SetGCPercent.
func applyWidgetMemoryDefaults(getenv func(string) string, setenv func(string, string) error, setGC func(int) int) error {
	if getenv(jitEnv) == "" {
		if err := setenv(jitEnv, "false"); err != nil {
			return err
		}
	}
	if getenv("GOGC") == "" {
		setGC(widgetGCPercent)
	}
	return nil
}
