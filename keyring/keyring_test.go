package keyring_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
	"procura/keyring"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var masterKey = []byte("0123456789abcdef0123456789abcdef")

// clock is a test clock that several keyrings may share.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// emptyKeys removes the keys other tests left in the package's shared
// PostgreSQL database.
func emptyKeys(t testing.TB, d *db.DB) {
	t.Helper()
	if err := d.Conn(context.Background()).Exec("DELETE FROM signing_keys").Error; err != nil {
		t.Fatal(err)
	}
}

// newKeyring returns a keyring on an empty signing_keys table.
func newKeyring(t testing.TB, d *db.DB, c *clock) (*keyring.Keyring, *audit.Journal) {
	t.Helper()
	emptyKeys(t, d)
	return instance(t, d, c)
}

// instance returns another keyring on the same table: another server.
func instance(t testing.TB, d *db.DB, c *clock) (*keyring.Keyring, *audit.Journal) {
	t.Helper()
	j := audit.New(d, c.Now)
	k, err := keyring.New(d, j, masterKey, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	return k, j
}

func operator(t *testing.T) keyring.Actor {
	return keyring.Actor{Kind: audit.ActorOperator, ID: "op-" + t.Name()}
}

// entriesFor returns the journal's entries of action about kid.
func entriesFor(t *testing.T, j *audit.Journal, action audit.Action, kid string) []audit.Entry {
	t.Helper()
	all, err := j.List(context.Background(), audit.Filter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	var out []audit.Entry
	for _, e := range all {
		if e.Details["kid"] == kid {
			out = append(out, e)
		}
	}
	return out
}

func TestNewRefusesShortMasterKey(t *testing.T) {
	if _, err := keyring.New(nil, nil, []byte("short"), time.Now); err == nil {
		t.Fatal("New accepted a 5-byte master key")
	}
}

func TestEnsureIsIdempotentAndAudited(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newClock()
		k, j := newKeyring(t, d, c)
		ctx := context.Background()
		first, err := k.Ensure(ctx, keyring.PurposeOIDC, jose.ES256)
		if err != nil {
			t.Fatal(err)
		}
		c.Advance(time.Hour)
		again, err := k.Ensure(ctx, keyring.PurposeOIDC, jose.ES256)
		if err != nil {
			t.Fatal(err)
		}
		if again.KID != first.KID || first.Generation != 1 || len(first.KID) != 43 {
			t.Errorf("Ensure twice = %+v then %+v, want the same first key", first, again)
		}
		// A second server starting on the same database creates nothing.
		other, _ := instance(t, d, c)
		if k3, err := other.Ensure(ctx, keyring.PurposeOIDC, jose.ES256); err != nil || k3.KID != first.KID {
			t.Errorf("Ensure on another instance = %+v, %v; want %s", k3, err, first.KID)
		}
		keys, err := k.Keys(ctx, keyring.PurposeOIDC)
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != 1 {
			t.Fatalf("%d keys after Ensure ×3, want 1", len(keys))
		}
		got := entriesFor(t, j, audit.ActionKeyCreated, first.KID)
		if len(got) != 1 {
			t.Fatalf("%d key.created entries, want 1", len(got))
		}
		if e := got[0]; e.ActorKind != audit.ActorSystem || e.Details["purpose"] != "oidc" || e.Details["alg"] != "ES256" || e.Details["generation"] != "1" {
			t.Errorf("entry = %+v", e)
		}
		// Another algorithm of the same purpose is another key.
		rs, err := k.Ensure(ctx, keyring.PurposeOIDC, jose.RS256)
		if err != nil || rs.KID == first.KID || rs.Alg != jose.RS256 {
			t.Errorf("Ensure RS256 = %+v, %v", rs, err)
		}
	})
}

func TestPurposesAndAlgorithmsAreChecked(t *testing.T) {
	d := dbtest.SQLite(t)
	k, _ := newKeyring(t, d, newClock())
	ctx := context.Background()
	cases := []struct {
		purpose keyring.Purpose
		alg     jose.SignatureAlgorithm
		want    error
	}{
		{"payments", jose.ES256, keyring.ErrUnknownPurpose},
		{keyring.PurposeOIDC, jose.EdDSA, keyring.ErrUnsupportedAlg},
		{keyring.PurposeOIDC, jose.PS256, keyring.ErrUnsupportedAlg},
		{keyring.PurposeOIDC, jose.HS256, keyring.ErrUnsupportedAlg},
		{keyring.PurposeMandate, jose.RS256, keyring.ErrUnsupportedAlg},
		{keyring.PurposeMandate, "none", keyring.ErrUnsupportedAlg},
	}
	for _, tc := range cases {
		if _, err := k.Ensure(ctx, tc.purpose, tc.alg); !errors.Is(err, tc.want) {
			t.Errorf("Ensure(%s, %s) = %v, want %v", tc.purpose, tc.alg, err, tc.want)
		}
		if _, err := k.Rotate(ctx, keyring.Actor{Kind: audit.ActorOperator, ID: "x"}, tc.purpose, tc.alg); !errors.Is(err, tc.want) {
			t.Errorf("Rotate(%s, %s) = %v, want %v", tc.purpose, tc.alg, err, tc.want)
		}
		if _, err := k.Signer(ctx, tc.purpose, tc.alg); !errors.Is(err, tc.want) {
			t.Errorf("Signer(%s, %s) = %v, want %v", tc.purpose, tc.alg, err, tc.want)
		}
	}
	var n int64
	d.Conn(ctx).Raw("SELECT COUNT(*) FROM signing_keys").Scan(&n)
	if n != 0 {
		t.Errorf("%d keys stored by refused calls", n)
	}
}

