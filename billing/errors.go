package billing

import (
	"errors"
	"fmt"
)

// ErrNotFound is returned when a record with the requested id does not exist.
var ErrNotFound = errors.New("not found")

// ErrBenefitNotFound, ErrUsageNotFound and ErrRunNotFound wrap ErrNotFound for a benefit or
// a benefit use named beside the contract a request is about, and for a job run, so the
// caller can name the right field.
var (
	ErrBenefitNotFound = fmt.Errorf("benefit %w", ErrNotFound)
	ErrUsageNotFound   = fmt.Errorf("benefit use %w", ErrNotFound)
	ErrRunNotFound     = fmt.Errorf("run %w", ErrNotFound)
)

// ErrConflict is returned when a change contradicts the current state of a record.
var ErrConflict = errors.New("conflict")
