package authz

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"

	"procura/db"
	"procura/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// testClock is a clock tests move by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock { return &testClock{t: time.Now().UTC().Truncate(time.Second)} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func randomID(t testing.TB, prefix string) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return prefix + hex.EncodeToString(b)
}

// fixture is a store on one database with one registered client.
type fixture struct {
	store  *Store
	db     *db.DB
	clock  *testClock
	client *Client
	secret string
}

func newFixture(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	clock := newTestClock()
	s := NewStore(d, clock.Now)
	c, secret, err := s.CreateClient(context.Background(), ClientRegistration{
		Name:         "Service de test",
		RedirectURIs: []string{"https://service.example/callback"},
		Scopes:       []string{"openid", "offline_access", "procedure:social"},
		Procedures:   []string{"social"},
	})
	if err != nil {
		t.Fatalf("CreateClient: %v", err)
	}
	return &fixture{store: s, db: d, clock: clock, client: c, secret: secret}
}

// delegation names the permission a request is issued under.
type delegation struct {
	permissionID, mandateID string
}

func newDelegation(t *testing.T) delegation {
	return delegation{permissionID: randomID(t, "perm-"), mandateID: randomID(t, "mandate-")}
}

// newRequest returns a request as fosite would store it after a delegated
// login under del, its form holding secrets the store must drop.
func (f *fixture) newRequest(t *testing.T, del delegation) *fosite.Request {
	t.Helper()
	now := f.clock.Now()
	sess := NewSession()
	sess.SetSubject("pairwise-usager")
	sess.IDTokenClaims().Subject = "pairwise-usager"
	sess.IDTokenClaims().Nonce = "nonce-0123456789abcdefghij"
	sess.IDTokenHeaders().Extra["kid"] = "key-1"
	sess.AidantID = "aidant-1"
	sess.UsagerID = "usager-pseudonym"
	sess.OrganisationID = "org-1"
	sess.OrganisationSIRET = "12345678901234"
	sess.PermissionID = del.permissionID
	sess.MandateID = del.mandateID
	sess.Procedure = "social"
	sess.AuthTime = now.Add(-time.Minute)
	sess.SetExpiresAt(fosite.AuthorizeCode, now.Add(10*time.Minute))
	sess.SetExpiresAt(fosite.AccessToken, now.Add(time.Hour))
	sess.SetExpiresAt(fosite.RefreshToken, now.Add(24*time.Hour))
	return &fosite.Request{
		ID:                randomID(t, "req-"),
		RequestedAt:       now,
		Client:            f.client,
		RequestedScope:    fosite.Arguments{"openid", "procedure:social"},
		GrantedScope:      fosite.Arguments{"openid", "procedure:social"},
		RequestedAudience: fosite.Arguments{},
		GrantedAudience:   fosite.Arguments{},
		Form: url.Values{
			"redirect_uri":   {"https://service.example/callback"},
			"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"},
			"client_secret":  {"form-secret-must-not-be-stored"},
			"code_verifier":  {"verifier-must-not-be-stored"},
			"password":       {"password-must-not-be-stored"},
		},
		Session: sess,
	}
}

