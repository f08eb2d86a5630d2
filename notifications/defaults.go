package notifications

import "fmt"

// htmlPage wraps a default's HTML paragraphs in a minimal page.
func htmlPage(body string) string {
	return `<!DOCTYPE html>
<html lang="pt-BR"><head><meta charset="utf-8"></head>
<body style="font-family: Arial, sans-serif; color: #222;">
<p>Olá, {{.Customer.Name}}!</p>
` + body + `
<p>Atenciosamente,<br>Equipe de atendimento</p>
</body></html>
`
}

const installmentHTML = `<table cellpadding="4">
<tr><td>Parcela</td><td>{{.Installment.Sequence}}/{{.Plan.InstallmentsPerTerm}}</td></tr>
<tr><td>Vencimento</td><td>{{.Installment.DueDate}}</td></tr>
<tr><td>Valor</td><td>{{.Installment.AmountDue}}</td></tr>
</table>`

const installmentText = `Parcela: {{.Installment.Sequence}}/{{.Plan.InstallmentsPerTerm}}
Vencimento: {{.Installment.DueDate}}
Valor: {{.Installment.AmountDue}}`

const signatureText = `
Atenciosamente,
Equipe de atendimento
`

// defaults are the shipped templates, one per kind, in Portuguese.
var defaults = map[string]Template{
	KindWelcome: {
		Subject: `Bem-vindo(a) ao {{.Plan.Name}}, {{.Customer.Name}}!`,
		HTML: htmlPage(`<p>Seu contrato nº {{.Contract.ID}} do plano <strong>{{.Plan.Name}}</strong> foi criado em {{.Contract.AdhesionDate}}.</p>
<p>Valor: {{.Contract.Price}} ({{.Contract.PaymentMethod}}){{if .Contract.DueDay}}, com vencimento todo dia {{.Contract.DueDay}}{{end}}.</p>
<p>Obrigado pela confiança. Qualquer dúvida, responda este e-mail.</p>`),
		Text: `Olá, {{.Customer.Name}}!

Seu contrato nº {{.Contract.ID}} do plano {{.Plan.Name}} foi criado em {{.Contract.AdhesionDate}}.
Valor: {{.Contract.Price}} ({{.Contract.PaymentMethod}}){{if .Contract.DueDay}}, com vencimento todo dia {{.Contract.DueDay}}{{end}}.

Obrigado pela confiança. Qualquer dúvida, responda este e-mail.
` + signatureText,
	},
	KindComingDue: {
		Subject: `Sua parcela de {{.Installment.AmountDue}} vence em {{.Installment.DueDate}}`,
		HTML: htmlPage(`<p>Lembramos que a parcela do seu contrato nº {{.Contract.ID}} ({{.Plan.Name}}) vence em breve:</p>
` + installmentHTML + `
<p>Se já pagou, desconsidere esta mensagem.</p>`),
		Text: `Olá, {{.Customer.Name}}!

Lembramos que a parcela do seu contrato nº {{.Contract.ID}} ({{.Plan.Name}}) vence em breve:

` + installmentText + `

Se já pagou, desconsidere esta mensagem.
` + signatureText,
	},
	KindOverdue: {
		Subject: `Parcela vencida em {{.Installment.DueDate}}: {{.Installment.AmountDue}}`,
		HTML: htmlPage(`<p>Não identificamos o pagamento desta parcela do seu contrato nº {{.Contract.ID}} ({{.Plan.Name}}):</p>
` + installmentHTML + `
<p>Regularize o pagamento para evitar o bloqueio do serviço. Se já pagou, desconsidere esta mensagem.</p>`),
		Text: `Olá, {{.Customer.Name}}!

Não identificamos o pagamento desta parcela do seu contrato nº {{.Contract.ID}} ({{.Plan.Name}}):

` + installmentText + `

Regularize o pagamento para evitar o bloqueio do serviço. Se já pagou, desconsidere esta mensagem.
` + signatureText,
	},
	KindBlockWarning: {
		Subject: `Aviso: seu contrato nº {{.Contract.ID}} será bloqueado`,
		HTML: htmlPage(`<p>Seu contrato nº {{.Contract.ID}} ({{.Plan.Name}}) tem parcelas em atraso e será bloqueado se o pagamento não for regularizado.</p>
<p>Se já pagou, desconsidere esta mensagem.</p>`),
		Text: `Olá, {{.Customer.Name}}!

Seu contrato nº {{.Contract.ID}} ({{.Plan.Name}}) tem parcelas em atraso e será bloqueado se o pagamento não for regularizado.

Se já pagou, desconsidere esta mensagem.
` + signatureText,
	},
	KindBlocked: {
		Subject: `Seu contrato nº {{.Contract.ID}} foi bloqueado`,
		HTML: htmlPage(`<p>Seu contrato nº {{.Contract.ID}} ({{.Plan.Name}}) foi bloqueado por falta de pagamento.</p>
<p>Assim que o pagamento das parcelas em atraso for identificado, o desbloqueio é automático.</p>`),
		Text: `Olá, {{.Customer.Name}}!

Seu contrato nº {{.Contract.ID}} ({{.Plan.Name}}) foi bloqueado por falta de pagamento.
Assim que o pagamento das parcelas em atraso for identificado, o desbloqueio é automático.
` + signatureText,
	},
	KindUnblocked: {
		Subject: `Seu contrato nº {{.Contract.ID}} foi desbloqueado`,
		HTML:    htmlPage(`<p>Seu contrato nº {{.Contract.ID}} ({{.Plan.Name}}) foi desbloqueado. Obrigado!</p>`),
		Text: `Olá, {{.Customer.Name}}!

Seu contrato nº {{.Contract.ID}} ({{.Plan.Name}}) foi desbloqueado. Obrigado!
` + signatureText,
	},
	KindRenewed: {
		Subject: `Seu contrato nº {{.Contract.ID}} foi renovado`,
		HTML: htmlPage(`<p>Seu contrato nº {{.Contract.ID}} ({{.Plan.Name}}) foi renovado{{if .Contract.TermEnd}} até {{.Contract.TermEnd}}{{end}}.</p>
<p>Valor: {{.Contract.Price}}.</p>`),
		Text: `Olá, {{.Customer.Name}}!

Seu contrato nº {{.Contract.ID}} ({{.Plan.Name}}) foi renovado{{if .Contract.TermEnd}} até {{.Contract.TermEnd}}{{end}}.
Valor: {{.Contract.Price}}.
` + signatureText,
	},
}

// compiledDefaults are the shipped templates, compiled once; a shipped template that does
// not compile is a bug caught by the package's tests and at start-up.
var compiledDefaults = func() map[string]*Compiled {
	out := map[string]*Compiled{}
	for kind, t := range defaults {
		c, err := Compile(t)
		if err != nil {
			panic(fmt.Sprintf("shipped template %s: %v", kind, err))
		}
		out[kind] = c
	}
	return out
}()

// Default returns the shipped template of a kind.
func Default(kind string) (Template, bool) {
	t, ok := defaults[kind]
	return t, ok
}

// CompiledDefault returns the shipped template of a kind, compiled.
func CompiledDefault(kind string) (*Compiled, bool) {
	c, ok := compiledDefaults[kind]
	return c, ok
}

// MessageID is the Message-ID of a notice: derived from the notice's id alone, so a retry
// (or a resend after a crash between the server's acceptance and the outbox update) carries
// the same one and receivers can tell it is the same e-mail.
func MessageID(noticeID int64, kind string, domain string) string {
	if domain == "" {
		domain = "billingd.invalid"
	}
	return fmt.Sprintf("notice-%d.%s@%s", noticeID, kind, domain)
}
