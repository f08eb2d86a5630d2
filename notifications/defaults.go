package notifications

import (
	"fmt"
	"strings"
)

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
</table>{{if .Charge.ID}}
<p>Esta parcela é cobrada na cobrança agrupada nº {{.Charge.ID}}, com vencimento em {{.Charge.DueDate}}, no valor total de <strong>{{.Charge.Amount}}</strong>:</p>
<ul>{{range .Charge.Installments}}<li>contrato nº {{.ContractID}}: {{.Amount}}</li>{{end}}</ul>{{if .Charge.DigitableLine}}
<p>Boleto (linha digitável): {{.Charge.DigitableLine}}</p>{{end}}{{if .Charge.PixCopyPaste}}
<p>PIX copia e cola: {{.Charge.PixCopyPaste}}</p>{{end}}{{end}}`

const installmentText = `Parcela: {{.Installment.Sequence}}/{{.Plan.InstallmentsPerTerm}}
Vencimento: {{.Installment.DueDate}}
Valor: {{.Installment.AmountDue}}{{if .Charge.ID}}

Esta parcela é cobrada na cobrança agrupada nº {{.Charge.ID}}, com vencimento em {{.Charge.DueDate}}, no valor total de {{.Charge.Amount}}:{{range .Charge.Installments}}
- contrato nº {{.ContractID}}: {{.Amount}}{{end}}{{if .Charge.DigitableLine}}
Boleto (linha digitável): {{.Charge.DigitableLine}}{{end}}{{if .Charge.PixCopyPaste}}
PIX copia e cola: {{.Charge.PixCopyPaste}}{{end}}{{end}}`

// owedHTML lists the installments a collection notice states, with what each asks on the
// notice's date (amount_due: amount, fine and interest) and the total.
const owedHTML = `{{with .Collection}}{{if .Installments}}<p>Valores em aberto em {{.OnDate}}:</p>
<table cellpadding="4">
<tr><th align="left">Parcela</th><th align="left">Vencimento</th><th align="right">Valor</th><th align="right">Multa</th><th align="right">Juros</th><th align="right">Valor atualizado</th></tr>
{{range .Installments}}<tr><td>{{.Number}}</td><td>{{.DueDate}}</td><td align="right">{{.Amount}}</td><td align="right">{{.Fine}}</td><td align="right">{{.Interest}}</td><td align="right">{{.AmountDue}}</td></tr>
{{end}}<tr><td colspan="5"><strong>Total em aberto</strong></td><td align="right"><strong>{{.Total}}</strong></td></tr>
</table>
<p>Multa de {{.FinePercent}} e juros de mora de {{.MonthlyInterestPercent}} ao mês, pro rata die, sobre o valor em atraso.</p>
{{end}}{{end}}`

const owedText = `{{with .Collection}}{{if .Installments}}
Valores em aberto em {{.OnDate}}:
{{range .Installments}}- Parcela {{.Number}}, vencimento {{.DueDate}}: {{.Amount}} + multa {{.Fine}} + juros {{.Interest}} = {{.AmountDue}}
{{end}}Total em aberto: {{.Total}}
Multa de {{.FinePercent}} e juros de mora de {{.MonthlyInterestPercent}} ao mês, pro rata die, sobre o valor em atraso.
{{end}}{{end}}`

// datesHTML states the collection ladder's dates still to come and the restore deadline
// (RGC 765/2023 art. 71: the dates of suspension and termination, the possible
// credit-protection record, how soon the service comes back after the payment); from says
// which steps it names: "partial" (all of them), "suspension" (from the suspension on) or
// "termination".
func datesHTML(from string) string {
	s := `{{with .Collection}}<p>`
	if from == "partial" {
		s += `{{if .PartialSuspensionDate}}Sem o pagamento, o serviço será reduzido a partir de <strong>{{.PartialSuspensionDate}}</strong>. {{end}}`
	}
	if from != "termination" {
		s += `{{if .SuspensionDate}}Sem o pagamento, o serviço será suspenso a partir de <strong>{{.SuspensionDate}}</strong>. {{end}}`
	}
	return s + `{{if .TerminationDate}}Persistindo o débito, o contrato poderá ser rescindido a partir de <strong>{{.TerminationDate}}</strong>, ` +
		`e o débito poderá ser registrado em cadastros de proteção ao crédito. {{end}}` +
		`{{if .RestoreDeadline}}Após o pagamento, o serviço é restabelecido {{.RestoreDeadline}}.{{end}}</p>
{{end}}`
}

// datesText is datesHTML's plain text.
func datesText(from string) string {
	s := `{{with .Collection}}`
	if from == "partial" {
		s += `{{if .PartialSuspensionDate}}
Sem o pagamento, o serviço será reduzido a partir de {{.PartialSuspensionDate}}.{{end}}`
	}
	if from != "termination" {
		s += `{{if .SuspensionDate}}
Sem o pagamento, o serviço será suspenso a partir de {{.SuspensionDate}}.{{end}}`
	}
	return s + `{{if .TerminationDate}}
