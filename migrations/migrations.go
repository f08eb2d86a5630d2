// Package migrations holds billingd's database schema as embedded, numbered SQL files and
// applies them, together with River's own migrations, under one PostgreSQL advisory lock.
package migrations

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// RiverSchema is the PostgreSQL schema that holds River's tables.
const RiverSchema = "river"

// lockKey is the advisory lock that serialises concurrent migrators ("billingd" in ASCII).
const lockKey int64 = 0x62696c6c696e6764

//go:embed *.sql
var files embed.FS

// Migration is one numbered schema change.
type Migration struct {
	// Version is the number the file name starts with.
	Version int
	// Name is the file name.
	Name string
	// SQL is the file's content.
	SQL string
}

// Entry is a migration's state in a database.
type Entry struct {
	// Component is "river" for River's migrations and "billingd" for the project's own.
	Component string
	// Version is the migration's number.
	Version int
	// Name describes the migration.
	Name string
	// AppliedAt is when it was applied; zero while pending.
	AppliedAt time.Time
}

// Pending reports whether the migration has not been applied yet.
func (e Entry) Pending() bool { return e.AppliedAt.IsZero() }

// All returns the project's embedded migrations in order.
func All() ([]Migration, error) {
	names, err := fs.Glob(files, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	out := make([]Migration, 0, len(names))
	for _, name := range names {
		prefix, _, ok := strings.Cut(name, "_")
		version, err := strconv.Atoi(prefix)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %q: name must start with a number and an underscore", name)
		}
		body, err := files.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("read migration %q: %w", name, err)
		}
		out = append(out, Migration{Version: version, Name: name, SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("migrations %q and %q share version %d", out[i-1].Name, out[i].Name, out[i].Version)
		}
	}
	return out, nil
}

// Apply brings the database up to date: River's migrations, then the project's, under an
// advisory lock so that concurrent migrators wait for each other. It returns how many
// migrations it applied; running it again applies none.
func Apply(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) (int, error) {
	return ApplyThrough(ctx, pool, logger, int(^uint(0)>>1))
}

// ApplyThrough is Apply stopping after the project's migration number version: a test of
// a migration writes data under the schema before it, then applies the rest with Apply.
func ApplyThrough(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger, version int) (int, error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return 0, fmt.Errorf("acquire connection for migration lock: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey); err != nil {
		return 0, fmt.Errorf("take migration lock: %w", err)
	}
	defer func() {
		// Unlock on a fresh context: the caller's may be cancelled by now.
		unlockCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(unlockCtx, "SELECT pg_advisory_unlock($1)", lockKey); err != nil {
			logger.Warn("release migration lock", slog.String("error", err.Error()))
		}
	}()

	applied := 0
	if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+RiverSchema); err != nil {
		return 0, fmt.Errorf("create schema %s: %w", RiverSchema, err)
	}
	migrator, err := riverMigrator(pool, logger)
	if err != nil {
		return 0, err
	}
	res, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return 0, fmt.Errorf("apply River migrations: %w", err)
	}
	for _, v := range res.Versions {
		logger.InfoContext(ctx, "migration applied", slog.String("component", "river"), slog.Int("version", v.Version), slog.String("name", v.Name))
	}
	applied += len(res.Versions)

	own, err := All()
	if err != nil {
		return applied, err
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return applied, fmt.Errorf("create schema_migrations: %w", err)
	}
	done, err := appliedVersions(ctx, conn.Conn())
	if err != nil {
		return applied, err
	}
	for _, m := range own {
		if _, ok := done[m.Version]; ok || m.Version > version {
			continue
		}
		err := pgx.BeginFunc(ctx, conn.Conn(), func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("run: %w", err)
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name)
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("apply migration %s: %w", m.Name, err)
		}
		logger.InfoContext(ctx, "migration applied", slog.String("component", "billingd"), slog.Int("version", m.Version), slog.String("name", m.Name))
		applied++
	}
	return applied, nil
}

// Status lists River's and the project's migrations with the time each was applied.
func Status(ctx context.Context, pool *pgxpool.Pool) ([]Entry, error) {
	var out []Entry
	migrator, err := riverMigrator(pool, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	riverApplied := map[int]time.Time{}
	var schemaExists bool
	if err := pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", RiverSchema+".river_migration").Scan(&schemaExists); err != nil {
		return nil, fmt.Errorf("look for River's migration table: %w", err)
	}
	if schemaExists {
		rows, err := pool.Query(ctx, "SELECT version, created_at FROM "+RiverSchema+".river_migration WHERE line = 'main'")
		if err != nil {
			return nil, fmt.Errorf("read River migrations: %w", err)
		}
		for rows.Next() {
			var v int
			var at time.Time
			if err := rows.Scan(&v, &at); err != nil {
				rows.Close()
				return nil, fmt.Errorf("scan River migration: %w", err)
			}
			riverApplied[v] = at
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read River migrations: %w", err)
		}
	}
	for _, m := range migrator.AllVersions() {
		out = append(out, Entry{Component: "river", Version: m.Version, Name: m.Name, AppliedAt: riverApplied[m.Version]})
	}

	own, err := All()
	if err != nil {
		return nil, err
	}
	done := map[int]time.Time{}
	var ownExists bool
	if err := pool.QueryRow(ctx, "SELECT to_regclass('schema_migrations') IS NOT NULL").Scan(&ownExists); err != nil {
		return nil, fmt.Errorf("look for schema_migrations: %w", err)
	}
	if ownExists {
		conn, err := pool.Acquire(ctx)
		if err != nil {
			return nil, fmt.Errorf("acquire connection: %w", err)
		}
		defer conn.Release()
		if done, err = appliedVersions(ctx, conn.Conn()); err != nil {
			return nil, err
		}
	}
	for _, m := range own {
		out = append(out, Entry{Component: "billingd", Version: m.Version, Name: m.Name, AppliedAt: done[m.Version]})
	}
	return out, nil
}

// ErrPending is returned by Check when migrations are waiting to be applied.
var ErrPending = errors.New("migrations pending")

// Check returns ErrPending (wrapped with the count) unless every migration has been applied.
func Check(ctx context.Context, pool *pgxpool.Pool) error {
	entries, err := Status(ctx, pool)
	if err != nil {
		return err
	}
	pending := 0
	for _, e := range entries {
		if e.Pending() {
			pending++
		}
	}
	if pending > 0 {
		return fmt.Errorf("%w: %d of %d not applied (run: billingd migrate)", ErrPending, pending, len(entries))
	}
	return nil
}

func riverMigrator(pool *pgxpool.Pool, logger *slog.Logger) (*rivermigrate.Migrator[pgx.Tx], error) {
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Schema: RiverSchema, Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("create River migrator: %w", err)
	}
	return m, nil
}

func appliedVersions(ctx context.Context, conn *pgx.Conn) (map[int]time.Time, error) {
	rows, err := conn.Query(ctx, "SELECT version, applied_at FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	done := map[int]time.Time{}
	for rows.Next() {
		var v int
		var at time.Time
		if err := rows.Scan(&v, &at); err != nil {
			return nil, fmt.Errorf("scan schema_migrations: %w", err)
		}
		done[v] = at
	}
	return done, rows.Err()
}
