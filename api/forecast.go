package api

import (
	"net/http"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/forecast"
)

// forecastResponse is GET /v1/contracts/{id}/forecast and POST /v1/simulations: what a
// contract will be billed from today until the date asked, assuming each installment is
// paid on its due date (see package forecast).
type forecastResponse struct {
	ContractID     *int64                `json:"contract_id"`
	From           string                `json:"from"`
	Until          string                `json:"until"`
	Installments   []forecastInstallment `json:"installments"`
	Renewals       []forecastRenewal     `json:"renewals"`
	Quotas         []forecastQuota       `json:"quotas"`
	RenewalStopped *string               `json:"renewal_stopped"`
	// PackageCycles are a package contract's cycles opening by date by until, and
	// PackageCyclesNote what they leave out (null for a contract that is not a package).
	PackageCycles     []forecastPackageCycle `json:"package_cycles"`
	PackageCyclesNote *string                `json:"package_cycles_note"`
	// Totals of the installments listed: what they charge, what they discount, and the
	// difference (before any on-time discount).
	TotalAmount   string `json:"total_amount"`
	TotalDiscount string `json:"total_discount"`
	TotalDue      string `json:"total_due"`
}

// forecastInstallment is one installment of a forecast: an existing open one (id set) or
// one generation or renewal would create (id null).
type forecastInstallment struct {
	ID             *int64         `json:"id"`
	Source         string         `json:"source"`
	Kind           string         `json:"kind"`
	Term           int            `json:"term"`
	Sequence       int            `json:"sequence"`
	ServiceStart   *string        `json:"service_start"`
	ServiceEnd     *string        `json:"service_end"`
	NominalDue     string         `json:"nominal_due"`
	DueDate        string         `json:"due_date"`
	Amount         string         `json:"amount"`
	Discount       string         `json:"discount"`
	OnTimeDiscount string         `json:"on_time_discount"`
	Lines          []lineResponse `json:"lines"`
}

type forecastRenewal struct {
	Term      int    `json:"term"`
	QueuedOn  string `json:"queued_on"`
	RenewedOn string `json:"renewed_on"`
	NewTerm   int    `json:"new_term"`
	Price     string `json:"price"`
	TermEnd   string `json:"term_end"`
}

type forecastQuota struct {
	BenefitID     int64  `json:"benefit_id"`
	Name          string `json:"name"`
	PeriodStart   string `json:"period_start"`
	PeriodEnd     string `json:"period_end"`
	Granted       int    `json:"granted"`
	AvailableFrom string `json:"available_from"`
}

// forecastPackageCycle is a package cycle a forecast expects to open by date, with its
// installment.
type forecastPackageCycle struct {
	Cycle      int    `json:"cycle"`
	OpensOn    string `json:"opens_on"`
	Sequence   int    `json:"sequence"`
	NominalDue string `json:"nominal_due"`
	DueDate    string `json:"due_date"`
	Amount     string `json:"amount"`
	Discount   string `json:"discount"`
	Existing   bool   `json:"existing"`
}

func toForecast(contract *int64, f forecast.Forecast) forecastResponse {
	out := forecastResponse{ContractID: contract, From: billing.FormatDate(f.From), Until: billing.FormatDate(f.Until),
		Installments: []forecastInstallment{}, Renewals: []forecastRenewal{}, Quotas: []forecastQuota{},
		PackageCycles: []forecastPackageCycle{}}
	if f.RenewalStopped != "" {
		out.RenewalStopped = &f.RenewalStopped
	}
	if f.CyclesNote != "" {
		out.PackageCyclesNote = &f.CyclesNote
	}
	for _, c := range f.Cycles {
		out.PackageCycles = append(out.PackageCycles, forecastPackageCycle{Cycle: c.Cycle, OpensOn: billing.FormatDate(c.OpensOn),
			Sequence: c.Sequence, NominalDue: billing.FormatDate(c.NominalDue), DueDate: billing.FormatDate(c.DueDate),
			Amount: money(c.Amount), Discount: money(c.Discount), Existing: c.Existing})
	}
	var amount, discount decimal.Decimal
	for _, it := range f.Installments {
		fi := forecastInstallment{Source: it.Source, Kind: string(it.Kind), Term: it.Term, Sequence: it.Sequence,
			ServiceStart: optDate(it.ServiceStart), ServiceEnd: optDate(it.ServiceEnd),
			NominalDue: billing.FormatDate(it.NominalDue), DueDate: billing.FormatDate(it.DueDate),
			Amount: money(it.Amount), Discount: money(it.Discount), OnTimeDiscount: money(it.OnTimeDiscount),
			Lines: toLines(it.Lines)}
		if it.ID != 0 {
			id := it.ID
			fi.ID = &id
		}
		amount, discount = amount.Add(it.Amount), discount.Add(it.Discount)
		out.Installments = append(out.Installments, fi)
	}
	out.TotalAmount, out.TotalDiscount, out.TotalDue = money(amount), money(discount), money(amount.Sub(discount))
	for _, r := range f.Renewals {
		out.Renewals = append(out.Renewals, forecastRenewal{Term: r.Term, QueuedOn: billing.FormatDate(r.QueuedOn),
			RenewedOn: billing.FormatDate(r.RenewedOn), NewTerm: r.NewTerm, Price: money(r.Price), TermEnd: billing.FormatDate(r.TermEnd)})
	}
	for _, q := range f.Quotas {
		out.Quotas = append(out.Quotas, forecastQuota{BenefitID: q.BenefitID, Name: q.Name,
			PeriodStart: billing.FormatDate(q.PeriodStart), PeriodEnd: billing.FormatDate(q.PeriodEnd), Granted: q.Granted,
			AvailableFrom: billing.FormatDate(q.AvailableFrom)})
	}
	return out
}

// forecastUntil reads the required ?until= of a forecast and checks it against today
// (forecast.CheckUntil: 422 before today or more than forecast.MaxYears after it).
func (s *Server) forecastUntil(r *http.Request) (until time.Time, err error) {
	until, err = queryDate(r, "until")
	if err != nil {
		return until, err
	}
	if until.IsZero() {
		return until, billing.Fieldf("until", "required: the last due date to forecast, YYYY-MM-DD")
	}
	return until, forecast.CheckUntil("until", s.today(), until)
}

func (s *Server) contractForecast(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	until, err := s.forecastUntil(r)
	if err != nil {
		return err
	}
	basis, cal, err := s.store.ForecastBasis(r.Context(), id)
	if err != nil {
		return err
	}
	f, err := forecast.Compute(basis, s.today(), until, s.cfg.RenewalThresholds, cal)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toForecast(&id, f))
}

// simulate is POST /v1/simulations: a contract body, validated as POST /v1/contracts
// validates it, forecast as if it were created today; nothing is saved.
func (s *Server) simulate(w http.ResponseWriter, r *http.Request) error {
	var req contractRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	until, err := s.forecastUntil(r)
	if err != nil {
		return err
	}
	c, err := req.contract()
	if err != nil {
		return err
	}
	if _, err := req.welcome(); err != nil {
		return err
	}
	basis, cal, err := s.store.SimulationBasis(r.Context(), c, req.Price == nil)
	if err != nil {
		return err
	}
	f, err := forecast.Compute(basis, s.today(), until, s.cfg.RenewalThresholds, cal)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toForecast(nil, f))
}
