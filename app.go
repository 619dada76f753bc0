package main

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"sync"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/options/mac"
	"github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/aimonitor/aimonitor/backend/accounts"
	"github.com/aimonitor/aimonitor/backend/backup"
	"github.com/aimonitor/aimonitor/backend/buildinfo"
	"github.com/aimonitor/aimonitor/backend/cli"
	"github.com/aimonitor/aimonitor/backend/daemon"
	"github.com/aimonitor/aimonitor/backend/display"
	"github.com/aimonitor/aimonitor/backend/service"
	"github.com/aimonitor/aimonitor/backend/tokens"
	"github.com/aimonitor/aimonitor/backend/view"
)

// Window geometry of the two modes.
const (
	miniWidth   = 340
	miniHeight  = 420
	panelWidth  = 900
	panelHeight = 640
)

// App is the object bound to the frontend. Its methods are thin: they call
// into backend/, take every shape the frontend sees from backend/view, and
// emit events; no logic lives here.
type App struct {
	svc  *service.Service
	opts cli.GUIOptions

	winMu         sync.Mutex // orders window resizes (SetMode, FitHeight)
	mu            sync.Mutex
	ctx           context.Context // Wails' context, set at startup
	mode          view.WindowMode
	accounts      *accounts.Manager
	cancelCapture context.CancelFunc
	lastStatus    []byte // JSON of the status the last EventStatus announced
	daemon        *daemon.Daemon
	doc           *daemon.Document // the poller's latest status document
	pollerErr     string
	fitHeight     int // the mini widget's height as its content asked for it
	ledger        *tokens.Ledger
	translucent   bool              // the screen is composited: the widget may be see-through
	scanProgress  view.ScanProgress // of a large transcript scan, for the Tokens view
	// confirmImport asks whether to apply a backup's changes (askImport's
	// dialog when nil; tests answer it).
	confirmImport func(context.Context, *backup.Preview) bool
}

// Every bound method is declared in view.Bindings, from which the
// frontend's typed calls are generated.
var _ view.Bindings = (*App)(nil)

func newApp(svc *service.Service, opts cli.GUIOptions) *App {
	mode := view.ModeMini
	if opts.Expanded {
		mode = view.ModePanel
	}
	return &App{svc: svc, opts: opts, mode: mode}
}

func runGUI(ctx context.Context, svc *service.Service, opts cli.GUIOptions) (err error) {
	// GTK cannot work without a display and Wails panics then: say so in
	// one line instead, before anything starts (issue 21).
	if needDisplay {
		if err := (display.Checker{Getenv: os.Getenv}).Check(); err != nil {
			return fmt.Errorf("cannot open the widget: %w; %s", err, cli.WidgetAlternatives)
		}
	}
	defer func() {
		// A display that answers but that GTK still cannot open (refused
		// authorisation, say) ends in the same panic.
		if r := recover(); r != nil {
			if e, ok := r.(error); ok && e.Error() == "failed to init GTK" {
				err = fmt.Errorf("cannot open the widget: GTK could not open the display %q; %s", os.Getenv("DISPLAY"), cli.WidgetAlternatives)
				return
			}
			panic(r)
		}
	}()
	if err := applyWidgetMemoryDefaults(os.Getenv, os.Setenv, debug.SetGCPercent); err != nil {
		return fmt.Errorf("preparing the window: %w", err)
	}
	if err := dropPassphrases(os.Unsetenv); err != nil {
		return fmt.Errorf("preparing the window: %w", err)
	}
	app := newApp(svc, opts)
	app.translucent = screenComposited()
	if err := wails.Run(app.windowOptions()); err != nil {
		return fmt.Errorf("opening the window: %w", err)
	}
	return nil
}

// windowOptions are the Wails options of the window.
func (app *App) windowOptions() *options.App {
	cfg := app.svc.Config()
	w, h := miniWidth, miniHeight
	if app.mode == "panel" {
		w, h = panelWidth, panelHeight
	}
	return &options.App{
		Title:                    "aimonitor",
		Width:                    w,
		Height:                   h,
		MinWidth:                 300,
		MinHeight:                140,
		Frameless:                app.mode == "mini",
		AlwaysOnTop:              app.mode == "mini" && cfg.Widget.AlwaysOnTop,
		StartHidden:              false,
		BackgroundColour:         app.backgroundColour(cfg.Widget.Theme),
		AssetServer:              &assetserver.Options{Assets: assets, Middleware: statusFeed{app}.middleware},
		OnStartup:                app.startup,
		OnDomReady:               app.domReady,
		OnBeforeClose:            app.beforeClose,
		OnShutdown:               app.shutdown,
		Bind:                     []any{app},
		EnableDefaultContextMenu: false,
		Linux: &linux.Options{
			Icon:                appIcon,
			WindowIsTranslucent: app.translucent,
			WebviewGpuPolicy:    linux.WebviewGpuPolicyNever,
			ProgramName:         "aimonitor",
		},
		Mac: &mac.Options{
			TitleBar:             mac.TitleBarHiddenInset(),
			WebviewIsTransparent: true,
			WindowIsTranslucent:  true,
			About:                &mac.AboutInfo{Title: "aimonitor", Message: buildinfo.Version},
		},
		ErrorFormatter: boundError,
	}
}

// backgroundColour is what shows before the page paints: nothing where the
// widget may be translucent, otherwise the theme's opaque background.
func (a *App) backgroundColour(theme string) *options.RGBA {
	switch {
	case a.translucent:
		return &options.RGBA{}
	case theme == "light":
		return &options.RGBA{R: 0xf7, G: 0xf7, B: 0xf9, A: 255}
	default:
		return &options.RGBA{R: 0x18, G: 0x18, B: 0x1b, A: 255}
	}
}

func (a *App) startup(ctx context.Context) {
	a.mu.Lock()
	a.ctx = ctx
	a.mu.Unlock()
	a.svc.Log.Info("window started", "mode", a.mode, "demo", a.opts.Demo)
	go a.watchConfig(ctx)
	go a.runPoller(ctx)
	go a.runTokens(ctx)
	if a.opts.Demo && a.opts.BenchEvents > 0 {
		go a.runBenchEvents(ctx, a.opts.BenchEvents)
	}
}

func (a *App) domReady(ctx context.Context) {
	a.mu.Lock()
	mini := a.mode == "mini"
	a.mu.Unlock()
	if mini {
		a.restorePosition(ctx)
	}
	go a.followMoves(ctx)
}

// beforeClose remembers the widget's position; it never blocks closing.
func (a *App) beforeClose(context.Context) bool {
	a.savePosition()
	return false
}

func (a *App) shutdown(context.Context) {
	a.svc.Log.Info("window closed")
}

func (a *App) wailsCtx() context.Context {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ctx
}

// manager is the account manager, opened on first use.
func (a *App) manager() (*accounts.Manager, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.accounts != nil {
		return a.accounts, nil
	}
	ctx := a.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	m, err := a.svc.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	a.accounts = m
	return m, nil
}

// emit sends an event to the frontend once the window exists.
func (a *App) emit(name string, payload any) {
	if ctx := a.wailsCtx(); ctx != nil {
		runtime.EventsEmit(ctx, name, payload)
	}
}

func (a *App) ctxOrBackground() context.Context {
	if ctx := a.wailsCtx(); ctx != nil {
		return ctx
	}
	return context.Background()
}
