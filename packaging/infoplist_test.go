package packaging

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
)

// wailsProject is the part of wails.json Wails hands to build/darwin/*.plist
// templates (as {{.Name}} and {{.Info.*}}); field names match Wails v2's.
type wailsProject struct {
	Name           string `json:"name"`
	OutputFilename string `json:"outputfilename"`
	Info           struct {
		CompanyName      string     `json:"companyName"`
		ProductName      string     `json:"productName"`
		ProductVersion   string     `json:"productVersion"`
		Copyright        *string    `json:"copyright"`
		Comments         *string    `json:"comments"`
		FileAssociations []struct{} `json:"fileAssociations"`
		Protocols        []struct{} `json:"protocols"`
	} `json:"info"`
}

func loadProject(t *testing.T) wailsProject {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "wails.json"))
	if err != nil {
		t.Fatal(err)
	}
	var p wailsProject
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatalf("wails.json: %v", err)
	}
	// Wails' own defaults for missing values (internal/project).
	if p.Info.ProductName == "" {
		p.Info.ProductName = p.Name
	}
	if p.Info.ProductVersion == "" {
		p.Info.ProductVersion = "1.0.0"
	}
	if p.Info.Copyright == nil {
		c := "Copyright........."
		p.Info.Copyright = &c
	}
	if p.Info.Comments == nil {
		c := "Built using Wails (https://wails.io)"
		p.Info.Comments = &c
	}
	return p
}

// render executes a plist template the way Wails' buildassets package does.
func render(t *testing.T, file string, p wailsProject) []byte {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "build", "darwin", file))
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := template.New(file).Parse(string(src))
	if err != nil {
		t.Fatalf("%s is not a valid template: %v", file, err)
	}
	var out bytes.Buffer
	data := struct {
		Name string
		Info any
	}{p.Name, p.Info}
	if err := tmpl.Execute(&out, data); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return out.Bytes()
}

// parsePlistDict reads the top-level <dict> of an XML property list into
// key → value, with strings as string and <true/>/<false/> as bool; nested
// dicts and arrays are recorded as "<dict>"/"<array>".
func parsePlistDict(doc []byte) (map[string]any, error) {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	dec.Strict = true
	values := map[string]any{}
	depth, key := 0, ""
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return values, nil
		}
		if err != nil {
			return nil, err
		}
		switch el := tok.(type) {
		case xml.StartElement:
			depth++
			if depth != 3 { // plist > dict > entries
				continue
			}
			var text string
			switch el.Name.Local {
			case "key":
				if err := dec.DecodeElement(&text, &el); err != nil {
					return nil, err
				}
				key = text
			case "string":
				if err := dec.DecodeElement(&text, &el); err != nil {
					return nil, err
				}
				values[key] = text
			case "true", "false":
				values[key] = el.Name.Local == "true"
				if err := dec.Skip(); err != nil {
					return nil, err
				}
			default:
				values[key] = "<" + el.Name.Local + ">"
				if err := dec.Skip(); err != nil {
					return nil, err
				}
			}
			depth--
		case xml.EndElement:
			depth--
		}
	}
}

func TestDarwinInfoPlist(t *testing.T) {
	p := loadProject(t)
	want := map[string]any{
		"CFBundleIdentifier":         "dev.aimonitor.app",
		"CFBundleExecutable":         p.OutputFilename,
		"CFBundleName":               p.Info.ProductName,
		"CFBundlePackageType":        "APPL",
		"CFBundleShortVersionString": p.Info.ProductVersion,
		"CFBundleVersion":            p.Info.ProductVersion,
		"CFBundleIconFile":           "iconfile", // the name Wails gives the .icns it makes from build/appicon.png
		"LSUIElement":                true,       // no Dock icon for the widget
		"LSMinimumSystemVersion":     "11.0",
		"NSHighResolutionCapable":    true,
	}
	for _, file := range []string{"Info.plist", "Info.dev.plist"} {
		t.Run(file, func(t *testing.T) {
			doc := render(t, file, p)
			got, err := parsePlistDict(doc)
			if err != nil {
				t.Fatalf("rendered %s is not well-formed XML (a wails.json value may need escaping): %v\n%s", file, err, doc)
			}
			for key, value := range want {
				if got[key] != value {
					t.Errorf("%s: %s = %#v, want %#v", file, key, got[key], value)
				}
			}
			if strings.Contains(string(doc), "{{") {
				t.Errorf("%s: unrendered template action left", file)
			}
			// Without "copyright" in wails.json, Wails writes its placeholder.
			if c, _ := got["NSHumanReadableCopyright"].(string); !strings.Contains(c, "aimonitor contributors") || !strings.Contains(c, "MIT") {
				t.Errorf("%s: NSHumanReadableCopyright = %q, want the project's copyright and licence", file, c)
			}
		})
	}
}

func TestParsePlistDict(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		want    map[string]any
		wantErr bool
	}{
		{"string and bools", `<plist><dict><key>A</key><string>x</string><key>B</key><true/><key>C</key><false/></dict></plist>`,
			map[string]any{"A": "x", "B": true, "C": false}, false},
		{"nested dict is summarised", `<plist><dict><key>D</key><dict><key>in</key><string>y</string></dict><key>E</key><string>z</string></dict></plist>`,
			map[string]any{"D": "<dict>", "E": "z"}, false},
		{"unescaped ampersand", `<plist><dict><key>A</key><string>a & b</string></dict></plist>`, nil, true},
		{"unclosed element", `<plist><dict><key>A</key><string>x</dict></plist>`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePlistDict([]byte(tt.doc))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) && !tt.wantErr {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
