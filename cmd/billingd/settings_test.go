package main

// TestSettingsDocumented keeps the docs and the deployment files in step with
// Settings() (config.go), the one table of settings that loadConfig and
// `billingd serve --help` also read.
//
// docs/configuration.md must contain a settings table with one row per
// Setting, in exactly this form (a header row and separator are up to you):
//
//	| setting | default | description |
//	|---|---|---|
//	| `BILLINGD_TIMEZONE` | `America/Sao_Paulo` | business time zone ... |
//	| `DATABASE_URL` | — | PostgreSQL URL (required) ... |
//
//   - column 1: the name in backticks; the line must start with "| `NAME`".
//   - column 2: the Setting's Default, verbatim, in backticks; an empty default
//     is written — (U+2014 em dash), without backticks.
//   - column 3: the Setting's Doc, verbatim (Markdown).
//
// Every such row must name a Setting, once; a `NAME_FILE` row is also accepted
// for Secret settings (its default column is not checked).
//
// Also checked: deploy/systemd/billingd.env.example has a "NAME=..." or
// "#NAME=..." line for every Setting (a commented line of a non-secret setting
// shows its Default), and every BILLINGD_* / DATABASE_URL* name in
// deploy/kubernetes/*.yaml, deploy/systemd/* and deploy/README.md is a Setting,
// or NAME_FILE of a Secret one.
//
// README.md shows the main settings in the same form: each of its rows must be a
// Setting with its Default.
//
// Check another file with: go test -run '^TestSettingsDocumented$' ./cmd/billingd -args -settings.readme=PATH

import (
	"context"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var settingsReadme = flag.String("settings.readme", "", "settings table checked by TestSettingsDocumented (default: the repository's docs/configuration.md)")

// noDefault is how the README's default column shows an empty Default.
const noDefault = "—"

// settingNameRE finds environment variable names that claim to be billingd settings.
var settingNameRE = regexp.MustCompile(`\b(?:BILLINGD(?:_[A-Z0-9]+)+|DATABASE_URL(?:_[A-Z0-9]+)*)`)

func TestSettingsDocumented(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	settings := Settings()
	byName := map[string]Setting{}
	for _, s := range settings {
		if _, dup := byName[s.Name]; dup {
			t.Errorf("Settings(): %s listed twice", s.Name)
		}
		byName[s.Name] = s
	}
	// valid reports whether name may appear in docs and deployment files.
	valid := func(name string) bool {
		if _, ok := byName[name]; ok {
			return true
		}
		base, ok := strings.CutSuffix(name, "_FILE")
		return ok && byName[base].Secret
	}

	t.Run("env.example", func(t *testing.T) {
		path := filepath.Join(root, "deploy", "systemd", "billingd.env.example")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range settings {
			m := regexp.MustCompile(`(?m)^(#?)`+regexp.QuoteMeta(s.Name)+`=(.*)$`).FindAllStringSubmatch(string(data), -1)
			if len(m) == 0 {
				t.Errorf("%s: no %s=... or #%s=... line", rel(root, path), s.Name, s.Name)
				continue
			}
			for _, line := range m {
				if line[1] == "#" && !s.Secret && strings.TrimSpace(line[2]) != s.Default {
					t.Errorf("%s: #%s=%s, but the default is %q (commented-out values show the defaults)", rel(root, path), s.Name, line[2], s.Default)
				}
			}
		}
	})

	t.Run("deploy names", func(t *testing.T) {
		var files []string
		for _, pattern := range []string{"deploy/kubernetes/*.yaml", "deploy/systemd/*", "deploy/README.md"} {
			m, err := filepath.Glob(filepath.Join(root, pattern))
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, m...)
		}
		if len(files) < 3 {
			t.Fatalf("found only %d files under %s/deploy", len(files), root)
		}
		for _, path := range files {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for i, line := range strings.Split(string(data), "\n") {
				for _, name := range settingNameRE.FindAllString(line, -1) {
					if !valid(name) {
						t.Errorf("%s:%d: %s is not a billingd setting (Settings() in cmd/billingd/config.go), nor NAME_FILE of a secret one", rel(root, path), i+1, name)
					}
				}
			}
		}
	})

	// docs/configuration.md holds the full table: one row per setting, with its default.
	t.Run("docs/configuration.md", func(t *testing.T) {
		path := *settingsReadme
		if path == "" {
			path = filepath.Join(root, "docs", "configuration.md")
		}
		rows := settingsRows(t, path, valid)
		if len(rows) == 0 {
			t.Fatalf("%s: missing settings table (no row like | `BILLINGD_TIMEZONE` | `America/Sao_Paulo` | description |)", path)
		}
		for _, s := range settings {
			got, ok := rows[s.Name]
			if !ok {
				t.Errorf("%s: no settings-table row for %s; add: | `%s` | %s | %s |", rel(root, path), s.Name, s.Name, defaultCell(s.Default), s.Doc)
				continue
			}
			if want := defaultCell(s.Default); got.def != want {
				t.Errorf("%s: %s default column is %s, want %s", rel(root, path), s.Name, got.def, want)
			}
			if got.doc != s.Doc {
				t.Errorf("%s: %s description is\n  %s\nwant its Doc in cmd/billingd/config.go:\n  %s", rel(root, path), s.Name, got.doc, s.Doc)
			}
		}
	})

	// README.md shows the main settings only: each row it has must be a setting with its default.
	t.Run("README", func(t *testing.T) {
		path := filepath.Join(root, "README.md")
		rows := settingsRows(t, path, valid)
		if len(rows) == 0 {
			t.Fatalf("README.md: no main-settings table (rows like | `BILLINGD_TIMEZONE` | `America/Sao_Paulo` | description |)")
		}
		for name, got := range rows {
			if want := defaultCell(byName[name].Default); byName[name].Name != "" && got.def != want {
				t.Errorf("README.md: %s default column is %s, want %s", name, got.def, want)
			}
		}
	})
}

