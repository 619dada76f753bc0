package main

// The widget is open all day, so its resting memory is what users feel.
// bench/widget/run.sh measures the result against a bare Wails app;
// docs/performance.md has the figures.

// jitEnv is read by JavaScriptCore in every WebKit process we start.
const jitEnv = "JSC_useJIT"

// dmabufEnv is read by WebKitGTK's UI side (our process).
const dmabufEnv = "WEBKIT_DISABLE_DMABUF_RENDERER"

// widgetGCPercent keeps the Go heap near its live size (well under a
// megabyte when idle) instead of Go's default 4 MB floor; at that size a
// collection costs microseconds.
const widgetGCPercent = 25

// applyWidgetMemoryDefaults tunes the GUI process before the window exists:
//   - JavaScriptCore's JIT tiers are turned off. The widget runs little
//     script, and the interpreter handles it with no visible difference,
//     while the JIT kept ~10 MB of compiler and generated code resident and
//     grew with every status event. JSC_useJIT=true turns it back on.
//   - WebKitGTK's DMA-BUF renderer is turned off. It exists to hand GPU
//     buffers to the window; the widget renders in software (GPU policy
//     "never" in app.go), yet that path still drew each frame through the
//     software GL driver in our process, keeping 3–4 MB of driver code and
//     buffers resident. WEBKIT_DISABLE_DMABUF_RENDERER=0 turns it back on.
//   - the Go GC target drops to 25 %, unless GOGC says otherwise.
//
// getenv/setenv are os.Getenv/os.Setenv outside tests; setGC is
// debug.SetGCPercent.
func applyWidgetMemoryDefaults(getenv func(string) string, setenv func(string, string) error, setGC func(int) int) error {
	for name, value := range map[string]string{jitEnv: "false", dmabufEnv: "1"} {
		if getenv(name) != "" {
			continue
		}
		if err := setenv(name, value); err != nil {
			return err
		}
	}
	if getenv("GOGC") == "" {
		setGC(widgetGCPercent)
	}
	return nil
}
