package api_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/api"
	"github.com/billingd/billingd/boleto"
	"github.com/billingd/billingd/cnab240"
	"github.com/billingd/billingd/jobs"
	"github.com/billingd/billingd/pix"
	"github.com/billingd/billingd/postgres"
)

const webhookSecret = "pix-webhook-secret-0123456789"

// paymentsFixture is an API server with payment settings and the PIX webhook on, and one
// contract of 99.90 due on the 10th whose installments have their instruments.
func paymentsFixture(t *testing.T) (*bundle, int64) {
	t.Helper()
	b := setup(t)
	if err := b.store.SetPaymentSettings(t.Context(), postgres.PaymentSettings{
		Boleto: &boleto.Settings{BankCode: "001", Agency: "1234", Account: "123456", Wallet: "17", Convenio: "1234567",
			FirstSequence: 1, LastSequence: 9_999_999_999},
		PIX: &pix.Receiver{Key: "cobranca@example.com.br", Name: "Academia", City: "Sao Paulo", TxIDPrefix: "BLD"},
	}); err != nil {
		t.Fatal(err)
	}
	srv := api.New(api.Config{Store: b.store, Jobs: jobs.Names(), Token: testToken, Location: saoPaulo,
		Now: func() time.Time { return testNow }, Logger: slog.New(slog.DiscardHandler), PixWebhookSecret: webhookSecret})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	b.server, b.api = ts, srv
	plan := b.plan("99.90", "")
	c := b.contract(plan, map[string]any{"adhesion_date": "2026-07-01", "due_date_rule": map[string]any{"kind": "fixed_day", "day": 10}}).id(t)
	b.generate("2026-07-20")
	return b, c
}

// TestInstallmentInstrumentsJSON: the installment JSON carries its boleto and PIX.
func TestInstallmentInstrumentsJSON(t *testing.T) {
	t.Parallel()
	b, c := paymentsFixture(t)
	id := b.installmentID(c, "recurring", 1)
	r := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/installments/%d", id), nil)
	in, _ := r.body["instruments"].(map[string]any)
	if in == nil || in["amount"] != "99.90" || in["due_date"] != "2026-07-10" || in["bank_code"] != "001" ||
		in["txid"] != fmt.Sprintf("BLD%d", id) || len(fmt.Sprint(in["barcode"])) != 44 || len(fmt.Sprint(in["linha_digitavel"])) != 47 ||
		!strings.HasPrefix(fmt.Sprint(in["pix_copy_paste"]), "000201") {
		t.Errorf("instruments %v", r.body["instruments"])
	}
	code, err := boleto.ParseBarcode(fmt.Sprint(in["barcode"]))
	if err != nil || !code.DueDate.Equal(time.Date(2026, 7, 10, 0, 0, 0, 0, time.UTC)) || code.Amount.StringFixed(2) != "99.90" {
		t.Errorf("barcode reads %+v, %v", code, err)
	}
}

// TestUploadPaymentFile: a malformed file is refused whole (422 naming the line and the
// field, nothing stored); a good one is stored pending (201, raw body or multipart), the
// same content again answers 200 with the stored file.
func TestUploadPaymentFile(t *testing.T) {
	t.Parallel()
	b, c := paymentsFixture(t)
	before := b.snapshot()
	r := b.send("POST", "/v1/payment-files?filename=BAD.ret", strings.Repeat("9", 240)+"\r\n")
	if e := r.err(t); r.status != http.StatusUnprocessableEntity || e.Field != "file" || !strings.HasPrefix(e.Message, "file: line 1: ") {
		t.Errorf("malformed file: %d %s", r.status, r.raw)
	}
	if b.snapshot() != before {
		t.Error("a refused file wrote to the database")
	}
	var buf bytes.Buffer
	a := decimal.RequireFromString("99.90")
	if err := cnab240.Write(&buf, &cnab240.File{BankCode: "001", GeneratedOn: time.Date(2026, 7, 20, 0, 0, 0, 0, time.UTC), Sequence: 3,
		Settlements: []cnab240.Settlement{{Movement: cnab240.Paid, NossoNumero: "12345670000000001", DueDate: time.Date(2026, 7, 10, 0, 0, 0, 0, time.UTC),
			NominalAmount: a, AmountPaid: a, NetCredited: a, DatePaid: time.Date(2026, 7, 10, 0, 0, 0, 0, time.UTC)}}}); err != nil {
		t.Fatal(err)
	}
	_ = c
	r = b.must(http.StatusCreated, "POST", "/v1/payment-files?filename=RET0003.ret", buf.Bytes())
	if r.body["status"] != "pending" || r.body["name"] != "RET0003.ret" || r.body["bank_code"] != "001" || r.body["origin"] != "upload" {
		t.Errorf("stored file %s", r.raw)
	}
	first := r.id(t)
	// The same content as multipart: already received.
	var mp bytes.Buffer
	w := multipart.NewWriter(&mp)
	part, err := w.CreateFormFile("file", "RET0003-copy.ret")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(part, bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest("POST", b.server.URL+"/v1/payment-files", &mp)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+testToken)
	if r := b.do(req); r.status != http.StatusOK || r.id(t) != first {
		t.Errorf("the same file again: %d %s, want 200 with file %d", r.status, r.raw, first)
	}
	if got := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/payment-files/%d", first), nil); got.body["sha256"] != postgres.SHA256Hex(buf.Bytes()) {
		t.Errorf("GET payment file %s", got.raw)
	}
	if r := b.send("GET", "/v1/payment-exceptions?reason=lost", nil); r.status != http.StatusBadRequest || r.err(t).Field != "reason" {
		t.Errorf("bad reason: %d %s", r.status, r.raw)
	}
}

