//go:build race

package cnab240_test

// parseLimit bounds TestParseLargeFileQuickly; the race detector slows parsing about tenfold.
const parseLimit = 20e9 // 20 s
