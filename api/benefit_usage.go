package api

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/benefits"
	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

type usageRequest struct {
	BenefitID int64  `json:"benefit_id"`
	UsedAt    string `json:"used_at"`
	Quantity  *int   `json:"quantity"`
	// SubjectID names the contract's subject that used the benefit (issue 19 item 1).
	SubjectID int64 `json:"subject_id"`
}

type usageResponse struct {
	ID                 int64   `json:"id"`
	ContractID         int64   `json:"contract_id"`
	SubjectID          *int64  `json:"subject_id"`
	BenefitID          int64   `json:"benefit_id"`
	UsedAt             string  `json:"used_at"`
	Quantity           int     `json:"quantity"`
	UnitCost           string  `json:"unit_cost"`
	TotalCost          string  `json:"total_cost"`
	ReversedAt         *string `json:"reversed_at"`
	BalanceID          int64   `json:"balance_id"`
	PeriodStart        string  `json:"period_start"`
	PeriodEnd          *string `json:"period_end"`
	Cycle              *int    `json:"cycle"`
	Granted            int     `json:"granted"`
	Used               int     `json:"used"`
	Remaining          int     `json:"remaining"`
	NextInstallmentID  *int64  `json:"next_installment_id"`
	NextInstallmentDue *string `json:"next_installment_due"`
	// Overage is how many of the units went beyond the quota, billed at OverageUnitPrice
	// (OverageAmount in all) on installment OverageInstallmentID (null while none is open
	// after the use).
	Overage              int     `json:"overage"`
	OverageUnitPrice     *string `json:"overage_unit_price"`
	OverageAmount        string  `json:"overage_amount"`
	OverageInstallmentID *int64  `json:"overage_installment_id"`
}

func toUsage(u records.Usage) usageResponse {
	out := usageResponse{
		ID: u.ID, ContractID: u.ContractID, BenefitID: u.BenefitID, UsedAt: billing.FormatDate(u.UsedAt),
		Quantity: u.Quantity, UnitCost: money(u.UnitCost), TotalCost: money(u.UnitCost.Mul(decimal.NewFromInt(int64(u.Quantity)))),
		BalanceID: u.Balance.ID, PeriodStart: billing.FormatDate(u.Balance.PeriodStart), PeriodEnd: optDate(u.Balance.PeriodEnd),
		Granted: u.Balance.Granted, Used: u.Balance.Used, Remaining: u.Balance.Granted - u.Balance.Used,
	}
	if u.SubjectID > 0 {
		out.SubjectID = &u.SubjectID
	}
	out.Overage, out.OverageAmount = u.Overage, money(u.OverageUnitPrice.Mul(decimal.NewFromInt(int64(u.Overage))))
	if u.Overage > 0 {
		out.OverageUnitPrice = optMoney(&u.OverageUnitPrice)
	}
	if u.OverageInstallmentID > 0 {
		out.OverageInstallmentID = &u.OverageInstallmentID
	}
	if u.ReversedAt != nil {
		at := u.ReversedAt.UTC().Format(time.RFC3339)
		out.ReversedAt = &at
	}
	if u.Balance.Cycle > 0 {
		out.Cycle = &u.Balance.Cycle
	}
	if u.NextInstallment != nil {
		out.NextInstallmentID = &u.NextInstallment.ID
		out.NextInstallmentDue = optDate(u.NextInstallment.DueDate)
	}
	return out
}

func (s *Server) recordUse(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req usageRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.BenefitID < 1 {
		return billing.Fieldf("benefit_id", "required: the id of a benefit")
	}
	usedAt, err := parseDateField("used_at", req.UsedAt)
	if err != nil {
		return err
	}
	if today := s.today(); usedAt.After(today) {
		return billing.Fieldf("used_at", "%s is in the future (today is %s)", billing.FormatDate(usedAt), billing.FormatDate(today))
	}
	quantity := 1
	if req.Quantity != nil {
		quantity = *req.Quantity
	}
	if quantity < 1 || quantity > benefits.MaxQuantity {
		return billing.Fieldf("quantity", "must be between 1 and %d, got %d", benefits.MaxQuantity, quantity)
	}
	var u records.Usage
	switch {
	case req.SubjectID < 0:
		return billing.Fieldf("subject_id", "want the id of one of the contract's subjects, got %d", req.SubjectID)
	case req.SubjectID > 0:
		u, err = s.store.RecordSubjectUse(r.Context(), id, req.SubjectID, req.BenefitID, usedAt, quantity)
	default:
		u, err = s.store.RecordUse(r.Context(), id, req.BenefitID, usedAt, quantity)
	}
	if err != nil {
		return err
	}
	return respond(w, http.StatusCreated, toUsage(u))
}

