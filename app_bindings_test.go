package main

import (
	"reflect"
	"testing"

	"github.com/aimonitor/aimonitor/backend/view"
)

// Wails binds every exported method of App; the frontend's typed calls are
// generated from view.Bindings, so App must bind nothing the contract does
// not declare (the other direction is checked by the compiler in app.go).
func TestAppBindsOnlyTheContract(t *testing.T) {
	contract := reflect.TypeFor[view.Bindings]()
	app := reflect.TypeFor[*App]()
	for i := range app.NumMethod() {
		name := app.Method(i).Name
		if _, ok := contract.MethodByName(name); !ok {
			t.Errorf("App.%s is bound to the frontend but not declared in view.Bindings (backend/view/contract.go); declare it there and run `make generate`", name)
		}
	}
}
