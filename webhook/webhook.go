// Package webhook is how billingd signs the events it delivers to webhook endpoints, and how
// a receiver checks them: HMAC-SHA256, keyed by the endpoint's secret, over the delivery's
// Unix timestamp, a dot and the body, sent as
//
//	Billingd-Signature: t=<unix seconds>,v1=<hex of the HMAC>
//
// with the event's id in Billingd-Event-Id (receivers de-duplicate by it: delivery is at
// least once). The timestamp is in the signed text, so a receiver that refuses old
// timestamps refuses a replayed delivery. It also holds the retry backoff of deliveries.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/billingd/billingd/records"
)

// Header names of a delivery.
const (
	// SignatureHeader carries "t=<unix seconds>,v1=<hex HMAC-SHA256>".
	SignatureHeader = "Billingd-Signature"
	// EventIDHeader carries the event's unique id (a UUID).
	EventIDHeader = "Billingd-Event-Id"
	// EventKindHeader carries the event's kind, such as "installment.paid".
	EventKindHeader = "Billingd-Event-Kind"
)

// Sign returns the HMAC-SHA256, in lower-case hex, of timestamp "." body under secret.
func Sign(secret string, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(timestamp, 10)))
	mac.Write([]byte("."))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// SignatureValue is the Billingd-Signature header of body signed at t.
func SignatureValue(secret string, t time.Time, body []byte) string {
	ts := t.Unix()
	return "t=" + strconv.FormatInt(ts, 10) + ",v1=" + Sign(secret, ts, body)
}

// ErrSignature is the error of a delivery whose signature does not verify.
var ErrSignature = errors.New("webhook signature does not verify")

// Verify checks a delivery as a receiver does: header is its Billingd-Signature, body its
// raw body, now the receiver's clock, tolerance how old (or how far in the future) its
// timestamp may be. It returns nil when one v1 signature is the HMAC of the timestamp and
// body under secret (compared in constant time), and an error wrapping ErrSignature
// otherwise.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts int64
	var sigs []string
	haveTS := false
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return fmt.Errorf("%w: malformed part %q", ErrSignature, part)
		}
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return fmt.Errorf("%w: timestamp %q", ErrSignature, v)
			}
			ts, haveTS = n, true
		case "v1":
			sigs = append(sigs, v)
		}
	}
	if !haveTS || len(sigs) == 0 {
		return fmt.Errorf("%w: want t= and v1=", ErrSignature)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: timestamp %d is %s from now, beyond %s", ErrSignature, ts, d.Round(time.Second), tolerance)
	}
	want := []byte(Sign(secret, ts, body))
	for _, s := range sigs {
		if hmac.Equal([]byte(s), want) {
			return nil
		}
	}
	return fmt.Errorf("%w: no v1 signature matches", ErrSignature)
}

// Backoff is the wait before attempt n+1 after n failed attempts (n ≥ 1): one second,
// doubled with each failure, at most max.
func Backoff(n int, max time.Duration) time.Duration {
	d := time.Second
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

// Body is the JSON a delivery carries, and what GET /v1/events lists: one event.
type Body struct {
	// EventID is unique per event: receivers de-duplicate by it.
	EventID string `json:"event_id"`
	// Seq is the event's place in the published order (GET /v1/events?after=).
	Seq        int64           `json:"seq"`
	Kind       string          `json:"kind"`
	ContractID int64           `json:"contract_id"`
	Subject    string          `json:"subject"`
	OccurredOn string          `json:"occurred_on"`
	CreatedAt  string          `json:"created_at"`
	Payload    json.RawMessage `json:"payload"`
}

// BodyOf is the body of an event.
func BodyOf(e records.Event) Body {
	return Body{EventID: e.EventID, Seq: e.Seq, Kind: e.Kind, ContractID: e.ContractID, Subject: e.Subject,
		OccurredOn: e.OccurredOn.Format(time.DateOnly), CreatedAt: e.CreatedAt.UTC().Format(time.RFC3339Nano), Payload: e.Payload}
}
