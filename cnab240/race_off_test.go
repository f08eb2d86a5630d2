//go:build !race

package cnab240_test

// parseLimit bounds TestParseLargeFileQuickly: twenty times the ~0.1 s it takes, for a shared machine.
const parseLimit = 2e9 // 2 s