// webhook posts a PIX notification body with the given secret header ("" for none).
func webhook(b *bundle, secret, body string) response {
	b.t.Helper()
	req, err := http.NewRequest("POST", b.server.URL+api.PixWebhookPath, strings.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set(api.PixWebhookSecretHeader, secret)
	}
	return b.do(req)
}

// TestPixWebhook: the webhook takes only its own secret (not the API token); a notification
// is matched by its txid and paid on its horário's date in the business time zone; sent
// again it records nothing twice; an unknown txid is listed once as an exception; a
// malformed notification refuses the call (400 naming pix[i].field).
func TestPixWebhook(t *testing.T) {
	t.Parallel()
	b, c := paymentsFixture(t)
	id := b.installmentID(c, "recurring", 1)
	body := fmt.Sprintf(`{"pix": [
		{"endToEndId": "E12345678202607110130abcdef12345", "txid": "BLD%d", "valor": "99.90", "horario": "2026-07-11T01:30:00.000Z",
		 "infoPagador": "mensalidade", "chave": "cobranca@example.com.br"},
		{"endToEndId": "E12345678202607110131abcdef12345", "txid": "XYZ99", "valor": "10.00", "horario": "2026-07-11T01:31:00Z"}]}`, id)
	for _, secret := range []string{"", "wrong-secret-0123456789"} {
		if r := webhook(b, secret, body); r.status != http.StatusUnauthorized {
			t.Errorf("secret %q: %d %s, want 401", secret, r.status, r.raw)
		}
	}
	if r := b.send("POST", api.PixWebhookPath, body); r.status != http.StatusUnauthorized {
		t.Errorf("with the API token: %d %s, want 401", r.status, r.raw)
	}
	r := webhook(b, webhookSecret, body)
	if r.status != http.StatusOK || r.body["recorded"] != 1.0 || r.body["exceptions"] != 1.0 || r.body["duplicates"] != 0.0 {
		t.Fatalf("webhook: %d %s", r.status, r.raw)
	}
	inst := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/installments/%d", id), nil)
	if inst.body["state"] != "paid" || inst.body["paid_at"] != "2026-07-10" {
		t.Errorf("installment after the PIX: %s", inst.raw)
	}
	pays := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/payments?installment_id=%d", id), nil).items(t)
	if len(pays) != 1 || pays[0]["source"] != "pix" || pays[0]["reference"] != "pix:E12345678202607110130abcdef12345" {
		t.Errorf("payments %v", pays)
	}
	r = webhook(b, webhookSecret, body)
	if r.status != http.StatusOK || r.body["recorded"] != 0.0 || r.body["duplicates"] != 1.0 || r.body["exceptions"] != 0.0 {
		t.Errorf("webhook again: %d %s", r.status, r.raw)
	}
	excs := b.must(http.StatusOK, "GET", "/v1/payment-exceptions?reason=unknown_reference&from=2026-01-01", nil).items(t)
	if len(excs) != 1 || excs[0]["end_to_end_id"] != "E12345678202607110131abcdef12345" || excs[0]["reference"] != "XYZ99" ||
		excs[0]["source"] != "pix" || excs[0]["paid_at"] != "2026-07-10" || excs[0]["amount"] != "10.00" {
		t.Errorf("exceptions %v", excs)
	}
	bad := `{"pix": [{"endToEndId": "E1", "txid": "BLD1", "valor": "9.9", "horario": "2026-07-11T01:30:00Z"}]}`
	if r := webhook(b, webhookSecret, bad); r.status != http.StatusBadRequest || r.err(t).Field != "pix[0].valor" {
		t.Errorf("malformed valor: %d %s", r.status, r.raw)
	}
}

// TestDueDayChangeRemakesInstruments: a due-day change re-dates the open installments and
// re-prices the first (proration): their instruments carry the new dates and amounts.
func TestDueDayChangeRemakesInstruments(t *testing.T) {
	t.Parallel()
	b, c := paymentsFixture(t)
	b.must(http.StatusOK, "POST", fmt.Sprintf("/v1/contracts/%d/due-date-rule", c),
		map[string]any{"due_date_rule": map[string]any{"kind": "fixed_day", "day": 25}, "effective_on": "2026-07-20"})
	items := b.must(http.StatusOK, "GET", fmt.Sprintf("/v1/contracts/%d/installments?state=open&limit=100", c), nil).items(t)
	moved := 0
	for _, it := range items {
		in, _ := it["instruments"].(map[string]any)
		if in == nil {
			t.Errorf("installment %v has no instruments", it["id"])
			continue
		}
		amount := decimal.RequireFromString(it["amount"].(string)).Sub(decimal.RequireFromString(it["discount"].(string))).
			Sub(decimal.RequireFromString(it["on_time_discount"].(string)))
		if in["due_date"] != it["due_date"] || in["amount"] != amount.StringFixed(2) {
			t.Errorf("installment %v due %v asks %s; instruments carry %v on %v", it["id"], it["due_date"], amount.StringFixed(2), in["amount"], in["due_date"])
		}
		code, err := boleto.ParseBarcode(fmt.Sprint(in["barcode"]))
		if err != nil || code.Amount.StringFixed(2) != in["amount"] || code.DueDate.Format("2006-01-02") != in["due_date"] {
			t.Errorf("installment %v barcode reads %+v, %v", it["id"], code, err)
		}
		if strings.HasSuffix(fmt.Sprint(it["due_date"]), "-25") || strings.HasSuffix(fmt.Sprint(it["due_date"]), "-26") ||
			strings.HasSuffix(fmt.Sprint(it["due_date"]), "-27") || strings.HasSuffix(fmt.Sprint(it["due_date"]), "-28") {
			moved++
		}
	}
	if moved == 0 {
		t.Errorf("no installment moved to the 25th: %v", items)
	}
}