func TestSignerWithoutKey(t *testing.T) {
	d := dbtest.SQLite(t)
	k, _ := newKeyring(t, d, newClock())
	if _, err := k.Signer(context.Background(), keyring.PurposeMandate, jose.EdDSA); !errors.Is(err, keyring.ErrNoKey) {
		t.Fatalf("Signer before Ensure = %v, want ErrNoKey", err)
	}
}

func TestKeyActsCommitWithTheirAuditEntry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newClock()
		k, j := newKeyring(t, d, c)
		ctx := context.Background()
		first, err := k.Ensure(ctx, keyring.PurposeOIDC, jose.ES256)
		if err != nil {
			t.Fatal(err)
		}

		// The caller's transaction fails after the rotation: neither the
		// key nor its entry remain, and the old key still signs.
		var rotated keyring.Key
		boom := errors.New("later step failed")
		err = d.InTx(ctx, func(ctx context.Context) error {
			var err error
			if rotated, err = k.Rotate(ctx, operator(t), keyring.PurposeOIDC, jose.ES256); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v", err)
		}
		assertKeyCount(t, d, 1)
		if got := entriesFor(t, j, audit.ActionKeyRotated, rotated.KID); len(got) != 0 {
			t.Errorf("%d entries for a rolled-back rotation", len(got))
		}
		if s, err := k.Signer(ctx, keyring.PurposeOIDC, jose.ES256); err != nil || s.KeyID() != first.KID {
			t.Errorf("after rollback Signer = %v, %v; want %s", s, err, first.KID)
		}

		// The journal refuses the entry: the act fails and leaves nothing.
		failAudit(t, d)
		if _, err := k.Rotate(ctx, operator(t), keyring.PurposeOIDC, jose.ES256); err == nil {
			t.Error("Rotate succeeded though its audit entry failed")
		}
		if _, err := k.Ensure(ctx, keyring.PurposeMandate, jose.EdDSA); err == nil {
			t.Error("Ensure succeeded though its audit entry failed")
		}
		assertKeyCount(t, d, 1)
	})
}

func assertKeyCount(t *testing.T, d *db.DB, want int64) {
	t.Helper()
	var n int64
	if err := d.Conn(context.Background()).Raw("SELECT COUNT(*) FROM signing_keys").Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n != want {
		t.Errorf("%d keys stored, want %d", n, want)
	}
}

// failAudit makes the journal refuse key entries until the test ends.
func failAudit(t *testing.T, d *db.DB) {
	t.Helper()
	ctx := context.Background()
	var create, drop []string
	if d.Dialect == db.Postgres {
		create = []string{
			`CREATE FUNCTION keyring_test_fail_audit() RETURNS trigger LANGUAGE plpgsql AS $$
			 BEGIN RAISE EXCEPTION 'journal unavailable'; END $$`,
			`CREATE TRIGGER keyring_test_fail_audit BEFORE INSERT ON audit_entries FOR EACH ROW
			 WHEN (NEW.action LIKE 'key.%') EXECUTE FUNCTION keyring_test_fail_audit()`,
		}
		drop = []string{
			"DROP TRIGGER keyring_test_fail_audit ON audit_entries",
			"DROP FUNCTION keyring_test_fail_audit()",
		}
	} else {
		create = []string{`CREATE TRIGGER keyring_test_fail_audit BEFORE INSERT ON audit_entries
			WHEN NEW.action LIKE 'key.%' BEGIN SELECT RAISE(ABORT, 'journal unavailable'); END`}
		drop = []string{"DROP TRIGGER keyring_test_fail_audit"}
	}
	for _, s := range create {
		if err := d.Conn(ctx).Exec(s).Error; err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, s := range drop {
			if err := d.Conn(ctx).Exec(s).Error; err != nil {
				t.Error(err)
			}
		}
	})
}
