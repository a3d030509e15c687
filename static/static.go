// Package static holds the files served under /static/: Procura's own CSS
// and the DSFR, copied from its npm package by `make frontend` (never
// committed). Everything is embedded in the binary.
package static

import "embed"

// FS is the embedded static tree.
//
//go:embed *
var FS embed.FS
