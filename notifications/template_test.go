package notifications

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
)

func TestShippedDefaultsCompileForEveryKind(t *testing.T) {
	t.Parallel()
	for _, kind := range Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			c, ok := CompiledDefault(kind)
			if !ok {
				t.Fatalf("no shipped template for %s", kind)
			}
			m, err := c.Render(sampleData())
			if err != nil {
				t.Fatal(err)
			}
			if m.Subject == "" || !strings.Contains(m.HTML, "Ana Souza") || !strings.Contains(m.Text, "Ana Souza") {
				t.Errorf("rendered %+v", m)
			}
		})
	}
}

func TestCompileRefusesBadTemplates(t *testing.T) {
	t.Parallel()
	ok := Template{Subject: "Olá {{.Customer.Name}}", HTML: "<p>{{.Plan.Name}}</p>", Text: "{{.Plan.Name}}"}
	tests := []struct {
		name      string
		change    func(*Template)
		field     string
		mentioned string
	}{
		{"syntax error in subject", func(t *Template) { t.Subject = "Olá {{.Customer.Name" }, "subject", "unclosed action"},
		{"unclosed if in html", func(t *Template) { t.HTML = "{{if .Plan.Name}}x" }, "html_body", "unexpected EOF"},
		{"unknown top-level field", func(t *Template) { t.Text = "{{.Cliente.Name}}" }, "text_body", "unknown field Cliente"},
		{"unknown nested field", func(t *Template) { t.HTML = "<p>{{.Contract.Preço}}</p>" }, "html_body", "unknown field Preço in ContractData"},
		{"unknown field in a branch not taken", func(t *Template) { t.Text = "{{if .Installment.ID}}{{.Installment.Valor}}{{end}}" }, "text_body", "unknown field Valor"},
		{"unknown field under with", func(t *Template) { t.Text = "{{with .Customer}}{{.Nome}}{{end}}" }, "text_body", "unknown field Nome in CustomerData"},
		{"unknown field via $", func(t *Template) { t.Text = "{{with .Plan}}{{$.Contrato.ID}}{{end}}" }, "text_body", "unknown field Contrato"},
		{"field of a string", func(t *Template) { t.Subject = "{{.Customer.Name.First}}" }, "subject", "unknown field First in string"},
		{"wrong function use", func(t *Template) { t.Text = `{{index .Customer.Name "x"}}` }, "text_body", "index"},
		{"empty subject", func(t *Template) { t.Subject = "  " }, "subject", "required"},
		{"empty html", func(t *Template) { t.HTML = "" }, "html_body", "required"},
		{"empty text", func(t *Template) { t.Text = "" }, "text_body", "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tpl := ok
			tt.change(&tpl)
			_, err := Compile(tpl)
			var fe *billing.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Compile: %v, want a field error", err)
			}
			if fe.Field != tt.field || !strings.Contains(fe.Reason, tt.mentioned) {
				t.Errorf("error %q on %s, want %s mentioning %q", fe.Reason, fe.Field, tt.field, tt.mentioned)
			}
		})
	}
	if _, err := Compile(ok); err != nil {
		t.Errorf("valid template refused: %v", err)
	}
}

func TestRenderEscapesHTMLAndFormatsBrazilian(t *testing.T) {
	t.Parallel()
	c, err := Compile(Template{Subject: "Parcela de {{.Installment.AmountDue}}\r\nBcc: x@y", HTML: "<p>{{.Customer.Name}}</p>", Text: "{{.Customer.Name}} {{.Installment.DueDate}}"})
	if err != nil {
		t.Fatal(err)
	}
	due := time.Date(2026, 8, 10, 0, 0, 0, 0, time.UTC)
	d := NewData(billing.Customer{Name: "Ana <b>"}, billing.Contract{}, billing.Plan{},
		&Installment{ID: 7, DueDate: due, Amount: decimal.RequireFromString("1234.50"), Discount: decimal.RequireFromString("10")})
	m, err := c.Render(d)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Parcela de R$ 1.224,50 Bcc: x@y" {
		t.Errorf("subject %q (one line, Brazilian money)", m.Subject)
	}
	if m.HTML != "<p>Ana &lt;b&gt;</p>" || m.Text != "Ana <b> 10/08/2026" {
		t.Errorf("html %q text %q", m.HTML, m.Text)
	}
}

