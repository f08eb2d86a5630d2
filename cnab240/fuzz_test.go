package cnab240_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/billingd/billingd/cnab240"
)

// FuzzParseReturnFile checks that reading any bytes never panics, that a refusal is always an
// *Error with a line number, and that a file read successfully re-serialises (Write) to one
// that reads back to the same settlements.
func FuzzParseReturnFile(f *testing.F) {
	f.Add([]byte(goldenText("\r\n")))
	f.Add([]byte(goldenText("\n") + "\x1a"))
	f.Add([]byte(strings.Join(golden[:4], "\n")))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, in []byte) {
		file, err := cnab240.Parse(bytes.NewReader(in))
		if err != nil {
			var pe *cnab240.Error
			if !errors.As(err, &pe) || pe.Line < 1 {
				t.Fatalf("Parse refused with %v, want an *Error with a line", err)
			}
			return
		}
		var buf bytes.Buffer
		if err := cnab240.Write(&buf, file); err != nil {
			t.Fatalf("Write(parsed) = %v", err)
		}
		again, err := cnab240.Parse(&buf)
		if err != nil {
			t.Fatalf("Parse(Write(parsed)) = %v", err)
		}
		if again.BankCode != file.BankCode || !again.GeneratedOn.Equal(file.GeneratedOn) || again.Sequence != file.Sequence || len(again.Settlements) != len(file.Settlements) {
			t.Fatalf("re-read file %+v, want %+v", again, file)
		}
		for i := range file.Settlements {
			if !sameSettlement(again.Settlements[i], file.Settlements[i]) {
				t.Fatalf("settlement %d re-read as %+v, want %+v", i, again.Settlements[i], file.Settlements[i])
			}
		}
	})
}
