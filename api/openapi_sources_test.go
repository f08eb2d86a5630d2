package api

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/delinquency"
	"github.com/billingd/billingd/forecast"
	"github.com/billingd/billingd/jobs"
	"github.com/billingd/billingd/notifications"
	"github.com/billingd/billingd/records"
)

var update = flag.Bool("update", false, "rewrite the enums of openapi.json from their Go lists")

// enumSources gives, for every enumeration in openapi.json, the Go list it comes from: the
// list the code validates against or writes from. A query parameter is "METHOD /path
// ?name"; a schema property is "Schema.property" (".property" again for a nested object,
// "[]" for an array's items). A nullable enum lists null after the Go values.
var enumSources = map[string][]string{
	"GET /v1/contracts ?status":                  billing.ContractStatuses,
	"Verdict.topic":                              records.ExplainTopics,
	"GET /v1/contracts/{id}/installments ?state": records.InstallmentStates,
	"GET /v1/installments ?state":                records.InstallmentStates,
	"GET /v1/collections ?format":                exportFormats,
	"GET /v1/installments/overdue ?format":       exportFormats,
	"GET /v1/runs ?job":                          jobs.Names(),
	"GET /v1/runs ?state":                        records.RunStates,
	"GET /v1/renewals ?state":                    records.RenewalStates,
	"GET /v1/reports/benefit-usage ?group_by":    usageGroupings,
	"GET /v1/email-templates ?kind":              notifications.Kinds,
	"GET /v1/email-templates ?scope":             records.TemplateScopes,
	"GET /v1/notifications ?kind":                notifications.Kinds,
	"GET /v1/notifications ?state":               records.NoticeStates,
	"GET /v1/events ?kind":                       records.EventKinds,
	"Event.kind":                                 records.EventKinds,
	"WebhookRequest.kinds[]":                     records.EventKinds,
	"Webhook.kinds[]":                            records.EventKinds,

	"PlanRequest.kind":                          billing.PlanKinds,
	"PlanRequest.period":                        billing.Periods,
	"Plan.kind":                                 billing.PlanKinds,
	"Plan.period":                               billing.Periods,
	"DueDateRule.kind":                          billing.DueRuleKinds,
	"DueDateRule.shift":                         billing.Shifts,
	"ContractRequest.billing_method":            billing.BillingMethods,
	"ContractRequest.payment_method":            billing.PaymentMethods,
	"ContractRequest.renewal_price_mode":        billing.RenewalPriceModes,
	"Contract.status":                           billing.ContractStatuses,
	"ContractChange.kind":                       billing.ChangeKinds,
	"SubjectRequest.kind":                       billing.SubjectKinds,
	"Subject.kind":                              billing.SubjectKinds,
	"ContractChange.status":                     billing.ChangeStatuses,
	"Contract.renewal_price_mode":               billing.RenewalPriceModes,
	"Contract.renewal_state":                    records.ContractRenewalStates,
	"Installment.kind":                          billing.InstallmentKinds,
	"Installment.state":                         records.InstallmentStates,
	"GroupedCharge.state":                       records.GroupedChargeStates,
	"PaidGroupedCharge.state":                   records.GroupedChargeStates,
	"GroupedChargeInstallment.state":            records.InstallmentStates,
	"InstallmentLine.kind":                      billing.LineKinds,
	"ForecastInstallment.kind":                  billing.InstallmentKinds,
	"ForecastInstallment.source":                forecast.Sources,
	"InstallmentChange.kind":                    records.InstallmentChangeKinds,
	"PaidInstallment.kind":                      billing.InstallmentKinds,
	"PaidInstallment.state":                     records.InstallmentStates,
	"InstallmentWithAmountDue.kind":             billing.InstallmentKinds,
	"InstallmentWithAmountDue.state":            records.InstallmentStates,
	"Payment.source":                            billing.PaymentSources,
	"RunRequest.job":                            jobs.Names(),
	"Run.trigger":                               {jobs.TriggerSchedule, jobs.TriggerManual, jobs.TriggerCatchUp},
	"Run.state":                                 records.RunStates,
	"ContractRenewalRequest.renewal_price_mode": billing.RenewalPriceModes,
	"Renewal.state":                             records.RenewalStates,
	"Renewal.price_mode":                        billing.RenewalPriceModes,
	"Renewal.trigger":                           records.RenewalTriggers,
	"BlockEpisode.end_reason":                   records.EpisodeEndReasons,
	"BlockEpisode.suspension_level":             records.SegmentLevels,
	"GET /v1/collections ?step":                 collectionSteps,
	"BlockingRuleRequest.profile":               delinquency.Profiles,
	"BlockingRule.profile":                      delinquency.Profiles,
	"Contract.end_reason":                       billing.ContractEndReasons,
	"LadderPosition.profile":                    delinquency.Profiles,
	"LadderPosition.step":                       delinquency.StepNames,
	"LadderPosition.next_step":                  delinquency.NextSteps,
	"Collection.status":                         billing.ContractStatuses,
	"Collection.step":                           collectionSteps,
	"PlanBenefitRequest.renewal_period":         billing.Periods,
	"PlanBenefit.renewal_period":                billing.Periods,
	"ContractBenefitRequest.renewal_period":     billing.Periods,
	"ContractBenefit.renewal_period":            billing.Periods,
	"ContractBenefit.override_renewal_period":   billing.Periods,
	"ContractBenefitState.renewal_period":       billing.Periods,
	"EmailTemplateRequest.kind":                 notifications.Kinds,
	"EmailTemplateRequest.scope":                records.TemplateScopes,
	"EmailTemplate.kind":                        notifications.Kinds,
	"EmailTemplate.scope":                       records.TemplateScopes,
	"Notification.kind":                         notifications.Kinds,
	"Notification.state":                        records.NoticeStates,
	"AuditEntry.source":                         records.AuditSources,
	"DryRunReport.job":                          jobs.Names(),
	"DryRunEffect.action":                       records.EffectActions,
	"TimelineEntry.kind":                        records.TimelineKinds(),
}