// checkRequest compares a loaded request with the one stored.
func checkRequest(t *testing.T, got fosite.Requester, want *fosite.Request) {
	t.Helper()
	if got == nil {
		t.Fatal("request: got nil")
	}
	if got.GetID() != want.ID {
		t.Errorf("request id: got %q, want %q", got.GetID(), want.ID)
	}
	if !got.GetRequestedAt().Equal(want.RequestedAt.Truncate(time.Microsecond)) {
		t.Errorf("requested at: got %v, want %v", got.GetRequestedAt(), want.RequestedAt)
	}
	if got.GetClient().GetID() != want.Client.GetID() {
		t.Errorf("client: got %q, want %q", got.GetClient().GetID(), want.Client.GetID())
	}
	if !got.GetGrantedScopes().Matches(want.GrantedScope...) || !got.GetRequestedScopes().Matches(want.RequestedScope...) {
		t.Errorf("scopes: got %v/%v, want %v/%v", got.GetRequestedScopes(), got.GetGrantedScopes(), want.RequestedScope, want.GrantedScope)
	}
	form := got.GetRequestForm()
	if form.Get("redirect_uri") != want.Form.Get("redirect_uri") || form.Get("code_challenge") != want.Form.Get("code_challenge") {
		t.Errorf("form: got %v, want redirect_uri and code_challenge kept", form)
	}
	for _, p := range []string{"client_secret", "code_verifier", "password"} {
		if form.Has(p) {
			t.Errorf("form: %s was stored", p)
		}
	}
	sess, ok := got.GetSession().(*Session)
	if !ok {
		t.Fatalf("session: got %T, want *Session", got.GetSession())
	}
	wantSess := want.Session.(*Session)
	if sess.PermissionID != wantSess.PermissionID || sess.MandateID != wantSess.MandateID ||
		sess.AidantID != wantSess.AidantID || sess.UsagerID != wantSess.UsagerID ||
		sess.OrganisationSIRET != wantSess.OrganisationSIRET || sess.Procedure != wantSess.Procedure {
		t.Errorf("session: got %+v, want %+v", sess, wantSess)
	}
	if sess.GetSubject() != "pairwise-usager" || sess.IDTokenClaims().Nonce != wantSess.IDTokenClaims().Nonce {
		t.Errorf("session claims: got subject %q nonce %q", sess.GetSubject(), sess.IDTokenClaims().Nonce)
	}
}

func TestAuthorizeCode(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		req := f.newRequest(t, newDelegation(t))
		sig := randomID(t, "code-sig-")

		if err := f.store.CreateAuthorizeCodeSession(ctx, sig, req); err != nil {
			t.Fatalf("CreateAuthorizeCodeSession: %v", err)
		}
		got, err := f.store.GetAuthorizeCodeSession(ctx, sig, NewSession())
		if err != nil {
			t.Fatalf("GetAuthorizeCodeSession: %v", err)
		}
		checkRequest(t, got, req)

		if err := f.store.InvalidateAuthorizeCodeSession(ctx, sig); err != nil {
			t.Fatalf("InvalidateAuthorizeCodeSession: %v", err)
		}
		got, err = f.store.GetAuthorizeCodeSession(ctx, sig, NewSession())
		if !errors.Is(err, fosite.ErrInvalidatedAuthorizeCode) {
			t.Fatalf("used code: got error %v, want ErrInvalidatedAuthorizeCode", err)
		}
		if got == nil || got.GetID() != req.ID {
			t.Fatalf("used code: got request %v, want the request (fosite revokes its tokens from it)", got)
		}
		if err := f.store.InvalidateAuthorizeCodeSession(ctx, sig); !errors.Is(err, fosite.ErrInvalidatedAuthorizeCode) {
			t.Errorf("second invalidation: got %v, want ErrInvalidatedAuthorizeCode", err)
		}
		if _, err := f.store.GetAuthorizeCodeSession(ctx, "unknown", NewSession()); !errors.Is(err, fosite.ErrNotFound) {
			t.Errorf("unknown code: got %v, want ErrNotFound", err)
		}
	})
}

