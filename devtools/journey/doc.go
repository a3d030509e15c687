// Package journey walks Procura's pages as a person's browser does, with
// plain net/http and a cookie jar: an aidant signs in (email, password,
// TOTP code), creates a mandate through the FranceConnect sandbox, and
// picks a usager and a procedure on the choice page of a delegated login;
// a confidential service then redeems the code and reads UserInfo.
//
// It is a development tool, the one copy shared by the end-to-end tests,
// the web tests and the load generator (cmd/loadgen). It imports no
// Procura package, so that web's tests can use it and the load generator
// stays a small HTTP client; the browser tests (Playwright) stay what a
// person does, and the services' side of the end-to-end tests uses
// independent OIDC client libraries.
//
// What it reads of a page is what a browser submits: the forms' hidden
// inputs (csrf_token, text_version) and the submit buttons' names and
// values (permission_id on /oidc/choix, identity on the sandbox's page),
// found by name whatever the markup around them. Every failure is an
// *Error saying which step failed, with the status and the page's text.
package journey
