package authz

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ory/fosite"
)

func testSession() *Session {
	now := time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)
	s := NewSession()
	s.SetSubject("pairwise-usager")
	c := s.IDTokenClaims()
	c.Subject, c.Nonce, c.AuthTime = "pairwise-usager", "nonce-0123456789abcdefghij", now
	c.AuthenticationContextClassReference = "eidas1"
	c.Extra = map[string]any{"rep_scope": []any{"Social-Santé"}}
	s.IDTokenHeaders().Extra["kid"] = "key-1"
	s.SetExpiresAt(fosite.AccessToken, now.Add(time.Hour))
	s.AidantID, s.UsagerID = "aidant-1", "usager-pseudonym"
	s.OrganisationID, s.OrganisationSIRET = "org-1", "12345678901234"
	s.PermissionID, s.MandateID, s.Procedure = "perm-1", "mandate-1", "social"
	s.AuthTime = now
	return s
}

func TestSessionJSONRoundTrip(t *testing.T) {
	want := testSession()
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var got Session
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.AidantID != want.AidantID || got.UsagerID != want.UsagerID || got.OrganisationID != want.OrganisationID ||
		got.OrganisationSIRET != want.OrganisationSIRET || got.PermissionID != want.PermissionID ||
		got.MandateID != want.MandateID || got.Procedure != want.Procedure || !got.AuthTime.Equal(want.AuthTime) {
		t.Errorf("Procura fields: got %+v, want %+v", got, *want)
	}
	if got.GetSubject() != "pairwise-usager" || got.IDTokenClaims().Nonce != want.IDTokenClaims().Nonce ||
		!got.IDTokenClaims().AuthTime.Equal(want.AuthTime) || got.IDTokenClaims().AuthenticationContextClassReference != "eidas1" ||
		got.IDTokenHeaders().Extra["kid"] != "key-1" || !got.GetExpiresAt(fosite.AccessToken).Equal(want.GetExpiresAt(fosite.AccessToken)) {
		t.Errorf("OpenID Connect session: got %+v", got.DefaultSession)
	}
	again, err := json.Marshal(&got)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(b) {
		t.Errorf("second round trip differs:\n%s\n%s", b, again)
	}
}

func TestSessionClone(t *testing.T) {
	s := testSession()
	c := s.Clone().(*Session)
	c.PermissionID = "other"
	c.IDTokenClaims().Nonce = "other"
	c.IDTokenHeaders().Extra["kid"] = "other"
	c.SetExpiresAt(fosite.AccessToken, time.Time{})
	if s.PermissionID != "perm-1" || s.IDTokenClaims().Nonce == "other" || s.IDTokenHeaders().Extra["kid"] != "key-1" ||
		s.GetExpiresAt(fosite.AccessToken).IsZero() {
		t.Errorf("changing a clone changed the original: %+v", s)
	}
	if (*Session)(nil).Clone() != nil {
		t.Error("nil session: Clone should be nil")
	}
}

// A session decoded from JSON without its OpenID Connect part (an older or
// damaged row) must not panic where fosite calls it.
func TestSessionWithoutOpenIDConnectPart(t *testing.T) {
	var s Session
	if err := json.Unmarshal([]byte(`{"permission_id":"p"}`), &s); err != nil {
		t.Fatal(err)
	}
	if s.GetSubject() != "" || s.GetUsername() != "" || !s.GetExpiresAt(fosite.AccessToken).IsZero() {
		t.Error("empty session: want zero values")
	}
	s.SetExpiresAt(fosite.AccessToken, time.Now())
	s.IDTokenClaims().Subject = "x"
	s.IDTokenHeaders()
	_ = s.Clone()
}
