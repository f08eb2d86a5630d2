// Package dbtest gives each test its own migrated PostgreSQL database, cloned from a template
// that is built once per set of migrations, so test packages run in parallel against a real
// server. A missing server fails the test; it never skips.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/billingd/billingd/migrations"
)

// AdminURL returns the server's administrative URL: TEST_DATABASE_URL, or else this checkout's
// private cluster (scripts/pg.sh, which `make test` starts and whose port it keeps in
// .data/pg.port at the checkout's root, found from the working directory upwards).
func AdminURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	port := "25432"
	if dir, err := os.Getwd(); err == nil {
		for ; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
			if b, err := os.ReadFile(filepath.Join(dir, ".data", "pg.port")); err == nil {
				port = strings.TrimSpace(string(b))
				break
			}
		}
	}
	return "postgres://postgres@127.0.0.1:" + port + "/postgres?sslmode=disable"
}

// NewURL creates a fresh, migrated database for t, drops it when t ends, and returns its URL.
func NewURL(tb testing.TB) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		tb.Fatalf("dbtest: PostgreSQL is required (run the tests with `make test`, or set TEST_DATABASE_URL): %v", err)
	}
	defer admin.Close(ctx)

	template, err := ensureTemplate(ctx, admin)
	if err != nil {
		tb.Fatalf("dbtest: %v", err)
	}
	name := "billingd_test_" + randomSuffix()
	// Serialise clones: CREATE DATABASE … TEMPLATE refuses while another session uses the template.
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock(4242)"); err != nil {
		tb.Fatalf("dbtest: lock: %v", err)
	}
	_, err = admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, template))
	if _, uerr := admin.Exec(ctx, "SELECT pg_advisory_unlock(4242)"); uerr != nil && err == nil {
		err = uerr
	}
	if err != nil {
		tb.Fatalf("dbtest: create database: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, AdminURL())
		if err != nil {
			tb.Logf("dbtest: drop %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)); err != nil {
			tb.Logf("dbtest: drop %s: %v", name, err)
		}
	})
	return withDatabase(tb, AdminURL(), name)
}

// NewPool creates a fresh, migrated database for t and returns a pool on it, closed when t ends.
func NewPool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	pool, err := pgxpool.New(context.Background(), NewURL(tb))
	if err != nil {
		tb.Fatalf("dbtest: open pool: %v", err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

// ensureTemplate builds, once per set of migrations, a template database with every migration
// applied, and returns its name.
func ensureTemplate(ctx context.Context, admin *pgx.Conn) (string, error) {
	all, err := migrations.All()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, m := range all {
		h.Write([]byte(m.Name))
		h.Write([]byte(m.SQL))
	}
	name := "billingd_tpl_" + hex.EncodeToString(h.Sum(nil))[:12]

	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock(4243)"); err != nil {
		return "", fmt.Errorf("lock template: %w", err)
	}
	defer admin.Exec(context.Background(), "SELECT pg_advisory_unlock(4243)") //nolint:errcheck // best effort

	var ready bool
	err = admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)", name).Scan(&ready)
	if err != nil {
		return "", fmt.Errorf("look for template: %w", err)
	}
	if ready {
		return name, nil
	}
	if _, err := admin.Exec(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)); err != nil {
		return "", fmt.Errorf("drop half-built template: %w", err)
	}
	if _, err := admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s", name)); err != nil {
		return "", fmt.Errorf("create template: %w", err)
	}
	pool, err := pgxpool.New(ctx, withDatabaseURL(AdminURL(), name))
	if err != nil {
		return "", fmt.Errorf("open template: %w", err)
	}
	_, err = migrations.Apply(ctx, pool, slog.New(slog.DiscardHandler))
	pool.Close()
	if err != nil {
		return "", fmt.Errorf("migrate template: %w", err)
	}
	if _, err := admin.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s WITH is_template true", name)); err != nil {
		return "", fmt.Errorf("mark template: %w", err)
	}
	return name, nil
}

func withDatabase(tb testing.TB, base, name string) string {
	tb.Helper()
	u := withDatabaseURL(base, name)
	if u == "" {
		tb.Fatalf("dbtest: TEST_DATABASE_URL %q is not a URL", base)
	}
	return u
}

func withDatabaseURL(base, name string) string {
	u, err := url.Parse(base)
	if err != nil {
		return ""
	}
	u.Path = "/" + name
	return u.String()
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// NewEmptyURL creates an empty database (no migrations) for t, dropped when t ends.
func NewEmptyURL(tb testing.TB) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		tb.Fatalf("dbtest: PostgreSQL is required (run the tests with `make test`, or set TEST_DATABASE_URL): %v", err)
	}
	defer admin.Close(ctx)
	name := "billingd_test_" + randomSuffix()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("dbtest: create database: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, AdminURL()); err == nil {
			_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	})
	return withDatabase(tb, AdminURL(), name)
}