func (s *Server) reverseUse(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	v := r.PathValue("usage_id")
	usageID, perr := strconv.ParseInt(v, 10, 64)
	if perr != nil || usageID < 1 {
		return invalid("usage_id", "want a positive whole number, got %q", v)
	}
	u, err := s.store.ReverseUse(r.Context(), id, usageID, s.cfg.Now())
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toUsage(u))
}

// refusalStatus is the HTTP status of a refused use: 422 when the benefit named in the
// body is at fault, 409 when the contract's state or balance forbids the use.
func refusalStatus(r benefits.Reason) (int, string) {
	switch r {
	case benefits.NotGranted, benefits.BenefitInactive:
		return http.StatusUnprocessableEntity, "benefit_id"
	default:
		return http.StatusConflict, ""
	}
}

// The groupings of the benefit usage report (?group_by=): by benefit (the default) or by
// benefit and customer.
const (
	groupByBenefit  = "benefit"
	groupByCustomer = "customer"
)

var usageGroupings = []string{groupByBenefit, groupByCustomer}

type usageReportLine struct {
	BenefitID    int64   `json:"benefit_id"`
	BenefitName  string  `json:"benefit_name"`
	CustomerID   *int64  `json:"customer_id"`
	CustomerName *string `json:"customer_name"`
	Uses         int64   `json:"uses"`
	UnitCost     string  `json:"unit_cost"`
	TotalCost    string  `json:"total_cost"`
	// Overage is the units beyond the quota among the uses; OverageAmount what they bill.
	Overage       int64  `json:"overage"`
	OverageAmount string `json:"overage_amount"`
}

type usageReportResponse struct {
	From      *string           `json:"from"`
	To        *string           `json:"to"`
	Items     []usageReportLine `json:"items"`
	TotalUses int64             `json:"total_uses"`
	TotalCost string            `json:"total_cost"`
}

func (s *Server) usageReport(w http.ResponseWriter, r *http.Request) error {
	var f records.UsageReportFilter
	var err error
	if f.From, f.To, err = queryDateRange(r); err != nil {
		return err
	}
	if f.CustomerID, err = queryInt(r, "customer_id"); err != nil {
		return err
	}
	if f.BenefitID, err = queryInt(r, "benefit_id"); err != nil {
		return err
	}
	groupBy, err := queryEnum(r, "group_by", usageGroupings)
	if err != nil {
		return err
	}
	f.ByCustomer = groupBy == groupByCustomer
	lines, err := s.store.UsageReport(r.Context(), f)
	if err != nil {
		return err
	}
	out := usageReportResponse{From: optDate(f.From), To: optDate(f.To), Items: make([]usageReportLine, len(lines))}
	total := decimal.Zero
	for i, l := range lines {
		out.Items[i] = usageReportLine{BenefitID: l.BenefitID, BenefitName: l.BenefitName, Uses: l.Uses,
			UnitCost: money(l.UnitCost), TotalCost: money(l.TotalCost), Overage: l.Overage, OverageAmount: money(l.OverageAmount)}
		if f.ByCustomer {
			out.Items[i].CustomerID, out.Items[i].CustomerName = &l.CustomerID, &l.CustomerName
		}
		out.TotalUses += l.Uses
		total = total.Add(l.TotalCost)
	}
	out.TotalCost = money(total)
	if strings.Contains(r.Header.Get("Accept"), "text/csv") {
		writeUsageCSV(w, out)
		return nil
	}
	return respond(w, http.StatusOK, out)
}

// writeUsageCSV writes the report as RFC 4180 CSV (comma-separated, decimal point), one
// line per report line with a header; customer columns are empty unless grouped by customer.
func writeUsageCSV(w http.ResponseWriter, rep usageReportResponse) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="benefit-usage.csv"`)
	w.WriteHeader(http.StatusOK)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"benefit_id", "benefit_name", "customer_id", "customer_name", "uses", "unit_cost", "total_cost", "overage", "overage_amount"})
	for _, l := range rep.Items {
		var customer, name string
		if l.CustomerID != nil {
			customer, name = strconv.FormatInt(*l.CustomerID, 10), *l.CustomerName
		}
		_ = cw.Write([]string{strconv.FormatInt(l.BenefitID, 10), cell(l.BenefitName), customer, cell(name),
			strconv.FormatInt(l.Uses, 10), l.UnitCost, l.TotalCost, strconv.FormatInt(l.Overage, 10), l.OverageAmount})
	}
	cw.Flush()
}

// cell keeps a spreadsheet from reading a name as a formula (CSV injection): a value
// starting with =, +, -, @, tab or carriage return gets a leading apostrophe.
func cell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
