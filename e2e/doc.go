// Package e2e holds the end-to-end tests: they build and run the real
// binaries and drive them as people and services do, with a real browser
// (Debian's Chromium through playwright-core) and independent client
// libraries. They need the build tag `browser`, which `make test` sets.
package e2e
