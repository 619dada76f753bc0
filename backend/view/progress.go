package view

import (
	"time"

	"github.com/aimonitor/aimonitor/backend/accounts"
	"github.com/aimonitor/aimonitor/backend/logging"
)

// Words the widget shows for each switch step.
var stepWords = map[string]string{
	accounts.StepLock:     "waiting for another switch",
	accounts.StepRefresh:  "renewing the login",
	accounts.StepSnapshot: "saving Claude Code's current login",
	accounts.StepWrite:    "writing Claude Code's credentials",
	accounts.StepIdentity: "updating Claude Code's account",
	accounts.StepVerify:   "checking",
}

// SwitchProgress is the payload of the switch-progress event.
type SwitchProgress struct {
	Label string `json:"label"`
	// Step is in words: "renewing the login", "writing Claude Code's credentials"…
	Step  string `json:"step"`
	Done  bool   `json:"done"`
	Error string `json:"error,omitempty"`
}

// SwitchStep is the progress to show for a step of switching to label; ok
// is false for steps the widget does not announce (finished ones).
func SwitchStep(label string, s accounts.Step) (p SwitchProgress, ok bool) {
	if s.State != accounts.StateRunning {
		return SwitchProgress{}, false
	}
	return SwitchProgress{Label: label, Step: stepWords[s.Step]}, true
}

// SwitchDone is the last progress of a switch to label, with its error.
func SwitchDone(label string, err error) SwitchProgress {
	p := SwitchProgress{Label: label, Done: true}
	if err != nil {
		p.Error = logging.Redact(err.Error()) // shown in the widget: redacted like the logs
	}
	return p
}

// CaptureState is a state of adding an account by capturing a new login.
type CaptureState string

// The capture states, as backend/accounts names them.
const (
	CaptureWaiting   CaptureState = accounts.CaptureWaiting
	CaptureChecking  CaptureState = accounts.CaptureChecking
	CaptureFound     CaptureState = accounts.CaptureFound
	CaptureRestoring CaptureState = accounts.CaptureRestoring
	CaptureDone      CaptureState = accounts.CaptureDone
	CaptureFailed    CaptureState = accounts.CaptureFailed
)

// AddProgress is the payload of the add-progress event.
type AddProgress struct {
	Label    string       `json:"label"`
	State    CaptureState `json:"state"`
	Message  string       `json:"message"`
	Email    string       `json:"email,omitempty"`
	Deadline time.Time    `json:"deadline"`
}

// NewAddProgress is the progress of capturing a login for label.
func NewAddProgress(label string, ev accounts.CaptureEvent) AddProgress {
	return AddProgress{Label: label, State: CaptureState(ev.State), Message: logging.Redact(ev.Message), Email: ev.Email, Deadline: ev.Deadline}
}
