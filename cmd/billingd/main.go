// Command billingd is the billing daemon and its operator CLI: `serve` runs the daemon,
// `migrate` sets up the database, `run` re-runs a job for a date, `status` shows the jobs,
// `version` says which build this is.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	_ "time/tzdata" // the business time zone must load even on a host without zoneinfo
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// usageError is a bad command line or setting: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{msg: fmt.Sprintf(format, args...)} }

// exitCode prints err as one line and maps it to the process's exit status: 0 for success,
// 2 for bad input or settings, 1 for anything else.
func exitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	// One line, whatever the error: pgx, for one, reports each address tried on its own line.
	msg := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n\t", "; ")), " ")
	fmt.Fprintln(stderr, "billingd: "+msg)
	var ue *usageError
	var ce *configError
	if errors.As(err, &ue) || errors.As(err, &ce) {
		return 2
	}
	return 1
}

const topUsage = `billingd - the billing daemon of a subscription business

Usage:
  billingd serve                                             run the daemon: scheduled jobs, API, health, metrics
  billingd migrate                                           apply River's and billingd's database migrations
  billingd migrate status                                    list applied and pending migrations
  billingd run JOB [--as-of YYYY-MM-DD] [--force] [--wait]   run a job for a date on the running daemon
  billingd run JOB [--as-of …] [--force] --dry-run           print what that run would do, changing nothing
  billingd status                                            show each scheduled job, its next and last run
  billingd contract ID [--on YYYY-MM-DD] [--output text|json] explain a contract's state on a date and print its timeline
  billingd version                                           print the version, VCS revision and Go version
  billingd CMD --help                                        describe a command

Settings come from environment variables (billingd serve --help lists them with their defaults; see
docs/configuration.md); secrets also from NAME_FILE.
`

// run is the whole program: it parses args, reads the settings through lookup and runs the
// command until ctx ends.
func run(ctx context.Context, args []string, lookup func(string) (string, bool), stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, topUsage)
		return usagef("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "-h", "--help", "-help", "help":
		fmt.Fprint(stdout, topUsage)
		return nil
	case "serve":
		return cmdServe(ctx, rest, lookup, stdout, stderr)
	case "migrate":
		return cmdMigrate(ctx, rest, lookup, stdout, stderr)
	case "run":
		return cmdRun(ctx, rest, lookup, stdout, stderr)
	case "status":
		return cmdStatus(ctx, rest, lookup, stdout, stderr)
	case "contract":
		return cmdContract(ctx, rest, lookup, stdout, stderr)
	case "version", "--version", "-version":
		return cmdVersion(ctx, rest, lookup, stdout, stderr)
	default:
		return usagef("unknown command %q (want serve, migrate, run, status, contract or version; see billingd --help)", cmd)
	}
}

// newFlagSet returns a flag set that reports errors instead of exiting and prints its usage
// on --help.
func newFlagSet(name, usage string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprint(stdout, usage)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parseFlags parses args, turning a bad flag into a usage error and --help into flag.ErrHelp
// (fs.Parse has printed the usage then: printing it here too showed the help twice).
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return flag.ErrHelp
	}
	if err != nil {
		return usagef("%s: %v", fs.Name(), err)
	}
	return nil
}
