package webhook_test

import (
	"errors"
	"testing"
	"time"

	"github.com/billingd/billingd/webhook"
)

// TestVerifyToleranceEdges: a timestamp exactly the tolerance old, or exactly the tolerance
// ahead of the receiver's clock, is accepted; one second beyond either edge is refused.
func TestVerifyToleranceEdges(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-0123456789"
	body := []byte(`{"seq":7}`)
	signedAt := time.Unix(1780000000, 0)
	header := webhook.SignatureValue(secret, signedAt, body)
	for _, tc := range []struct {
		name string
		now  time.Time
		ok   bool
	}{
		{"exactly 5 minutes old", time.Unix(1780000300, 0), true},
		{"5 minutes and 1 second old", time.Unix(1780000301, 0), false},
		{"exactly 5 minutes ahead", time.Unix(1779999700, 0), true},
		{"5 minutes and 1 second ahead", time.Unix(1779999699, 0), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := webhook.Verify(secret, header, body, tc.now, 5*time.Minute)
			if tc.ok && err != nil {
				t.Errorf("Verify: %v, want accepted", err)
			}
			if !tc.ok && !errors.Is(err, webhook.ErrSignature) {
				t.Errorf("Verify = %v, want ErrSignature", err)
			}
		})
	}
}

// TestSignatureValueLiteral: the header of a known body, secret and instant, its HMAC worked
// out with `printf '%s' '1780000000.{"seq":7}' | openssl dgst -sha256 -hmac 's3cr3t-0123456789'`.
func TestSignatureValueLiteral(t *testing.T) {
	t.Parallel()
	got := webhook.SignatureValue("s3cr3t-0123456789", time.Unix(1780000000, 0).In(time.FixedZone("BRT", -3*3600)), []byte(`{"seq":7}`))
	if want := "t=1780000000,v1=69ac666688fc9be9204f7658fbf624d365ea461d218227b78523dfc275de4a6c"; got != want {
		t.Errorf("SignatureValue = %s, want %s", got, want)
	}
}