Persistindo o débito, o contrato poderá ser rescindido a partir de {{.TerminationDate}}, e o débito poderá ser registrado em cadastros de proteção ao crédito.{{end}}{{if .RestoreDeadline}}
Após o pagamento, o serviço é restabelecido {{.RestoreDeadline}}.{{end}}
{{end}}`
}

// payHTML says how to pay: each installment's boleto and PIX, where it has them.
var payHTML = join(`<p>Como pagar: use o boleto ou o PIX de cada parcela, ou fale com a nossa central de atendimento.`,
	`{{range .Collection.Installments}}{{if .Instruments.DigitableLine}}<br>Parcela {{.Number}}, boleto (linha digitável): {{.Instruments.DigitableLine}}{{end}}`,
	`{{if .Instruments.PixCopyPaste}}<br>Parcela {{.Number}}, PIX copia e cola: {{.Instruments.PixCopyPaste}}{{end}}{{end}}</p>`)

const payText = `
Como pagar: use o boleto ou o PIX de cada parcela, ou fale com a nossa central de atendimento.{{range .Collection.Installments}}{{if .Instruments.DigitableLine}}
- Parcela {{.Number}}, boleto (linha digitável): {{.Instruments.DigitableLine}}{{end}}{{if .Instruments.PixCopyPaste}}
- Parcela {{.Number}}, PIX copia e cola: {{.Instruments.PixCopyPaste}}{{end}}{{end}}
`

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
		Text: join(`Olá, {{.Customer.Name}}!

Seu contrato nº {{.Contract.ID}} do plano {{.Plan.Name}} foi criado em {{.Contract.AdhesionDate}}.
Valor: {{.Contract.Price}} ({{.Contract.PaymentMethod}}){{if .Contract.DueDay}}, com vencimento todo dia {{.Contract.DueDay}}{{end}}.

Obrigado pela confiança. Qualquer dúvida, responda este e-mail.
`, signatureText),
	},
	KindComingDue: {
		Subject: `Sua parcela de {{.Installment.AmountDue}} vence em {{.Installment.DueDate}}`,
		HTML: htmlPage(join(`<p>Lembramos que a parcela do seu contrato nº {{.Contract.ID}} ({{.Plan.Name}}) vence em breve:</p>
`, installmentHTML, `
<p>Se já pagou, desconsidere esta mensagem.</p>`)),
		Text: join(`Olá, {{.Customer.Name}}!

Lembramos que a parcela do seu contrato nº {{.Contract.ID}} ({{.Plan.Name}}) vence em breve:

`, installmentText, `

Se já pagou, desconsidere esta mensagem.
`, signatureText),
	},
	KindOverdue: {
		Subject: `Parcela vencida em {{.Installment.DueDate}}: {{.Installment.AmountDue}}`,
		HTML: htmlPage(join(`<p>Não identificamos o pagamento desta parcela do seu contrato nº {{.Contract.ID}} ({{.Plan.Name}}):</p>
`, installmentHTML, `
<p>Regularize o pagamento para evitar o bloqueio do serviço. Se já pagou, desconsidere esta mensagem.</p>`)),
		Text: join(`Olá, {{.Customer.Name}}!

Não identificamos o pagamento desta parcela do seu contrato nº {{.Contract.ID}} ({{.Plan.Name}}):

`, installmentText, `

Regularize o pagamento para evitar o bloqueio do serviço. Se já pagou, desconsidere esta mensagem.
`, signatureText),
	},
	KindReminder: {
		Subject: `Lembrete: sua parcela de {{.Installment.AmountDue}} vence em {{.Installment.DueDate}}`,
		HTML: htmlPage(join(`<p>Lembramos que a parcela do seu contrato nº {{.Contract.ID}} ({{.Plan.Name}}) vence em breve:</p>
`, installmentHTML, `
`, owedHTML, payHTML, `
<p>Se já pagou, desconsidere esta mensagem.</p>`)),
		Text: join(`Olá, {{.Customer.Name}}!

Lembramos que a parcela do seu contrato nº {{.Contract.ID}} ({{.Plan.Name}}) vence em breve:

`, installmentText, `
`, owedText, payText, `
Se já pagou, desconsidere esta mensagem.
`, signatureText),
	},
	KindBlockWarning: {
		Subject: `Aviso de débito: contrato nº {{.Contract.ID}}, {{.Collection.Total}} em aberto`,
		HTML: htmlPage(join(`<p>Não identificamos o pagamento das parcelas abaixo do seu contrato nº {{.Contract.ID}} ({{.Plan.Name}}).
Este é o aviso de débito (notificação de débito) por falta de pagamento.</p>
`, owedHTML, datesHTML("partial"), payHTML, `
<p>Se já pagou, desconsidere esta mensagem.</p>`)),
		Text: join(`Olá, {{.Customer.Name}}!

