package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/aimonitor/aimonitor/backend/backup"
	"github.com/aimonitor/aimonitor/backend/paths"
	"github.com/aimonitor/aimonitor/backend/view"
)

var errCancelled = errors.New("cancelled")

// ExportBackup asks where to save and writes a backup (0600). With a
// passphrase, every account's login is included, encrypted under it.
func (a *App) ExportBackup(passphrase string) (view.BackupResult, error) {
	ctx := a.ctxOrBackground()
	path, err := runtime.SaveFileDialog(ctx, runtime.SaveDialogOptions{
		Title:           "Save an aimonitor backup",
		DefaultFilename: "aimonitor-backup-" + time.Now().Format("2006-01-02") + ".json",
		Filters:         []runtime.FileFilter{{DisplayName: "aimonitor backup (*.json)", Pattern: "*.json"}},
	})
	if err != nil {
		return view.BackupResult{}, err
	}
	if path == "" {
		return view.BackupResult{}, errCancelled
	}
	var opts backup.ExportOptions
	if passphrase != "" {
		opts.Passphrase = []byte(passphrase)
		defer clear(opts.Passphrase)
	}
	b, rep, err := backup.Export(ctx, a.svc, opts)
	if err != nil {
		return view.BackupResult{}, err
	}
	data, err := backup.Encode(b)
	if err != nil {
		return view.BackupResult{}, err
	}
	if err := paths.WriteFileAtomic(path, data); err != nil {
		return view.BackupResult{}, fmt.Errorf("saving the backup: %w", err)
	}
	return view.BackupResult{Path: path, Export: rep}, nil
}

// ImportBackup asks for a backup file and restores it. Nothing changes when
// the passphrase is wrong or the file was altered.
func (a *App) ImportBackup(passphrase string) (view.BackupResult, error) {
	ctx := a.ctxOrBackground()
	path, err := runtime.OpenFileDialog(ctx, runtime.OpenDialogOptions{
		Title:   "Restore an aimonitor backup",
		Filters: []runtime.FileFilter{{DisplayName: "aimonitor backup (*.json)", Pattern: "*.json"}},
	})
	if err != nil {
		return view.BackupResult{}, err
	}
	if path == "" {
		return view.BackupResult{}, errCancelled
	}
	return a.importFile(ctx, path, passphrase)
}

// importFile restores the backup at path.
func (a *App) importFile(ctx context.Context, path, passphrase string) (view.BackupResult, error) {
	data, err := backup.ReadFile(filepath.Clean(path))
	if err != nil {
		return view.BackupResult{}, err
	}
	ask := a.confirmImport
	if ask == nil {
		ask = a.askImport
	}
	rep, err := backup.Import(ctx, a.svc, data, backup.ImportOptions{
		Passphrase: func() ([]byte, error) {
			if passphrase == "" {
				return nil, errors.New("this backup holds logins: enter its passphrase first")
			}
			return []byte(passphrase), nil
		},
		Confirm: func(p *backup.Preview) (bool, error) { return ask(ctx, p), nil },
	})
	if errors.Is(err, backup.ErrNotConfirmed) {
		return view.BackupResult{}, errCancelled
	}
	if err != nil {
		return view.BackupResult{}, err
	}
	if _, err := a.svc.ReloadConfig(); err == nil {
		a.emit(EventConfigChanged, a.svc.Config().Fields())
	}
	a.statusChanged()
	return view.BackupResult{Path: path, Import: rep}, nil
}

// askImport shows what an import will change in a native question dialog
// and reports whether the user chose to apply it.
func (a *App) askImport(ctx context.Context, p *backup.Preview) bool {
	answer, err := runtime.MessageDialog(ctx, runtime.MessageDialogOptions{
		Type:          runtime.QuestionDialog,
		Title:         "Apply this backup?",
		Message:       "The import will change:\n\n" + strings.Join(p.Lines(), "\n"),
		Buttons:       []string{"Yes", "No"},
		DefaultButton: "No",
		CancelButton:  "No",
	})
	return err == nil && answer == "Yes"
}