func TestBRL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"0": "R$ 0,00", "9.9": "R$ 9,90", "999.99": "R$ 999,99", "1000": "R$ 1.000,00",
		"1234567.891": "R$ 1.234.567,89", "-12.5": "-R$ 12,50"} {
		if got := BRL(decimal.RequireFromString(in)); got != want {
			t.Errorf("BRL(%s) = %q, want %q", in, got, want)
		}
	}
}

// TestShippedCollectionTemplatesStateTheDebt: the shipped templates of the collection
// kinds state what RGC 765/2023 art. 71 asks a notice to (docs/collections.md): the
// installments owed with what each asks, the total, the dates of the steps still to come,
// the restore deadline, the credit-protection record after termination, and how to pay
// (the instruments where the installment has them); the reminder names its installment.
func TestShippedCollectionTemplatesStateTheDebt(t *testing.T) {
	t.Parallel()
	pay := []string{"00190.00009 01234.567004 00000.001016 1 15150000009990", "00020101021226...6304ABCD"}
	owed := []string{"10/07/2026", "R$ 99,90", "R$ 2,00", "R$ 0,33", "R$ 102,23", "2,00%", "1,00%"}
	for kind, wants := range map[string][]string{
		KindBlockWarning: append(append([]string{"aviso de débito", "25/07/2026", "04/08/2026", "03/10/2026", "proteção ao crédito",
			"em até 1 dia após a confirmação do pagamento"}, owed...), pay...),
		KindPartialSuspension: append(append([]string{"reduzido", "25/07/2026", "04/08/2026", "03/10/2026"}, owed...), pay...),
		KindBlocked:           append(append([]string{"suspenso por falta de pagamento em 04/08/2026", "03/10/2026", "em até 1 dia"}, owed...), pay...),
		KindTermination:       append(append([]string{"rescindido por falta de pagamento em 03/10/2026", "continuam devidos", "proteção ao crédito"}, owed...), pay...),
		KindReminder:          {"vence em 10/07/2026", "R$ 99,90"},
	} {
		c, ok := CompiledDefault(kind)
		if !ok {
			t.Fatalf("no shipped %s template", kind)
		}
		m, err := c.Render(sampleData())
		if err != nil {
			t.Fatal(err)
		}
		for _, part := range []struct{ name, body string }{{"text", m.Subject + "\n" + m.Text}, {"html", m.Subject + "\n" + m.HTML}} {
			for _, w := range wants {
				if !strings.Contains(part.body, w) {
					t.Errorf("%s (%s) lacks %q", kind, part.name, w)
				}
			}
		}
		if !IsDunning(kind) || !IsCollection(kind) {
			t.Errorf("%s: dunning %v, collection %v", kind, IsDunning(kind), IsCollection(kind))
		}
	}
}

// TestCompileErrorsInFull pins the whole reason of an error Compile returns: the field list
// is there only when the type has fields, and a range over something that is not a list is
// refused when the template is executed at save time (the checker does not look inside it).
func TestCompileErrorsInFull(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text, reason string
	}{
		{"a field of a string: no field list", "{{.Customer.Name.First}}",
			"text_body:1:11: unknown field First in string"},
		{"a field of a line, through $ in a range", "{{range $.Installment.Lines}}{{.Valor}}{{end}}",
			"text_body:1:31: unknown field Valor in LineData (fields: Kind, Description, Quantity, UnitPrice, Amount)"},
		{"a range over a struct", "{{range .Customer}}{{.Name}}{{end}}",
			`template: text_body:1:8: executing "text_body" at <.Customer>: range can't iterate over {1 Ana Souza ana@example.com 123.456.789-09}`},
		{"a variable declared by with is checked when executed", "{{with $x := .Plan}}{{$x.Nome}}{{end}}",
			`template: text_body:1:24: executing "text_body" at <$x.Nome>: can't evaluate field Nome in type notifications.PlanData`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Compile(Template{Subject: "Olá", HTML: "<p>Olá</p>", Text: tt.text})
			var fe *billing.FieldError
			if !errors.As(err, &fe) || fe.Field != "text_body" || fe.Reason != tt.reason {
				t.Errorf("Compile: %v\nwant text_body: %s", err, tt.reason)
			}
		})
	}
	// A range over an int counts to it (Go 1.22 templates); the checker leaves dot unknown.
	c, err := Compile(Template{Subject: "Olá", HTML: "<p>Olá</p>", Text: "{{range .Contract.DueDay}}{{.}},{{end}}"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.Render(Data{Customer: CustomerData{Name: "Ana"}, Contract: ContractData{DueDay: 3}})
	if err != nil || m.Text != "0,1,2," {
		t.Errorf("range over an int: %q, %v", m.Text, err)
	}
}