// settingsRow is one settings-table row's default and description columns.
type settingsRow struct{ def, doc string }

// settingsRows reads the settings-table rows of a Markdown file by name. A row naming
// something that is not a setting, or a setting twice, fails t.
func settingsRows(t *testing.T, path string, valid func(string) bool) map[string]settingsRow {
	t.Helper()
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s does not exist; want a settings table: | `NAME` | `DEFAULT` | description |", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Base(path)
	rows := map[string]settingsRow{}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(line, "|")
		name := strings.TrimSpace(cells[1])
		if !strings.HasPrefix(name, "`") || !strings.HasSuffix(name, "`") || len(name) < 3 {
			continue
		}
		name = strings.Trim(name, "`")
		if settingNameRE.FindString(name) != name {
			continue // some other table
		}
		if !valid(name) {
			t.Errorf("%s:%d: %s is not a billingd setting (Settings() in cmd/billingd/config.go)", file, i+1, name)
			continue
		}
		if _, dup := rows[name]; dup {
			t.Errorf("%s:%d: second row for %s", file, i+1, name)
		}
		if len(cells) < 5 {
			t.Errorf("%s:%d: want | `%s` | default | description |, got %q", file, i+1, name, line)
			continue
		}
		rows[name] = settingsRow{def: strings.TrimSpace(cells[2]), doc: strings.TrimSpace(strings.Join(cells[3:len(cells)-1], "|"))}
	}
	return rows
}

// defaultCell is the README default column for a Default value.
func defaultCell(def string) string {
	if def == "" {
		return noDefault
	}
	return "`" + def + "`"
}

func rel(root, path string) string {
	if r, err := filepath.Rel(root, path); err == nil {
		return r
	}
	return path
}

// TestServeHelpListsEverySetting checks that `billingd serve --help` shows every setting of
// the table with its default.
func TestServeHelpListsEverySetting(t *testing.T) {
	t.Parallel()
	var stdout, stderr strings.Builder
	if err := run(context.Background(), []string{"serve", "--help"}, lookupOf(nil), &stdout, &stderr); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("serve --help: %v", err)
	}
	for _, s := range Settings() {
		want := s.Name + "=" + s.Default
		if s.Secret {
			want = s.Name + " (secret)"
		} else if s.Default == "" {
			want = s.Name + "\n"
		}
		if !strings.Contains(stdout.String(), "  "+want) {
			t.Errorf("serve --help does not show %q:\n%s", want, stdout.String())
		}
	}
}
