package main

import "github.com/aimonitor/aimonitor/backend/logging"

// boundError is the window's ErrorFormatter: every error a bound method
// returns reaches the frontend as one line that has passed the same
// redactor as the logs (errors are built without secrets; this is the last
// line of defence, as for the CLI's error line).
func boundError(err error) any {
	return logging.Redact(err.Error())
}

// redacted is boundError as a string, for error texts the app keeps.
func redacted(err error) string {
	return logging.Redact(err.Error())
}
