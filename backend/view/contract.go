package view

import (
	"reflect"

	"github.com/aimonitor/aimonitor/backend/accounts"
	"github.com/aimonitor/aimonitor/backend/config"
	"github.com/aimonitor/aimonitor/backend/statusline"
	"github.com/aimonitor/aimonitor/backend/tokens"
	"github.com/aimonitor/aimonitor/backend/update"
)

// Bindings is every method the window binds for the frontend. app.go
// asserts that App implements it and a test there that App binds nothing
// else, so tools/tsgen can write the typed TypeScript calls from it: adding a
// bound method means adding it here first.
type Bindings interface {
	// app_config.go
	GetState() (AppState, error)
	ListSettings() ([]config.Field, error)
	SetSetting(key, value string) ([]config.Field, error)
	// app_window.go
	SetMode(mode WindowMode) (WindowMode, error)
	Hide() error
	Quit() error
	FitHeight(height int) error
	// app_status.go, app_daemon.go
	GetStatus() (Status, error)
	RefreshUsage(label string) error
	CancelPendingSwap() error
	UsageHistory(label string, hours int) ([]HistoryPoint, error)
	// app_accounts.go
	SwitchAccount(label string) error
	AdoptCurrent(label string) (accounts.Account, error)
	StartCapture(label string, timeoutSec int) error
	StartRelogin(label string, timeoutSec int) error
	CancelCapture() error
	RenameAccount(oldLabel, newLabel string) error
	RemoveAccount(label string, purge bool) error
	SwitchLog(limit int) ([]accounts.LogEntry, error)
	// app_tokens.go
	TokensReport(since, until, by string) (tokens.Report, error)
	TokensSummary() (tokens.Summary, error)
	TokensProgress() (TokensScan, error)
	// app_update.go
	UpdateStatus() (UpdateInfo, error)
	CheckForUpdate() (UpdateInfo, error)
	// app_backup.go
	ExportBackup(passphrase string) (BackupResult, error)
	ImportBackup(passphrase string) (BackupResult, error)
	// app_statusline.go
	StatusLineState() (statusline.State, error)
	SetStatusLine(on, force bool) (statusline.State, error)
}

// Documents are the shapes the frontend receives other than as a bound
// method's result: the status document it reads from the status path, and
// the event payloads (app_events.go).
var Documents = []reflect.Type{
	reflect.TypeFor[Status](),
	reflect.TypeFor[SwitchProgress](),
	reflect.TypeFor[AddProgress](),
	reflect.TypeFor[UpdateInfo](),
	reflect.TypeFor[[]config.Field](),
	reflect.TypeFor[TokensScan](),
}

// Names are the TypeScript names of shapes whose Go name would clash or
// read badly there; every other struct keeps its Go name.
var Names = map[reflect.Type]string{
	reflect.TypeFor[accounts.Account]():  "SavedAccount",
	reflect.TypeFor[accounts.LogEntry](): "AuditEntry",
	reflect.TypeFor[config.Field]():      "SettingField",
	reflect.TypeFor[tokens.Report]():     "TokensReport",
	reflect.TypeFor[tokens.Summary]():    "TokensSummary",
	reflect.TypeFor[tokens.Totals]():     "TokenTotals",
	reflect.TypeFor[tokens.Row]():        "TokenRow",
	reflect.TypeFor[tokens.Block]():      "TokenBlock",
	reflect.TypeFor[statusline.State]():  "StatusLineState",
	reflect.TypeFor[update.Result]():     "ReleaseCheck",
}

// Enums are the string types the frontend sees as a union of their values.
var Enums = map[reflect.Type][]string{
	reflect.TypeFor[WindowMode]():    {string(ModeMini), string(ModePanel)},
	reflect.TypeFor[Poller]():        {string(PollerWidget), string(PollerDaemon), string(PollerNone)},
	reflect.TypeFor[CaptureState]():  {string(CaptureWaiting), string(CaptureChecking), string(CaptureFound), string(CaptureRestoring), string(CaptureDone), string(CaptureFailed)},
	reflect.TypeFor[config.Source](): {string(config.FromDefault), string(config.FromFile), string(config.FromEnv)},
}