func TestAccessAndRefreshTokens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		req := f.newRequest(t, newDelegation(t))
		access, refresh := randomID(t, "at-"), randomID(t, "rt-")

		if err := f.store.CreateAccessTokenSession(ctx, access, req); err != nil {
			t.Fatalf("CreateAccessTokenSession: %v", err)
		}
		if err := f.store.CreateRefreshTokenSession(ctx, refresh, access, req); err != nil {
			t.Fatalf("CreateRefreshTokenSession: %v", err)
		}
		got, err := f.store.GetAccessTokenSession(ctx, access, nil)
		if err != nil {
			t.Fatalf("GetAccessTokenSession: %v", err)
		}
		checkRequest(t, got, req)
		got, err = f.store.GetRefreshTokenSession(ctx, refresh, nil)
		if err != nil {
			t.Fatalf("GetRefreshTokenSession: %v", err)
		}
		checkRequest(t, got, req)
		// An access token's signature is not a refresh token's.
		if _, err := f.store.GetRefreshTokenSession(ctx, access, nil); !errors.Is(err, fosite.ErrNotFound) {
			t.Errorf("access signature as refresh token: got %v, want ErrNotFound", err)
		}

		if err := f.store.DeleteAccessTokenSession(ctx, access); err != nil {
			t.Fatalf("DeleteAccessTokenSession: %v", err)
		}
		if err := f.store.DeleteRefreshTokenSession(ctx, refresh); err != nil {
			t.Fatalf("DeleteRefreshTokenSession: %v", err)
		}
		if _, err := f.store.GetAccessTokenSession(ctx, access, nil); !errors.Is(err, fosite.ErrNotFound) {
			t.Errorf("deleted access token: got %v, want ErrNotFound", err)
		}
		if _, err := f.store.GetRefreshTokenSession(ctx, refresh, nil); !errors.Is(err, fosite.ErrNotFound) {
			t.Errorf("deleted refresh token: got %v, want ErrNotFound", err)
		}
		if err := f.store.DeleteAccessTokenSession(ctx, access); err != nil {
			t.Errorf("deleting twice: %v", err)
		}
	})
}

func TestRefreshTokenRotation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		req := f.newRequest(t, newDelegation(t))
		access, refresh := randomID(t, "at-"), randomID(t, "rt-")
		mustCreateTokens(t, f, req, access, refresh)

		if err := f.store.RotateRefreshToken(ctx, req.ID, refresh); err != nil {
			t.Fatalf("RotateRefreshToken: %v", err)
		}
		got, err := f.store.GetRefreshTokenSession(ctx, refresh, nil)
		if !errors.Is(err, fosite.ErrInactiveToken) {
			t.Fatalf("rotated refresh token: got %v, want ErrInactiveToken", err)
		}
		if got == nil || got.GetID() != req.ID {
			t.Fatalf("rotated refresh token: got request %v, want the request", got)
		}
		if _, err := f.store.GetAccessTokenSession(ctx, access, nil); !errors.Is(err, fosite.ErrInactiveToken) {
			t.Errorf("access token of a rotated refresh token: got %v, want ErrInactiveToken", err)
		}
		if err := f.store.RotateRefreshToken(ctx, req.ID, refresh); !errors.Is(err, fosite.ErrSerializationFailure) {
			t.Errorf("rotating twice: got %v, want ErrSerializationFailure", err)
		}

		// The successors fosite stores next are active.
		access2, refresh2 := randomID(t, "at-"), randomID(t, "rt-")
		mustCreateTokens(t, f, req, access2, refresh2)
		if _, err := f.store.GetRefreshTokenSession(ctx, refresh2, nil); err != nil {
			t.Errorf("new refresh token: %v", err)
		}
	})
}

func mustCreateTokens(t *testing.T, f *fixture, req fosite.Requester, access, refresh string) {
	t.Helper()
	ctx := context.Background()
	if err := f.store.CreateAccessTokenSession(ctx, access, req); err != nil {
		t.Fatalf("CreateAccessTokenSession: %v", err)
	}
	if err := f.store.CreateRefreshTokenSession(ctx, refresh, access, req); err != nil {
		t.Fatalf("CreateRefreshTokenSession: %v", err)
	}
}

