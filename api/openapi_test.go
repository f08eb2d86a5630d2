package api

import (
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/webhook"
)

// The OpenAPI document, as far as the tests read it.
type (
	oasDoc struct {
		OpenAPI    string                                `json:"openapi"`
		Security   []map[string][]string                 `json:"security"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			SecuritySchemes map[string]struct {
				Type   string `json:"type"`
				Scheme string `json:"scheme"`
				In     string `json:"in"`
				Name   string `json:"name"`
			} `json:"securitySchemes"`
			Parameters map[string]oasParameter `json:"parameters"`
			Responses  map[string]oasResponse  `json:"responses"`
			Schemas    map[string]*oasSchema   `json:"schemas"`
		} `json:"components"`
	}
	oasOperation struct {
		OperationID string         `json:"operationId"`
		Parameters  []oasParameter `json:"parameters"`
		// Security is the operation's own requirement; nil when it has the document's.
		Security    *[]map[string][]string `json:"security"`
		RequestBody *struct {
			Content map[string]oasMedia `json:"content"`
		} `json:"requestBody"`
		Responses map[string]oasResponse `json:"responses"`
	}
	oasParameter struct {
		Ref      string `json:"$ref"`
		Name     string `json:"name"`
		In       string `json:"in"`
		Required bool   `json:"required"`
	}
	oasResponse struct {
		Ref     string              `json:"$ref"`
		Content map[string]oasMedia `json:"content"`
	}
	oasMedia struct {
		Schema *oasSchema `json:"schema"`
	}
	oasSchema struct {
		Ref                  string                `json:"$ref"`
		Type                 string                `json:"type"`
		Properties           map[string]*oasSchema `json:"properties"`
		Required             []string              `json:"required"`
		Items                *oasSchema            `json:"items"`
		AdditionalProperties any                   `json:"additionalProperties"`
	}
)

// holidayList is the body of GET /v1/holidays, which listHolidays writes as a map.
type holidayList struct {
	Items []holidayResponse `json:"items"`
}

// wire gives, for every route, the Go types of its request body (nil: none) and of its
// success answer (nil: no body) and the answer's status.
var wire = map[string]struct {
	request  any
	status   string
	response any
}{
	"POST /v1/plans":                                     {planRequest{}, "201", planResponse{}},
	"GET /v1/plans":                                      {nil, "200", list[planResponse]{}},
	"GET /v1/plans/{id}":                                 {nil, "200", planResponse{}},
	"POST /v1/customers":                                 {customerRequest{}, "201", customerResponse{}},
	"GET /v1/customers":                                  {nil, "200", list[customerResponse]{}},
	"GET /v1/customers/{id}":                             {nil, "200", customerResponse{}},
	"POST /v1/contracts":                                 {contractRequest{}, "201", contractResponse{}},
	"GET /v1/contracts":                                  {nil, "200", list[contractResponse]{}},
	"GET /v1/contracts/{id}":                             {nil, "200", contractResponse{}},
	"POST /v1/contracts/{id}/activate":                   {dateRequest{}, "200", contractResponse{}},
	"POST /v1/contracts/{id}/cancel":                     {cancelRequest{}, "200", contractResponse{}},
	"GET /v1/contracts/{id}/installments":                {nil, "200", list[installmentResponse]{}},
	"GET /v1/contracts/{id}/timeline":                    {nil, "200", TimelineJSON{}},
	"GET /v1/contracts/{id}/explain":                     {nil, "200", ExplanationJSON{}},
	"GET /v1/installments":                               {nil, "200", list[installmentResponse]{}},
	"POST /v1/installments/{id}/payments":                {paymentRequest{}, "200", paidInstallmentResponse{}},
	"GET /v1/installments/{id}":                          {nil, "200", installmentDueResponse{}},
	"GET /v1/payments":                                   {nil, "200", list[paymentResponse]{}},
	"POST /v1/payment-files":                             {nil, "201", paymentFileResponse{}},
	"GET /v1/payment-files/{id}":                         {nil, "200", paymentFileResponse{}},
	"GET /v1/payment-exceptions":                         {nil, "200", list[paymentExceptionResponse]{}},
	"POST /v1/pix/webhook":                               {pixWebhookRequest{}, "200", pixWebhookResponse{}},
	"GET /v1/payments/{id}":                              {nil, "200", paymentResponse{}},
	"POST /v1/payments/{id}/reverse":                     {reversalRequest{}, "200", reversalResponse{}},
	"POST /v1/holidays":                                  {holidayRequest{}, "201", holidayResponse{}},
	"GET /v1/holidays":                                   {nil, "200", holidayList{}},
	"DELETE /v1/holidays/{date}":                         {nil, "204", nil},
	"POST /v1/runs":                                      {runRequest{}, "202", runResponse{}},
	"GET /v1/runs":                                       {nil, "200", list[runResponse]{}},
	"GET /v1/runs/{id}":                                  {nil, "200", runResponse{}},
	"POST /v1/blocking-rules":                            {blockingRuleRequest{}, "201", blockingRuleResponse{}},
	"GET /v1/blocking-rules":                             {nil, "200", list[blockingRuleResponse]{}},
	"GET /v1/blocking-rules/{id}":                        {nil, "200", blockingRuleResponse{}},
	"POST /v1/contracts/{id}/trust-unlock":               {trustUnlockRequest{}, "200", contractResponse{}},
	"GET /v1/collections":                                {nil, "200", list[collectionResponse]{}},
	"POST /v1/contracts/{id}/due-date-rule":              {dueRuleRequest{}, "200", changeResponse{}},
	"POST /v1/contracts/{id}/plan-change":                {contractPlanRequest{}, "200", changeResponse{}},
	"POST /v1/contracts/{id}/subjects":                   {subjectRequest{}, "201", subjectResponse{}},
	"GET /v1/contracts/{id}/subjects":                    {nil, "200", list[subjectResponse]{}},
	"DELETE /v1/contracts/{id}/subjects/{subject_id}":    {nil, "200", subjectResponse{}},
	"POST /v1/contracts/{id}/pause":                      {pauseRequest{}, "200", changeResponse{}},
	"POST /v1/contracts/{id}/resume":                     {resumeRequest{}, "200", changeResponse{}},
	"GET /v1/contracts/{id}/changes":                     {nil, "200", list[changeResponse]{}},
	"DELETE /v1/contracts/{id}/changes/{change_id}":      {nil, "200", changeResponse{}},
	"POST /v1/contracts/{id}/changes/{change_id}/cancel": {cancelChangeRequest{}, "200", changeResponse{}},
	"GET /v1/installments/overdue":                       {nil, "200", list[installmentResponse]{}},
	"GET /v1/contracts/{id}/forecast":                    {nil, "200", forecastResponse{}},
	"POST /v1/simulations":                               {contractRequest{}, "200", forecastResponse{}},
	"PATCH /v1/plans/{id}":                               {planChangeRequest{}, "200", planResponse{}},
	"PATCH /v1/contracts/{id}":                           {contractRenewalRequest{}, "200", contractResponse{}},
	"POST /v1/contracts/{id}/renew":                      {decisionRequest{}, "200", contractResponse{}},
	"GET /v1/renewals":                                   {nil, "200", list[renewalResponse]{}},
	// Benefits.
	"POST /v1/benefits":                                   {benefitRequest{}, "201", benefitResponse{}},
	"GET /v1/benefits":                                    {nil, "200", list[benefitResponse]{}},
	"GET /v1/benefits/{id}":                               {nil, "200", benefitResponse{}},
	"PUT /v1/benefits/{id}":                               {benefitRequest{}, "200", benefitResponse{}},
	"POST /v1/plans/{id}/benefits":                        {planBenefitRequest{}, "201", planBenefitResponse{}},
	"GET /v1/plans/{id}/benefits":                         {nil, "200", list[planBenefitResponse]{}},
	"PUT /v1/contracts/{id}/benefits/{benefit_id}":        {contractBenefitRequest{}, "200", contractBenefitResponse{}},
	"GET /v1/contracts/{id}/benefits":                     {nil, "200", list[grantedBenefitResponse]{}},
	"POST /v1/contracts/{id}/benefit-usages":              {usageRequest{}, "201", usageResponse{}},
	"GET /v1/contracts/{id}/benefit-usages":               {nil, "200", list[usageResponse]{}},
	"DELETE /v1/contracts/{id}/benefit-usages/{usage_id}": {nil, "200", usageResponse{}},
	"GET /v1/reports/benefit-usage":                       {nil, "200", usageReportResponse{}},
	"POST /v1/contracts/{id}/charges":                     {chargeRequest{}, "201", chargeResponse{}},
	"GET /v1/contracts/{id}/charges":                      {nil, "200", list[chargeResponse]{}},
	"POST /v1/contracts/{id}/addons":                      {addonRequest{}, "201", addonResponse{}},
	"GET /v1/contracts/{id}/addons":                       {nil, "200", list[addonResponse]{}},
	"DELETE /v1/contracts/{id}/addons/{addon_id}":         {nil, "200", addonResponse{}},
	"POST /v1/email-templates":                            {templateRequest{}, "201", templateResponse{}},
	"GET /v1/email-templates":                             {nil, "200", list[templateResponse]{}},
	"GET /v1/email-templates/{id}":                        {nil, "200", templateResponse{}},
	"PUT /v1/email-templates/{id}":                        {templateRequest{}, "200", templateResponse{}},
	"GET /v1/notifications":                               {nil, "200", list[notificationResponse]{}},
	"GET /v1/notifications/{id}":                          {nil, "200", notificationResponse{}},
	"POST /v1/tokens":                                     {tokenRequest{}, "201", createdTokenResponse{}},
	"GET /v1/tokens":                                      {nil, "200", list[tokenResponse]{}},
	"DELETE /v1/tokens/{id}":                              {nil, "200", tokenResponse{}},
	"GET /v1/events":                                      {nil, "200", list[webhook.Body]{}},
	"POST /v1/webhooks":                                   {webhookRequest{}, "201", webhookResponse{}},
	"GET /v1/webhooks":                                    {nil, "200", list[webhookResponse]{}},
	"DELETE /v1/webhooks/{id}":                            {nil, "200", webhookResponse{}},
	"GET /v1/audit":                                       {nil, "200", list[auditResponse]{}},
	// Contract changes: one installment, customers, cancellation reasons.
	"PATCH /v1/installments/{id}":          {installmentPatchRequest{}, "200", installmentResponse{}},
	"POST /v1/installments/{id}/cancel":    {installmentCancelRequest{}, "200", installmentResponse{}},
	"GET /v1/installments/{id}/changes":    {nil, "200", list[installmentChangeResponse]{}},
	"PATCH /v1/customers/{id}":             {customerPatchRequest{}, "200", customerResponse{}},
	"GET /v1/cancellation-reasons":         {nil, "200", list[cancellationReasonResponse]{}},
	"POST /v1/cancellation-reasons":        {cancellationReasonRequest{}, "201", cancellationReasonResponse{}},
	"DELETE /v1/cancellation-reasons/{id}": {nil, "200", cancellationReasonResponse{}},
	"GET /v1/reports/cancellations":        {nil, "200", cancellationReportResponse{}},
	// Grouped billing.
	"GET /v1/grouped-charges/{id}":           {nil, "200", groupedChargeResponse{}},
	"POST /v1/grouped-charges/{id}/payments": {paymentRequest{}, "200", paidGroupedChargeResponse{}},
	"GET /v1/customers/{id}/grouped-charges": {nil, "200", list[groupedChargeResponse]{}},
}

// alsoAnswers gives the routes that have a second success answer its status and body type:
// a dry run is answered at once (200), a run is only enqueued (202).
var alsoAnswers = map[string]map[string]any{
	"POST /v1/contracts/{id}/charges": {"200": chargeResponse{}},
	"POST /v1/runs":                   {"200": DryRunReport{}},
	"POST /v1/payment-files":          {"200": paymentFileResponse{}},
}

func loadOpenAPI(t *testing.T) (oasDoc, map[string]oasOperation) {
	t.Helper()
	data, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc oasDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	// Every $ref in the document resolves.
	var raw any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	walkRefs(raw, func(ref string) {
		if !resolves(raw, ref) {
			t.Errorf("openapi.json: $ref %q does not resolve", ref)
		}
	})
	ops := map[string]oasOperation{}
	for path, item := range doc.Paths {
		for method, body := range item {
			switch method {
			case "get", "put", "post", "delete", "patch", "head", "options", "trace":
			default:
				t.Errorf("openapi.json: %s: unexpected path item key %q", path, method)
				continue
			}
			var op oasOperation
			if err := json.Unmarshal(body, &op); err != nil {
				t.Fatalf("openapi.json: %s %s: %v", method, path, err)
			}
			ops[strings.ToUpper(method)+" "+path] = op
		}
	}
	return doc, ops
}

func walkRefs(v any, f func(string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == "$ref" {
				f(s)
			}
			walkRefs(x, f)
		}
	case []any:
		for _, x := range v {
			walkRefs(x, f)
		}
	}
}

func resolves(doc any, ref string) bool {
	path, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return false
	}
	for _, part := range strings.Split(path, "/") {
		m, ok := doc.(map[string]any)
		if !ok {
			return false
		}
		if doc, ok = m[part]; !ok {
			return false
		}
	}
	return true
}

func (d oasDoc) schema(t *testing.T, s *oasSchema) *oasSchema {
	t.Helper()
	for s != nil && s.Ref != "" {
		s = d.Components.Schemas[strings.TrimPrefix(s.Ref, "#/components/schemas/")]
	}
	if s == nil {
		t.Fatal("missing schema")
	}
	return s
}

func (d oasDoc) response(r oasResponse) oasResponse {
	if name, ok := strings.CutPrefix(r.Ref, "#/components/responses/"); ok {
		return d.Components.Responses[name]
	}
	return r
}

// jsonFields returns the JSON object keys a struct type encodes to, with embedded structs
// flattened and "-" fields left out.
func jsonFields(typ reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || !f.IsExported() && !f.Anonymous:
		case f.Anonymous && name == "":
			maps.Copy(out, jsonFields(f.Type))
		case name == "":
			out[f.Name] = f.Type
		default:
			out[name] = f.Type
		}
	}
	return out
}

var timeType = reflect.TypeFor[time.Time]()

// checkSchema compares an object schema's properties with the JSON keys of typ, and
// recurses into nested objects and arrays of objects.
func (d oasDoc) checkSchema(t *testing.T, where string, s *oasSchema, typ reflect.Type) {
	t.Helper()
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	s = d.schema(t, s)
	switch {
	case typ == reflect.TypeFor[json.RawMessage]():
		// Raw JSON (an event's payload, what a PSP sends and billingd does not read): an object
		// or an array whose contents the document describes in prose.
		if s.Type != "object" && s.Type != "array" {
			t.Errorf("%s: want an object or array schema for raw JSON", where)
		}
	case typ.Kind() == reflect.Slice:
		if s.Type != "array" || s.Items == nil {
			t.Errorf("%s: want an array schema for %s", where, typ)
			return
		}
		d.checkSchema(t, where+"[]", s.Items, typ.Elem())
	case typ.Kind() == reflect.Struct && typ != timeType:
		fields := jsonFields(typ)
		if got, want := slices.Sorted(maps.Keys(s.Properties)), slices.Sorted(maps.Keys(fields)); !slices.Equal(got, want) {
			t.Errorf("%s: schema properties %q, want the JSON keys of %s %q", where, got, typ, want)
			return
		}
		for _, r := range s.Required {
			if _, ok := s.Properties[r]; !ok {
				t.Errorf("%s: required %q is not a property", where, r)
			}
		}
		if s.AdditionalProperties != false {
			t.Errorf("%s: want additionalProperties false", where)
		}
		for name, ft := range fields {
			d.checkSchema(t, where+"."+name, s.Properties[name], ft)
		}
	}
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	_, ops := loadOpenAPI(t)
	routes := map[string]bool{}
	for _, r := range (&Server{}).Routes() {
		routes[r] = true
	}
	routes[http.MethodPost+" "+PixWebhookPath] = true // served before the routes, under its own secret
	for what, keys := range map[string]map[string]bool{"openapi.json": keySet(ops), "the test's wire table": keySet(wire)} {
		for r := range routes {
			if !keys[r] {
				t.Errorf("%s lacks the route %q", what, r)
			}
		}
		for k := range keys {
			if !routes[k] {
				t.Errorf("%s has %q, which is not a route", what, k)
			}
		}
	}
}

func keySet[V any](m map[string]V) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

func TestOpenAPISecurity(t *testing.T) {
	t.Parallel()
	doc, ops := loadOpenAPI(t)
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi %q, want 3.0.3", doc.OpenAPI)
	}
	if s := doc.Components.SecuritySchemes["bearerAuth"]; s.Type != "http" || s.Scheme != "bearer" {
		t.Errorf("bearerAuth %+v, want http bearer", s)
	}
	if !reflect.DeepEqual(doc.Security, []map[string][]string{{"bearerAuth": {}}}) {
		t.Errorf("security %v, want bearerAuth on every operation", doc.Security)
	}
	// The one exception: the PSP calls the PIX webhook with the webhook's own secret in a
	// header (servePixWebhook), never with the bearer token.
	if s := doc.Components.SecuritySchemes["pixWebhookSecret"]; s.Type != "apiKey" || s.In != "header" || s.Name != PixWebhookSecretHeader {
		t.Errorf("pixWebhookSecret %+v, want an apiKey in the header %s", s, PixWebhookSecretHeader)
	}
	if len(doc.Components.SecuritySchemes) != 2 {
		t.Errorf("security schemes %v, want bearerAuth and pixWebhookSecret", doc.Components.SecuritySchemes)
	}
	pixWebhook := http.MethodPost + " " + PixWebhookPath
	if _, ok := ops[pixWebhook]; !ok {
		t.Errorf("no %s", pixWebhook)
	}
	for route, op := range ops {
		switch {
		case route == pixWebhook:
			if op.Security == nil || !reflect.DeepEqual(*op.Security, []map[string][]string{{"pixWebhookSecret": {}}}) {
				t.Errorf("%s: security %v, want exactly pixWebhookSecret", route, op.Security)
			}
		case op.Security != nil:
			t.Errorf("%s: security %v of its own, want the document's bearerAuth", route, *op.Security)
		}
		for _, code := range []string{"401", "500", "503"} {
			if _, ok := op.Responses[code]; !ok {
				t.Errorf("%s: no %s response", route, code)
			}
		}
	}
}

var pathParamRE = regexp.MustCompile(`\{([a-z_]+)\}`)

func TestOpenAPIParameters(t *testing.T) {
	t.Parallel()
	doc, ops := loadOpenAPI(t)
	for route, op := range ops {
		var want, got []string
		for _, m := range pathParamRE.FindAllStringSubmatch(route, -1) {
			want = append(want, m[1])
		}
		seen := map[string]bool{}
		for _, p := range op.Parameters {
			if name, ok := strings.CutPrefix(p.Ref, "#/components/parameters/"); ok {
				p = doc.Components.Parameters[name]
			}
			if seen[p.In+" "+p.Name] {
				t.Errorf("%s: parameter %s %q twice", route, p.In, p.Name)
			}
			seen[p.In+" "+p.Name] = true
			if p.In == "path" {
				got = append(got, p.Name)
				if !p.Required {
					t.Errorf("%s: path parameter %q not required", route, p.Name)
				}
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: path parameters %q, want %q", route, got, want)
		}
	}
}

func TestOpenAPIBodies(t *testing.T) {
	t.Parallel()
	doc, ops := loadOpenAPI(t)
	for route, op := range ops {
		w, ok := wire[route]
		if !ok {
			continue // TestOpenAPIMatchesRoutes reports it
		}
		switch {
		case w.request == nil && op.RequestBody != nil:
			t.Errorf("%s: documents a request body the handler does not read", route)
		case w.request != nil && op.RequestBody == nil:
			t.Errorf("%s: no request body documented", route)
		case w.request != nil:
			checkBody(t, doc, route+" request", op.RequestBody.Content, w.request)
		}
		var success []string
		for code, r := range op.Responses {
			r = doc.response(r)
			if code[0] == '2' {
				success = append(success, code)
				continue
			}
			media, ok := r.Content["application/json"]
			if !ok || doc.schema(t, media.Schema) != doc.Components.Schemas["Error"] {
				t.Errorf("%s: response %s is not the Error schema", route, code)
			}
		}
		want := []string{w.status}
		for code, body := range alsoAnswers[route] {
			want = append(want, code)
			checkBody(t, doc, route+" "+code, doc.response(op.Responses[code]).Content, body)
		}
		slices.Sort(success)
		slices.Sort(want)
		if !slices.Equal(success, want) {
			t.Errorf("%s: success responses %q, want %q", route, success, want)
			continue
		}
		r := doc.response(op.Responses[w.status])
		switch {
		case w.response == nil && r.Content != nil:
			t.Errorf("%s: documents a body for %s, which has none", route, w.status)
		case w.response != nil:
			checkBody(t, doc, route+" "+w.status, r.Content, w.response)
		}
	}
	doc.checkSchema(t, "Error", &oasSchema{Ref: "#/components/schemas/Error"}, reflect.TypeFor[apiError]())
}

// checkBody checks that content is one JSON schema matching the JSON keys of v's type.
func checkBody(t *testing.T, doc oasDoc, where string, content map[string]oasMedia, v any) {
	t.Helper()
	// A route may also answer CSV (the benefit usage report): a string schema.
	if csv, ok := content["text/csv"]; ok && csv.Schema != nil && csv.Schema.Type == "string" {
		content = maps.Clone(content)
		delete(content, "text/csv")
	}
	if len(content) != 1 || content["application/json"].Schema == nil {
		t.Errorf("%s: want exactly an application/json schema", where)
		return
	}
	doc.checkSchema(t, where, content["application/json"].Schema, reflect.TypeOf(v))
}

// TestOpenAPIDueDateRule checks the nested rule against the billing type it decodes into.
func TestOpenAPIDueDateRule(t *testing.T) {
	t.Parallel()
	doc, _ := loadOpenAPI(t)
	doc.checkSchema(t, "DueDateRule", doc.Components.Schemas["DueDateRule"], reflect.TypeFor[billing.DueDateRule]())
}
