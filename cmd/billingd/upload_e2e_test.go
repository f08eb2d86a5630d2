package main

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/cnab240"
)

// TestUploadImportedWithoutDropDir drives the real daemon with import-payments enabled but no
// BILLINGD_PAYMENT_DROP_DIR: `billingd status` shows import-payments not scheduled, and a
// return file uploaded with POST /v1/payment-files is still imported within seconds, by the
// manual run its upload enqueued (its one settlement, of an unknown nosso número, listed as
// an exception); import-payments records no other run.
func TestUploadImportedWithoutDropDir(t *testing.T) {
	t.Parallel()
	url, pool := migratedDB(t)
	env := baseEnv(url, "BILLINGD_GENERATE_INSTALLMENTS_ENABLED=false", "BILLINGD_IMPORT_PAYMENTS_ENABLED=true")
	d := startDaemon(t, env)
	code, stdout, stderr := cli(t, env, "status")
	if code != 0 || !regexp.MustCompile(`(?m)^import-payments\s+\*/5 \* \* \* \*\s+false\s+-\s`).MatchString(stdout) {
		t.Fatalf("status: exit %d, want import-payments not scheduled\n%s%s", code, stdout, stderr)
	}

	paidOn := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	amount := decimal.RequireFromString("99.90")
	var file bytes.Buffer
	if err := cnab240.Write(&file, &cnab240.File{BankCode: "001", GeneratedOn: paidOn, Sequence: 1, Settlements: []cnab240.Settlement{{
		Movement: cnab240.Paid, NossoNumero: "12345670000000001", NominalAmount: amount, AmountPaid: amount, NetCredited: amount,
		DatePaid: paidOn}}}); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, "http://"+d.Addr()+"/v1/payment-files?filename=RET-UPLOAD.ret", &file)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	waitFor(t, time.Minute, "the uploaded file to be imported", func() bool {
		return count(t, pool, "SELECT count(*) FROM payment_files WHERE status = 'imported' AND settlements = 1 AND exceptions = 1") == 1
	})
	if n := count(t, pool, "SELECT count(*) FROM payment_exceptions WHERE reason = 'unknown_reference' AND line = 3"); n != 1 {
		t.Errorf("%d unknown_reference exceptions on line 3, want 1", n)
	}
	if n := count(t, pool, "SELECT count(*) FROM job_runs WHERE job = 'import-payments' AND trigger = 'manual' AND state = 'succeeded'"); n != 1 {
		t.Errorf("%d succeeded manual runs of import-payments, want the upload's", n)
	}
	if n := count(t, pool, "SELECT count(*) FROM job_runs WHERE job = 'import-payments' AND trigger <> 'manual'"); n != 0 {
		t.Errorf("%d scheduled or catch-up runs of import-payments without a drop directory, want none", n)
	}
}