func TestRevokeByRequestID(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		del := newDelegation(t)
		req, other := f.newRequest(t, del), f.newRequest(t, del)
		access, refresh := randomID(t, "at-"), randomID(t, "rt-")
		otherAccess, otherRefresh := randomID(t, "at-"), randomID(t, "rt-")
		mustCreateTokens(t, f, req, access, refresh)
		mustCreateTokens(t, f, other, otherAccess, otherRefresh)

		if err := f.store.RevokeAccessToken(ctx, req.ID); err != nil {
			t.Fatalf("RevokeAccessToken: %v", err)
		}
		if _, err := f.store.GetAccessTokenSession(ctx, access, nil); !errors.Is(err, fosite.ErrInactiveToken) {
			t.Errorf("revoked access token: got %v, want ErrInactiveToken", err)
		}
		if _, err := f.store.GetRefreshTokenSession(ctx, refresh, nil); err != nil {
			t.Errorf("refresh token after access revocation: %v", err)
		}
		if err := f.store.RevokeRefreshToken(ctx, req.ID); err != nil {
			t.Fatalf("RevokeRefreshToken: %v", err)
		}
		if _, err := f.store.GetRefreshTokenSession(ctx, refresh, nil); !errors.Is(err, fosite.ErrInactiveToken) {
			t.Errorf("revoked refresh token: got %v, want ErrInactiveToken", err)
		}
		if err := f.store.RevokeRefreshTokenMaybeGracePeriod(ctx, other.ID, otherRefresh); err != nil {
			t.Fatalf("RevokeRefreshTokenMaybeGracePeriod: %v", err)
		}
		if _, err := f.store.GetRefreshTokenSession(ctx, otherRefresh, nil); !errors.Is(err, fosite.ErrInactiveToken) {
			t.Errorf("revoked refresh token: got %v, want ErrInactiveToken", err)
		}
		if _, err := f.store.GetAccessTokenSession(ctx, otherAccess, nil); err != nil {
			t.Errorf("other request's access token: %v", err)
		}
		if err := f.store.RevokeAccessToken(ctx, "no-such-request"); err != nil {
			t.Errorf("revoking an unknown request: %v", err)
		}
	})
}

func TestRevokeByPermission(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		revoked, kept := newDelegation(t), newDelegation(t)
		type issued struct{ code, access, refresh string }
		issue := func(del delegation) issued {
			req := f.newRequest(t, del)
			i := issued{randomID(t, "code-"), randomID(t, "at-"), randomID(t, "rt-")}
			if err := f.store.CreateAuthorizeCodeSession(ctx, i.code, req); err != nil {
				t.Fatalf("CreateAuthorizeCodeSession: %v", err)
			}
			mustCreateTokens(t, f, req, i.access, i.refresh)
			return i
		}
		r, k := issue(revoked), issue(kept)
		active := func(i issued) (code, access, refresh bool) {
			_, errC := f.store.GetAuthorizeCodeSession(ctx, i.code, nil)
			_, errA := f.store.GetAccessTokenSession(ctx, i.access, nil)
			_, errR := f.store.GetRefreshTokenSession(ctx, i.refresh, nil)
			return errC == nil, errA == nil, errR == nil
		}

		if _, err := f.store.RevokeByPermission(ctx, revoked.permissionID); !errors.Is(err, ErrNoTransaction) {
			t.Fatalf("outside a transaction: got %v, want ErrNoTransaction", err)
		}
		errRevert := errors.New("the permission's revocation failed later")
		err := d.InTx(ctx, func(ctx context.Context) error {
			n, err := f.store.RevokeByPermission(ctx, revoked.permissionID)
			if err != nil || n != 3 {
				t.Errorf("RevokeByPermission: got %d, %v; want 3 rows", n, err)
			}
			return errRevert
		})
		if !errors.Is(err, errRevert) {
			t.Fatalf("InTx: %v", err)
		}
		if c, a, rt := active(r); !c || !a || !rt {
			t.Fatalf("after rollback: code %v access %v refresh %v, want all still active", c, a, rt)
		}

		err = d.InTx(ctx, func(ctx context.Context) error {
			_, err := f.store.RevokeByPermission(ctx, revoked.permissionID)
			return err
		})
		if err != nil {
			t.Fatalf("RevokeByPermission: %v", err)
		}
		if c, a, rt := active(r); c || a || rt {
			t.Errorf("revoked permission: code %v access %v refresh %v, want none active", c, a, rt)
		}
		if _, err := f.store.GetAccessTokenSession(ctx, r.access, nil); !errors.Is(err, fosite.ErrInactiveToken) {
			t.Errorf("revoked access token: got %v, want ErrInactiveToken", err)
		}
		if c, a, rt := active(k); !c || !a || !rt {
			t.Errorf("other permission: code %v access %v refresh %v, want all active", c, a, rt)
		}

		err = d.InTx(ctx, func(ctx context.Context) error {
			if _, err := f.store.RevokeByPermission(ctx, ""); err == nil {
				t.Error("RevokeByPermission(\"\"): want an error")
			}
			n, err := f.store.RevokeByMandate(ctx, kept.mandateID)
			if n != 3 {
				t.Errorf("RevokeByMandate: got %d rows, want 3", n)
			}
			return err
		})
		if err != nil {
			t.Fatalf("RevokeByMandate: %v", err)
		}
		if c, a, rt := active(k); c || a || rt {
			t.Errorf("revoked mandate: code %v access %v refresh %v, want none active", c, a, rt)
		}
	})
}