Não identificamos o pagamento das parcelas abaixo do seu contrato nº {{.Contract.ID}} ({{.Plan.Name}}).
Este é o aviso de débito (notificação de débito) por falta de pagamento.
`, owedText, datesText("partial"), payText, `
Se já pagou, desconsidere esta mensagem.
`, signatureText),
	},
	KindPartialSuspension: {
		Subject: `Serviço reduzido: contrato nº {{.Contract.ID}}, {{.Collection.Total}} em aberto`,
		HTML: htmlPage(join(`<p>O serviço do seu contrato nº {{.Contract.ID}} ({{.Plan.Name}}) foi reduzido por falta de pagamento{{if .Collection.PartialSuspensionDate}} em {{.Collection.PartialSuspensionDate}}{{end}}.</p>
`, owedHTML, datesHTML("suspension"), payHTML)),
		Text: join(`Olá, {{.Customer.Name}}!

O serviço do seu contrato nº {{.Contract.ID}} ({{.Plan.Name}}) foi reduzido por falta de pagamento{{if .Collection.PartialSuspensionDate}} em {{.Collection.PartialSuspensionDate}}{{end}}.
`, owedText, datesText("suspension"), payText, signatureText),
	},
	KindBlocked: {
		Subject: `Serviço suspenso: contrato nº {{.Contract.ID}}, {{.Collection.Total}} em aberto`,
		HTML: htmlPage(join(`<p>O serviço do seu contrato nº {{.Contract.ID}} ({{.Plan.Name}}) foi suspenso por falta de pagamento{{if .Collection.SuspensionDate}} em {{.Collection.SuspensionDate}}{{end}}.</p>
`, owedHTML, datesHTML("termination"), payHTML)),
		Text: join(`Olá, {{.Customer.Name}}!

O serviço do seu contrato nº {{.Contract.ID}} ({{.Plan.Name}}) foi suspenso por falta de pagamento{{if .Collection.SuspensionDate}} em {{.Collection.SuspensionDate}}{{end}}.
`, owedText, datesText("termination"), payText, signatureText),
	},
	KindTermination: {
		Subject: `Contrato nº {{.Contract.ID}} rescindido por falta de pagamento`,
		HTML: htmlPage(join(`<p>Seu contrato nº {{.Contract.ID}} ({{.Plan.Name}}) foi rescindido por falta de pagamento{{if .Collection.TerminationDate}} em {{.Collection.TerminationDate}}{{end}}.
Os valores abaixo continuam devidos e o débito poderá ser registrado em cadastros de proteção ao crédito.</p>
`, owedHTML, payHTML)),
		Text: join(`Olá, {{.Customer.Name}}!

Seu contrato nº {{.Contract.ID}} ({{.Plan.Name}}) foi rescindido por falta de pagamento{{if .Collection.TerminationDate}} em {{.Collection.TerminationDate}}{{end}}.
Os valores abaixo continuam devidos e o débito poderá ser registrado em cadastros de proteção ao crédito.
`, owedText, payText, signatureText),
	},
	KindUnblocked: {
		Subject: `Seu contrato nº {{.Contract.ID}} foi desbloqueado`,
		HTML:    htmlPage(`<p>Seu contrato nº {{.Contract.ID}} ({{.Plan.Name}}) foi desbloqueado. Obrigado!</p>`),
		Text: join(`Olá, {{.Customer.Name}}!

Seu contrato nº {{.Contract.ID}} ({{.Plan.Name}}) foi desbloqueado. Obrigado!
`, signatureText),
	},
	KindActivationExpired: {
		Subject: `Contrato nº {{.Contract.ID}} cancelado: primeiro pagamento não recebido`,
		HTML: htmlPage(`<p>Seu contrato nº {{.Contract.ID}} ({{.Plan.Name}}) aguardava o pagamento da primeira parcela para ser ativado.
Como o pagamento não foi identificado no prazo, o contrato foi cancelado.</p>
<p>Se quiser contratar novamente, fale com a nossa central de atendimento.</p>`),
		Text: join(`Olá, {{.Customer.Name}}!

Seu contrato nº {{.Contract.ID}} ({{.Plan.Name}}) aguardava o pagamento da primeira parcela para ser ativado.
Como o pagamento não foi identificado no prazo, o contrato foi cancelado.
Se quiser contratar novamente, fale com a nossa central de atendimento.
`, signatureText),
	},
	KindRenewed: {
		Subject: `Seu contrato nº {{.Contract.ID}} foi renovado`,
		HTML: htmlPage(`<p>Seu contrato nº {{.Contract.ID}} ({{.Plan.Name}}) foi renovado{{if .Contract.TermEnd}} até {{.Contract.TermEnd}}{{end}}.</p>
<p>Valor: {{.Contract.Price}}.</p>`),
		Text: join(`Olá, {{.Customer.Name}}!

Seu contrato nº {{.Contract.ID}} ({{.Plan.Name}}) foi renovado{{if .Contract.TermEnd}} até {{.Contract.TermEnd}}{{end}}.
Valor: {{.Contract.Price}}.
`, signatureText),
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

// join concatenates the parts of a shipped template: the templates are built from shared
// pieces by calls rather than string +, which a mutation tool would turn into - (code that
// cannot compile, so no mutant a test could tell apart).
func join(parts ...string) string { return strings.Join(parts, "") }