// TestOpenAPIEnums checks every enumeration of openapi.json against the Go list the code
// uses (enumSources), so that the document cannot lag behind the code (it listed two of
// the five jobs and lacked the cancelled end of a block episode). With -update it writes the
// Go lists into the document instead: go test ./api -run TestOpenAPIEnums -update.
func TestOpenAPIEnums(t *testing.T) {
	data, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := decodeOrdered(data)
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	seen := map[string]bool{}
	changed := false
	visitEnums(doc.(orderedObject), func(where string, schema orderedObject) {
		seen[where] = true
		src, ok := enumSources[where]
		if !ok {
			t.Errorf("openapi.json: the enum of %s has no Go source in enumSources", where)
			return
		}
		got := schema.get("enum").([]any)
		want := make([]any, 0, len(src)+1)
		for _, v := range src {
			want = append(want, v)
		}
		if slices.Contains(got, nil) {
			want = append(want, nil)
		}
		if fmt.Sprint(got) == fmt.Sprint(want) {
			return
		}
		if *update {
			schema.set("enum", want)
			changed = true
			return
		}
		t.Errorf("openapi.json: the enum of %s is %v, want %v (go test ./api -run TestOpenAPIEnums -update)", where, got, want)
	})
	for where := range enumSources {
		if !seen[where] {
			t.Errorf("openapi.json has no enum at %s", where)
		}
	}
	if changed {
		out, err := encodeOrdered(doc)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("openapi.json", out, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("openapi.json: enums rewritten from their Go lists")
	}
}

// TestOpenAPIQueryParameters checks each operation's query parameters in openapi.json
// against those its route declares (and takes: any other is refused with 400), in order.
func TestOpenAPIQueryParameters(t *testing.T) {
	t.Parallel()
	doc, ops := loadOpenAPI(t)
	for _, rt := range (&Server{}).routes() {
		key := rt.method + " " + rt.path
		op, ok := ops[key]
		if !ok {
			continue // TestOpenAPIMatchesRoutes reports it
		}
		var documented []string
		for _, p := range op.Parameters {
			if name, ok := strings.CutPrefix(p.Ref, "#/components/parameters/"); ok {
				p = doc.Components.Parameters[name]
			}
			if p.In == "query" {
				documented = append(documented, p.Name)
			}
		}
		if !slices.Equal(documented, rt.query) {
			t.Errorf("%s: openapi.json documents the query parameters %q, the route takes %q", key, documented, rt.query)
		}
	}
}

// TestOpenAPIOrderedRoundTrip makes sure -update rewrites nothing but the enums: the
// document read and written again is byte for byte the same.
func TestOpenAPIOrderedRoundTrip(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := decodeOrdered(data)
	if err != nil {
		t.Fatal(err)
	}
	out, err := encodeOrdered(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, data) {
		t.Errorf("openapi.json is not as encodeOrdered writes it (two-space indent, keys in document order, final newline)")
	}
}

// visitEnums calls f with every schema holding an enum: the query parameters' and the
// properties' (recursively) of the component schemas.
func visitEnums(doc orderedObject, f func(where string, schema orderedObject)) {
	params := doc.get("components").(orderedObject).get("parameters").(orderedObject)
	for _, p := range doc.get("paths").(orderedObject) {
		for _, op := range p.value.(orderedObject) {
			list, _ := op.value.(orderedObject).get("parameters").([]any)
			for _, raw := range list {
				param := raw.(orderedObject)
				if ref, ok := param.get("$ref").(string); ok {
					param = params.get(strings.TrimPrefix(ref, "#/components/parameters/")).(orderedObject)
				}
				if param.get("in") != "query" {
					continue
				}
				if schema, ok := param.get("schema").(orderedObject); ok && schema.get("enum") != nil {
					f(strings.ToUpper(op.key)+" "+p.key+" ?"+param.get("name").(string), schema)
				}
			}
		}
	}
	var walk func(where string, schema orderedObject)
	walk = func(where string, schema orderedObject) {
		if schema.get("enum") != nil {
			f(where, schema)
		}
		if items, ok := schema.get("items").(orderedObject); ok {
			walk(where+"[]", items)
		}
		if props, ok := schema.get("properties").(orderedObject); ok {
			for _, p := range props {
				walk(where+"."+p.key, p.value.(orderedObject))
			}
		}
	}
	for _, s := range doc.get("components").(orderedObject).get("schemas").(orderedObject) {
		walk(s.key, s.value.(orderedObject))
	}
}

// orderedObject is a JSON object that keeps its keys in document order, so that the
// document can be rewritten without reordering it.
type orderedObject []orderedField

type orderedField struct {
	key   string
	value any
}

func (o orderedObject) get(key string) any {
	for _, f := range o {
		if f.key == key {
			return f.value
		}
	}
	return nil
}

func (o orderedObject) set(key string, v any) {
	for i := range o {
		if o[i].key == key {
			o[i].value = v
			return
		}
	}
}

// MarshalJSON writes the object compactly, keys in order, without HTML escaping.
func (o orderedObject) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			buf.WriteByte(',')
		}
		for _, v := range []any{f.key, f.value} {
			b, err := marshalPlain(v)
			if err != nil {
				return nil, err
			}
			buf.Write(b)
			if v == any(f.key) {
				buf.WriteByte(':')
			}
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// marshalPlain is json.Marshal without HTML escaping.
func marshalPlain(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// decodeOrdered decodes JSON into orderedObject, []any, string, json.Number, bool and nil.
func decodeOrdered(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("data after the document")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		obj := orderedObject{}
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			obj = append(obj, orderedField{key: key.(string), value: v})
		}
		_, err := dec.Token() // }
		return obj, err
	case json.Delim('['):
		arr := []any{}
		for dec.More() {
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err := dec.Token() // ]
		return arr, err
	}
	return tok, nil
}

// encodeOrdered writes the document as openapi.json is kept: two-space indent, a final
// newline.
func encodeOrdered(doc any) ([]byte, error) {
	compact, err := marshalPlain(doc)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, compact, "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}
