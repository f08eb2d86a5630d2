package jobs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/billingd/billingd/internal/dbtest"
	"github.com/billingd/billingd/jobs"
	"github.com/billingd/billingd/postgres"
)

// TestPaymentsRecordedShareUnblockJobs: a batch of payments (a return file's chunk) whose
// 1,001 blocked contracts paid on 2026-03-20 settled an installment enqueues two unblock
// jobs for them (1,000 contracts, then 1, jobs.UnblockBatch a job), a contract paid on
// 03-21 alone gets the one-contract job of before, and a contract without an open episode
// or whose payment settled nothing gets none.
func TestPaymentsRecordedShareUnblockJobs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	f, err := jobs.NewFollowUps(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	received := time.Date(2026, 3, 20, 15, 0, 0, 0, time.UTC)
	entry := func(contract int64, paid string, open bool, settled int) postgres.PaymentRecorded {
		on, _ := time.Parse(time.DateOnly, paid)
		p := postgres.PaymentRecorded{ContractID: contract, PaidOn: on, ReceivedAt: received, BlockEpisodeOpen: open}
		for i := range settled {
			p.Settled = append(p.Settled, postgres.Installment{ID: contract*10 + int64(i)})
		}
		return p
	}
	var ps []postgres.PaymentRecorded
	want := []jobs.UnblockArgs{{PaidAt: "2026-03-20", RequestedAt: received}, {PaidAt: "2026-03-20", RequestedAt: received},
		{ContractID: 2000, InstallmentID: 20001, PaidAt: "2026-03-21", RequestedAt: received}}
	for c := int64(1); c <= 1001; c++ {
		ps = append(ps, entry(c, "2026-03-20", true, 1))
		part := &want[0]
		if c > jobs.UnblockBatch {
			part = &want[1]
		}
		part.Contracts = append(part.Contracts, jobs.UnblockContract{ContractID: c, InstallmentID: c * 10})
	}
	ps = append(ps, entry(2000, "2026-03-21", true, 2), entry(3000, "2026-03-20", false, 1), entry(4000, "2026-03-20", true, 0))
	if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return f.PaymentsRecorded(ctx, tx, ps) }); err != nil {
		t.Fatal(err)
	}
	rows, err := pool.Query(ctx, `SELECT args FROM river.river_job WHERE kind = 'unblock_after_payment' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		t.Fatal(err)
	}
	var got []jobs.UnblockArgs
	for _, r := range raw {
		var a jobs.UnblockArgs
		if err := json.Unmarshal(r, &a); err != nil {
			t.Fatal(err)
		}
		got = append(got, a)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("jobs\n%s\nwant\n%s", summary(got), summary(want))
	}
}

// summary is the unblock jobs in a few words each.
func summary(as []jobs.UnblockArgs) string {
	out := ""
	for _, a := range as {
		first, last := jobs.UnblockContract{}, jobs.UnblockContract{}
		if len(a.Contracts) > 0 {
			first, last = a.Contracts[0], a.Contracts[len(a.Contracts)-1]
		}
		out += fmt.Sprintf("contract %d (installment %d) paid %s at %s, %d more: %+v..%+v\n", a.ContractID, a.InstallmentID,
			a.PaidAt, a.RequestedAt.Format(time.RFC3339), len(a.Contracts), first, last)
	}
	return out
}
