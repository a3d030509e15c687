package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"procura/db"
	"procura/db/dbtest"
)

// The mandate signing keys are published: with them alone (no Procura
// code), anyone verifies a mandate's signature offline.
func TestMandateKeysArePublishedAndVerifyAMandateOffline(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		_, aidant := e.orgAndAidant(true)
		id := e.createMandate(e.signInAidant(aidant), aidant, "jean-luc-darcy", "logement")
		var signature string
		d.Conn(context.Background()).Raw("SELECT signature FROM mandates WHERE id = ?", id).Scan(&signature)

		resp, body := e.follow(e.newClient(), MandateKeysPath)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/jwk-set+json" {
			t.Fatalf("%s = %d %s", MandateKeysPath, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		var set jose.JSONWebKeySet
		if err := json.Unmarshal([]byte(body), &set); err != nil || len(set.Keys) == 0 || strings.Contains(body, `"d"`) {
			t.Fatalf("key set %s (%v)", body, err)
		}
		jws, err := jose.ParseSignedCompact(signature, []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA})
		if err != nil {
			t.Fatal(err)
		}
		keys := set.Key(jws.Signatures[0].Header.KeyID)
		if len(keys) != 1 {
			t.Fatalf("kid %q not published", jws.Signatures[0].Header.KeyID)
		}
		payload, err := jws.Verify(keys[0].Key)
		if err != nil || !strings.Contains(string(payload), id) {
			t.Fatalf("offline verification: %v", err)
		}
		_, page := e.follow(e.newClient(), "/mandats/verifier/"+id)
		if !strings.Contains(page, `id="cles-mandats">http://localhost:8080`+MandateKeysPath) {
			t.Errorf("verification page does not name the keys' URL")
		}
	})
}
