package records

import (
	"time"

	"github.com/shopspring/decimal"
)

// DryRun is what a run of a job as of a date would do, found by running the job's real sweep
// in a transaction that is then rolled back.
type DryRun struct {
	Job  string
	AsOf time.Time
	// Batches is how many batches a real run would plan.
	Batches int
	// Counts are the counts a real run records in job_runs (the batches' counts, added).
	Counts map[string]int64
	// Tables are the rows the run would insert, update and delete, per table it touches.
	Tables []TableChange
	// Effects is a sample of the rows the run would insert or update, at most SampleLimit.
	Effects     []Effect
	SampleLimit int
	// Duration is how long the dry run took.
	Duration time.Duration
}

// TableChange counts the rows a transaction inserted, updated and deleted in one table.
type TableChange struct {
	// Table is the table's name, schema-qualified outside the public schema ("river.river_job").
	Table    string
	Inserted int64
	Updated  int64
	Deleted  int64
}

// Effect Actions.
const (
	// EffectInserted is a row the transaction created.
	EffectInserted = "inserted"
	// EffectUpdated is an existing row the transaction changed.
	EffectUpdated = "updated"
	// EffectWritten is a row the transaction created or changed, in a table without a
	// created_at column to tell which.
	EffectWritten = "written"
)

// EffectActions are the actions of an Effect.
var EffectActions = []string{EffectInserted, EffectUpdated, EffectWritten}

// Effect is one row a transaction wrote, described generically from its table's columns.
type Effect struct {
	Table string
	// Action is EffectInserted, EffectUpdated or EffectWritten.
	Action string
	// Key is the row's primary key, its columns' values joined by commas.
	Key string
	// ContractID is the contract the row belongs to, when the table says (contract_id).
	ContractID *int64
	// What names the row: its table and the columns that say what it is (kind, state…).
	What   string
	Amount *decimal.Decimal
	Date   *time.Time
}