// A code's PKCE and OpenID Connect state are read from the code's own row:
// no row of their own, the same answers as separate rows would give.
func TestPKCEAndOpenIDConnectSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		req := f.newRequest(t, newDelegation(t))
		sig := randomID(t, "codesig")
		code := "ory_ac_key." + sig

		for _, step := range []error{
			f.store.CreateAuthorizeCodeSession(ctx, sig, req),
			f.store.CreatePKCERequestSession(ctx, sig, req),
			f.store.CreateOpenIDConnectSession(ctx, code, req),
		} {
			if step != nil {
				t.Fatal(step)
			}
		}
		var n int64
		if err := d.Conn(ctx).Model(&requestRow{}).Where("request_id = ?", req.ID).Count(&n).Error; err != nil || n != 1 {
			t.Errorf("rows for a code with PKCE and OpenID Connect state: got %d, %v; want 1", n, err)
		}
		got, err := f.store.GetPKCERequestSession(ctx, sig, NewSession())
		if err != nil {
			t.Fatalf("GetPKCERequestSession: %v", err)
		}
		checkRequest(t, got, req)
		if got.GetRequestForm().Get("code_challenge") == "" {
			t.Error("PKCE state without its challenge")
		}
		accessReq := fosite.NewAccessRequest(NewSession())
		got, err = f.store.GetOpenIDConnectSession(ctx, code, accessReq)
		if err != nil {
			t.Fatalf("GetOpenIDConnectSession: %v", err)
		}
		checkRequest(t, got, req)
		for _, bad := range []string{sig, "ory_ac_key." + sig + ".x", ""} {
			if _, err := f.store.GetOpenIDConnectSession(ctx, bad, accessReq); !errors.Is(err, fosite.ErrNotFound) {
				t.Errorf("OIDC session under %q: got %v, want ErrNotFound", bad, err)
			}
		}
		// Deleting either keeps the code's state: it ends with the code.
		if err := f.store.DeletePKCERequestSession(ctx, sig); err != nil {
			t.Fatalf("DeletePKCERequestSession: %v", err)
		}
		if err := f.store.DeleteOpenIDConnectSession(ctx, code); err != nil {
			t.Fatalf("DeleteOpenIDConnectSession: %v", err)
		}
		if _, err := f.store.GetPKCERequestSession(ctx, sig, nil); err != nil {
			t.Errorf("PKCE state after delete: %v", err)
		}

		// A code issued without a challenge or without openid has no such
		// state.
		plain := f.newRequest(t, newDelegation(t))
		plain.Form.Del("code_challenge")
		plain.GrantedScope = fosite.Arguments{"procedure:social"}
		plainSig := randomID(t, "plainsig")
		if err := f.store.CreateAuthorizeCodeSession(ctx, plainSig, plain); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.GetPKCERequestSession(ctx, plainSig, nil); !errors.Is(err, fosite.ErrNotFound) {
			t.Errorf("PKCE state of a code without challenge: got %v, want ErrNotFound", err)
		}
		if _, err := f.store.GetOpenIDConnectSession(ctx, "ory_ac_k."+plainSig, accessReq); !errors.Is(err, fosite.ErrNotFound) {
			t.Errorf("OIDC state of a code without openid: got %v, want ErrNotFound", err)
		}
	})
}

