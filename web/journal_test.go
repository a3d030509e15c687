package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/mod/sumdb/note"

	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
	"procura/keyring"
)

// integrateJournal integrates every entry of the env's journal, signing with
// the keyring's journal key.
func (e *env) integrateJournal() {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.keys.Ensure(ctx, keyring.PurposeJournal, jose.EdDSA); err != nil {
		e.t.Fatal(err)
	}
	j := audit.New(e.db, e.clock.Now)
	s := audit.NewSequencer(j, testJournalOrigin, func(ctx context.Context) (note.Signer, error) {
		return e.keys.NoteSigner(ctx, testJournalOrigin)
	})
	for deadline := time.Now().Add(integrationWait); ; time.Sleep(20 * time.Millisecond) {
		if _, err := s.Integrate(ctx); err != nil {
			e.t.Fatal(err)
		}
		if n, err := j.Pending(ctx); err != nil || n == 0 {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatal("journal not integrated in time")
		}
	}
}

// integrationWait bounds how long a test waits for entries to be
// integrated. On PostgreSQL the sequencer waits for every transaction that
// has written and is still open in the whole cluster, and other packages'
// tests share the cluster: usually milliseconds, but give them time.
const integrationWait = 90 * time.Second

var receiptLink = regexp.MustCompile(`href="(/usager/actes/\d+/recu)"`)

func TestUsagerDownloadsAndChecksTheReceiptOfAnAct(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		_, aidant := e.orgAndAidant(true)
		e.createMandate(e.signInAidant(aidant), aidant, "jean-luc-darcy", "social")
		e.integrateJournal()

		c := e.signInUsager("jean-luc-darcy")
		_, body := e.follow(c, "/usager/espace")
		m := receiptLink.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no receipt link in the usager space: %s", body)
		}
		resp, receipt := e.follow(c, m[1])
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("receipt = %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), receipt)
		}
		// Another usager does not get it.
		if resp, _ := e.follow(e.signInUsager("oceane-payet"), m[1]); resp.StatusCode != http.StatusNotFound {
			t.Errorf("another usager's receipt = %d, want 404", resp.StatusCode)
		}

		anonymous := e.newClient()
		if resp, cp := e.follow(anonymous, "/journal/checkpoint"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(cp, testJournalOrigin+"\n") {
			t.Errorf("/journal/checkpoint = %d %q", resp.StatusCode, cp)
		}
		if resp, _ := e.follow(anonymous, "/journal/tile/0/000.p/1"); resp.StatusCode != http.StatusOK {
			t.Errorf("/journal/tile/0/000.p/1 = %d", resp.StatusCode)
		}
		_, page := e.follow(anonymous, "/journal")
		if !strings.Contains(page, testJournalOrigin+"&#43;") || !strings.Contains(page, "point de contrôle") {
			t.Fatalf("journal page: %s", page)
		}
		tests := []struct {
			name, receipt, want string
		}{
			{"valid", receipt, "Reçu valide"},
			{"changed", strings.Replace(receipt, `"mandate.created"`, `"mandate.revoked"`, 1), "le reçu a été modifié"},
			{"garbage", "{not a receipt", "pas un reçu lisible"},
		}
		for _, tt := range tests {
			resp, page := e.follow(anonymous, "/journal?"+url.Values{"recu": {tt.receipt}}.Encode())
			if resp.StatusCode != http.StatusOK || !strings.Contains(page, tt.want) {
				t.Errorf("%s: %d, page without %q: %s", tt.name, resp.StatusCode, tt.want, page)
			}
		}
	})
}
