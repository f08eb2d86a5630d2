package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/billingd/billingd/webhook"
)

// TestSign: the signature is the HMAC-SHA256 of "<timestamp>.<body>", computed here with
// crypto/hmac independently, and a published vector (RFC 4231 test case 2's key and text
// give its known MAC).
func TestSign(t *testing.T) {
	t.Parallel()
	body := []byte(`{"event_id":"7b0e…","kind":"installment.paid"}`)
	mac := hmac.New(sha256.New, []byte("s3cr3t-0123456789"))
	mac.Write([]byte("1780000000." + string(body)))
	if got, want := webhook.Sign("s3cr3t-0123456789", 1780000000, body), hex.EncodeToString(mac.Sum(nil)); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
	// The primitive against RFC 4231 §4.3 (test case 2): key "Jefe", data "what do ya want
	// for nothing?".
	rfc := hmac.New(sha256.New, []byte("Jefe"))
	rfc.Write([]byte("what do ya want for nothing?"))
	if got := hex.EncodeToString(rfc.Sum(nil)); got != "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" {
		t.Errorf("HMAC-SHA256 of RFC 4231 case 2 = %s", got)
	}
}

// TestVerify: a receiver accepts a delivery signed with its secret within the tolerance,
// and refuses another secret, a changed body, an old or future timestamp and malformed
// headers.
func TestVerify(t *testing.T) {
	t.Parallel()
	secret := "s3cr3t-0123456789"
	body := []byte(`{"seq":1}`)
	now := time.Unix(1780000000, 0)
	good := webhook.SignatureValue(secret, now, body)
	if !strings.HasPrefix(good, "t=1780000000,v1=") {
		t.Fatalf("header %q", good)
	}
	for _, tc := range []struct {
		name, secret, header string
		body                 []byte
		at                   time.Time
		ok                   bool
	}{
		{"good", secret, good, body, now, true},
		{"good, 4 minutes later", secret, good, body, now.Add(4 * time.Minute), true},
		{"rotated: a second v1 matches", secret, good[:strings.Index(good, ",")] + ",v1=00ff," + good[strings.Index(good, ",")+1:], body, now, true},
		{"other secret", "other-secret-0123456", good, body, now, false},
		{"body changed", secret, good, []byte(`{"seq":2}`), now, false},
		{"too old", secret, good, body, now.Add(6 * time.Minute), false},
		{"from the future", secret, good, body, now.Add(-6 * time.Minute), false},
		{"no timestamp", secret, good[strings.Index(good, ",")+1:], body, now, false},
		{"no signature", secret, "t=1780000000", body, now, false},
		{"malformed", secret, "garbage", body, now, false},
		{"bad timestamp", secret, "t=x,v1=00", body, now, false},
		{"empty", secret, "", body, now, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := webhook.Verify(tc.secret, tc.header, tc.body, tc.at, 5*time.Minute)
			if tc.ok && err != nil {
				t.Errorf("Verify: %v", err)
			}
			if !tc.ok && !errors.Is(err, webhook.ErrSignature) {
				t.Errorf("Verify = %v, want ErrSignature", err)
			}
		})
	}
}

// TestBackoff: 1s doubled with each failure, capped.
func TestBackoff(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 9: 256 * time.Second,
		10: 5 * time.Minute, 100: 5 * time.Minute} {
		if got := webhook.Backoff(n, 5*time.Minute); got != want {
			t.Errorf("Backoff(%d) = %s, want %s", n, got, want)
		}
	}
}

// FuzzVerify: any header and body are refused or accepted without a panic, and a header
// made by SignatureValue for the body always verifies.
func FuzzVerify(f *testing.F) {
	f.Add("t=1780000000,v1=abcd", []byte(`{}`))
	f.Add(",,=,", []byte(""))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		now := time.Unix(1780000000, 0)
		_ = webhook.Verify("secret-0123456789", header, body, now, time.Minute)
		if err := webhook.Verify("secret-0123456789", webhook.SignatureValue("secret-0123456789", now, body), body, now, time.Minute); err != nil {
			t.Fatal(err)
		}
	})
}