// codeSignature finds the signature fosite's strategy finds.
func TestCodeSignatureMatchesFosite(t *testing.T) {
	tokens := compose.NewOAuth2HMACStrategy(&fosite.Config{GlobalSecret: []byte("0123456789abcdef0123456789abcdef")})
	code, sig, err := tokens.GenerateAuthorizeCode(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := codeSignature(code), tokens.AuthorizeCodeSignature(context.Background(), code); got != want || got != sig {
		t.Errorf("codeSignature(%q) = %q, fosite says %q (generated %q)", code, got, want, sig)
	}
}

func TestClientAssertionJTI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		jti := randomID(t, "jti-")

		if err := f.store.ClientAssertionJWTValid(ctx, jti); err != nil {
			t.Fatalf("new jti: got %v, want valid", err)
		}
		if err := f.store.SetClientAssertionJWT(ctx, jti, f.clock.Now().Add(time.Minute)); err != nil {
			t.Fatalf("SetClientAssertionJWT: %v", err)
		}
		if err := f.store.ClientAssertionJWTValid(ctx, jti); !errors.Is(err, fosite.ErrJTIKnown) {
			t.Errorf("replayed jti: got %v, want ErrJTIKnown", err)
		}
		if err := f.store.SetClientAssertionJWT(ctx, jti, f.clock.Now().Add(time.Minute)); !errors.Is(err, fosite.ErrJTIKnown) {
			t.Errorf("recording a known jti: got %v, want ErrJTIKnown", err)
		}

		f.clock.Add(2 * time.Minute)
		if err := f.store.ClientAssertionJWTValid(ctx, jti); err != nil {
			t.Errorf("expired jti: got %v, want valid", err)
		}
		if err := f.store.SetClientAssertionJWT(ctx, jti, f.clock.Now().Add(time.Minute)); err != nil {
			t.Errorf("jti after its expiry was purged: %v", err)
		}
		if err := f.store.ClientAssertionJWTValid(ctx, jti); !errors.Is(err, fosite.ErrJTIKnown) {
			t.Errorf("jti recorded again: got %v, want ErrJTIKnown", err)
		}
	})
}

func TestPurgeExpired(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		req := f.newRequest(t, newDelegation(t)) // code +10 min, access +1 h, refresh +24 h
		code, access, refresh := randomID(t, "code-"), randomID(t, "at-"), randomID(t, "rt-")
		if err := f.store.CreateAuthorizeCodeSession(ctx, code, req); err != nil {
			t.Fatal(err)
		}
		mustCreateTokens(t, f, req, access, refresh)

		n, err := f.store.PurgeExpired(ctx, f.clock.Now().Add(2*time.Hour))
		if err != nil {
			t.Fatalf("PurgeExpired: %v", err)
		}
		if n < 2 {
			t.Errorf("PurgeExpired: got %d rows, want at least the code and the access token", n)
		}
		if _, err := f.store.GetAuthorizeCodeSession(ctx, code, nil); !errors.Is(err, fosite.ErrNotFound) {
			t.Errorf("expired code: got %v, want ErrNotFound", err)
		}
		if _, err := f.store.GetAccessTokenSession(ctx, access, nil); !errors.Is(err, fosite.ErrNotFound) {
			t.Errorf("expired access token: got %v, want ErrNotFound", err)
		}
		if _, err := f.store.GetRefreshTokenSession(ctx, refresh, nil); err != nil {
			t.Errorf("refresh token not yet expired: %v", err)
		}
	})
}
