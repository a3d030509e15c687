package mandate_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"procura/account"
	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
	"procura/identity"
	"procura/keyring"
	"procura/mandate"
	"procura/problem"
	"procura/usager"
	"procura/web"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	t        testing.TB
	d        *db.DB
	clock    *clock
	dir      *account.Directory
	usagers  *usager.Registry
	mandates *mandate.Registry
	org      account.Organisation
	aidant   account.Created
}

var seq atomic.Int64

func newFixture(t testing.TB, d *db.DB) *fixture {
	t.Helper()
	c := &clock{t: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)}
	j := audit.New(d, c.Now)
	key := bytes.Repeat([]byte{4}, 32)
	dir, err := account.NewDirectory(d, j, key, web.NewSessionStore(d, c.Now, web.Settings{SessionIdleTimeout: time.Hour, SessionMaxAge: time.Hour}), c.Now)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := keyring.New(d, j, key, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Ensure(context.Background(), keyring.PurposeMandate, jose.ES256); err != nil {
		t.Fatal(err)
	}
	usagers, err := usager.New(d, j, key, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, d: d, clock: c, dir: dir, usagers: usagers, mandates: mandate.New(d, j, dir, usagers, keys, nil, c.Now)}
	f.org = f.newOrg("France Services d'Ambert", "papiers", "social", "logement", "argent")
	f.aidant = f.newAidant(f.org)
	return f
}

func (f *fixture) newOrg(name string, procs ...string) account.Organisation {
	f.t.Helper()
	for {
		base := fmt.Sprintf("%013d", (time.Now().UnixNano()/1000%1e10)*1000+seq.Add(1)%1000)
		for d := 0; d <= 9; d++ {
			if s := base + fmt.Sprint(d); account.ValidSIRET(s) {
				org, err := f.dir.CreateOrganisation(context.Background(), account.Operator, account.NewOrganisation{SIRET: s, Name: name, Procedures: procs})
				if err != nil {
					f.t.Fatal(err)
				}
				return org
			}
		}
	}
}

func (f *fixture) newAidant(org account.Organisation) account.Created {
	f.t.Helper()
	until := f.clock.Now().AddDate(1, 0, 0)
	c, err := f.dir.CreateAccount(context.Background(), account.Operator, account.NewAccount{
		Email: fmt.Sprintf("aidant%d-%d@example.fr", seq.Add(1), time.Now().UnixNano()), GivenName: "Camille", FamilyName: "Lefèvre",
		Password: "correct horse battery", OrganisationID: org.ID, Roles: []account.Role{account.RoleAidant},
		HabilitatedUntil: &until, EnrolTOTP: true,
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *fixture) newUsager() usager.Usager {
	f.t.Helper()
	u, err := f.usagers.Identify(context.Background(), audit.ActorAidant, f.aidant.Account.ID, identity.Identity{
		Issuer: "https://fc.example/api/v2", Sub: fmt.Sprintf("sub-%d-%d", seq.Add(1), time.Now().UnixNano()),
		Claims: identity.Claims{GivenName: "Élodie", FamilyName: "D'Arcy", Birthdate: "1962-00-00", Gender: "female",
			Birthplace: "75056", Birthcountry: "99100", Email: "elodie@example.fr"}}, usager.ContextMandate)
	if err != nil {
		f.t.Fatal(err)
	}
	return u
}

// code returns a TOTP code of the aidant not used before: each call moves
// the clock to the next 30-second step.
func (f *fixture) code(a account.Created) string {
	f.t.Helper()
	f.clock.Advance(30 * time.Second)
	code, err := account.TOTPCode(a.TOTPSecret, f.clock.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	return code
}

const idToken = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"

func evidence() (string, string) {
	sum := sha256.Sum256([]byte(idToken))
	return idToken, hex.EncodeToString(sum[:])
}

func (f *fixture) input(u usager.Usager, a account.Created, procs ...string) mandate.NewMandate {
	tok, sum := evidence()
	return mandate.NewMandate{OrganisationID: f.org.ID, AidantID: a.Account.ID, UsagerID: u.ID, Procedures: procs,
		DurationDays: 182, FCIDToken: tok, FCIDTokenSHA256: sum, TextVersion: mandate.CurrentMandateTextVersion, Consent: true,
		TOTPCode: f.code(a)}
}

func (f *fixture) count(table string) int64 {
	f.t.Helper()
	var n int64
	if err := f.d.Conn(context.Background()).Raw("SELECT COUNT(*) FROM " + table).Scan(&n).Error; err != nil {
		f.t.Fatal(err)
	}
	return n
}

func TestCreateSignsAndVerifies(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		u := f.newUsager()
		m, err := f.mandates.Create(ctx, f.input(u, f.aidant, "social", "papiers", "social"))
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(m.Procedures()) != "[papiers social]" || m.Status(f.clock.Now()) != mandate.StatusActive {
			t.Fatalf("mandate = %+v", m)
		}
		if !m.ExpiresAt.Equal(m.SignedAt.Add(182 * 24 * time.Hour)) {
			t.Errorf("expires %v, signed %v", m.ExpiresAt, m.SignedAt)
		}
		v, err := f.mandates.Verify(ctx, m.Signature)
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		_, sum := evidence()
		if v.Status != mandate.StatusActive || v.Organisation != f.org.Name || v.Content.FCIDTokenSHA256 != sum ||
			v.Content.TextSHA256 != mandate.CurrentMandateText().SHA256 || v.Content.OrganisationSIRET != f.org.SIRET {
			t.Errorf("verification = %+v", v)
		}
		if strings.Contains(string(mustPayload(t, m.Signature)), "Élodie") {
			t.Error("the signed content names the usager")
		}
		got, err := f.mandates.Get(ctx, f.org.ID, m.ID)
		if err != nil || got.Signature != m.Signature || len(got.Permissions) != 2 {
			t.Errorf("Get = %+v, %v", got, err)
		}
	})
}

func mustPayload(t *testing.T, compact string) []byte {
	t.Helper()
	parts := strings.Split(compact, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerifyRefusesTamperedAndUnknown(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		m, err := f.mandates.Create(ctx, f.input(f.newUsager(), f.aidant, "logement"))
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(m.Signature, ".")
		forged := strings.Replace(string(mustPayload(t, m.Signature)), `"duration_days":182`, `"duration_days":365`, 1)
		tests := []struct {
			name, token string
			want        error
		}{
			{"payload changed", parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(forged)) + "." + parts[2], mandate.ErrSignatureInvalid},
			{"signature changed", parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2])), mandate.ErrSignatureInvalid},
			{"garbage", "not-a-jws", mandate.ErrSignatureInvalid},
			{"empty", "", mandate.ErrSignatureInvalid},
			{"alg none", base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + parts[1] + ".", mandate.ErrSignatureInvalid},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := f.mandates.Verify(ctx, tt.token); !errors.Is(err, tt.want) {
					t.Errorf("Verify = %v, want %v", err, tt.want)
				}
			})
		}
	})
}

func TestCreateRefusesBadInputAndStoresNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		u := f.newUsager()
		other := f.newOrg("Autre structure", "papiers")
		stranger := f.newAidant(other)
		until := f.clock.Now().AddDate(-1, 0, 0)
		lapsed, err := f.dir.CreateAccount(context.Background(), account.Operator, account.NewAccount{
			Email: fmt.Sprintf("lapsed%d@example.fr", time.Now().UnixNano()), GivenName: "A", FamilyName: "B", Password: "correct horse battery",
			OrganisationID: f.org.ID, Roles: []account.Role{account.RoleAidant}, HabilitatedUntil: &until, EnrolTOTP: true})
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name   string
			modify func(*mandate.NewMandate)
			want   error
		}{
			{"no consent", func(in *mandate.NewMandate) { in.Consent = false }, mandate.ErrNoConsent},
			{"no procedure", func(in *mandate.NewMandate) { in.Procedures = nil }, mandate.ErrNoProcedure},
			{"procedure not allowed here", func(in *mandate.NewMandate) { in.Procedures = []string{"justice"} }, mandate.ErrProcedure},
			{"unknown procedure", func(in *mandate.NewMandate) { in.Procedures = []string{"banque"} }, mandate.ErrProcedure},
			{"bad duration", func(in *mandate.NewMandate) { in.DurationDays = 30 }, mandate.ErrDuration},
			{"no identification evidence", func(in *mandate.NewMandate) { in.FCIDToken = "" }, mandate.ErrEvidence},
			{"unknown text version", func(in *mandate.NewMandate) { in.TextVersion = "v99" }, nil},
			{"unknown usager", func(in *mandate.NewMandate) { in.UsagerID = strings.Repeat("x", 43) }, mandate.ErrUsagerNotFound},
			{"wrong TOTP code", func(in *mandate.NewMandate) { in.TOTPCode = "000000" }, account.ErrConfirmationCode},
			{"aidant of another organisation", func(in *mandate.NewMandate) {
				in.AidantID, in.TOTPCode = stranger.Account.ID, f.code(stranger)
			}, account.ErrNotHabilitated},
			{"habilitation lapsed", func(in *mandate.NewMandate) { in.AidantID, in.TOTPCode = lapsed.Account.ID, f.code(lapsed) }, account.ErrNotHabilitated},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				in := f.input(u, f.aidant, "papiers")
				tt.modify(&in)
				before := [3]int64{f.count("mandates"), f.count("permissions"), f.count("audit_entries")}
				_, err := f.mandates.Create(context.Background(), in)
				if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) || problem.CodeOf(err) == problem.Internal {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
				if after := [3]int64{f.count("mandates"), f.count("permissions"), f.count("audit_entries")}; after != before {
					t.Errorf("stored something: %v → %v", before, after)
				}
			})
		}
		// A wrong code did not use up the aidant's next good one.
		if _, err := f.mandates.Create(context.Background(), f.input(u, f.aidant, "papiers")); err != nil {
			t.Errorf("after refusals: %v", err)
		}
	})
}

func TestNewMandateReplacesOnlySameOrganisationPermission(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		u := f.newUsager()
		first, err := f.mandates.Create(ctx, f.input(u, f.aidant, "papiers", "social"))
		if err != nil {
			t.Fatal(err)
		}
		// Another organisation's permission for the same procedure stays.
		saved := f.org
		other := f.newOrg("Mairie", "papiers")
		otherAidant := f.newAidant(other)
		f.org = other
		theirs, err := f.mandates.Create(ctx, f.input(u, otherAidant, "papiers"))
		if err != nil {
			t.Fatal(err)
		}
		f.org = saved
		second, err := f.mandates.Create(ctx, f.input(u, f.aidant, "papiers"))
		if err != nil {
			t.Fatal(err)
		}
		now := f.clock.Now()
		first, _ = f.mandates.Get(ctx, f.org.ID, first.ID)
		if s := first.Permissions[0].Status(now); s != mandate.StatusReplaced {
			t.Errorf("first papiers = %s, want replaced", s)
		}
		if s := first.Permissions[1].Status(now); s != mandate.StatusActive {
			t.Errorf("first social = %s, want active", s)
		}
		if first.Status(now) != mandate.StatusActive || second.Status(now) != mandate.StatusActive {
			t.Errorf("statuses %s %s", first.Status(now), second.Status(now))
		}
		theirs, _ = f.mandates.Get(ctx, other.ID, theirs.ID)
		if theirs.Status(now) != mandate.StatusActive {
			t.Errorf("the other organisation's mandate = %s", theirs.Status(now))
		}
	})
}

func TestOneCurrentPermissionUnderConcurrentCreations(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		u := f.newUsager()
		const n = 20
		inputs := make([]mandate.NewMandate, n)
		aidants := make([]account.Created, n)
		for i := range inputs {
			aidants[i] = f.newAidant(f.org)
			inputs[i] = f.input(u, aidants[i], "papiers", "logement")
		}
		// Every aidant's code valid at once (f.input moves the clock a step
		// at each call).
		for i := range inputs {
			code, err := account.TOTPCode(aidants[i].TOTPSecret, f.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			inputs[i].TOTPCode = code
		}
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range inputs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = f.mandates.Create(ctx, inputs[i])
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if problem.CodeOf(err) != problem.Conflict {
				// A concurrent creation that lost is a conflict to show,
				// never a failure (a 5xx).
				t.Errorf("concurrent creation: %v, want a conflict", err)
			}
		}
		if ok == 0 {
			t.Fatal("no creation succeeded")
		}
		var current int64
		d.Conn(ctx).Raw("SELECT COUNT(*) FROM permissions WHERE usager_id = ? AND ended_at IS NULL", u.ID).Scan(&current)
		if current != 2 {
			t.Errorf("%d current permissions after %d concurrent creations, want 2 (one per procedure)", current, ok)
		}
		// Even written directly, a second current permission is refused by the database.
		var mid string
		d.Conn(ctx).Raw("SELECT mandate_id FROM permissions WHERE usager_id = ? AND ended_at IS NULL LIMIT 1", u.ID).Scan(&mid)
		err := d.Conn(ctx).Exec("INSERT INTO permissions (id, mandate_id, organisation_id, usager_id, procedure, expires_at) VALUES (?, ?, ?, ?, 'papiers', ?)",
			"00000000-0000-0000-0000-00000000aaaa", mid, f.org.ID, u.ID, f.clock.Now().Add(time.Hour)).Error
		if !db.IsUniqueViolation(err) {
			t.Errorf("direct insert of a second current permission: %v", err)
		}
	})
}

func TestRevokeAndScoping(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		u := f.newUsager()
		m, err := f.mandates.Create(ctx, f.input(u, f.aidant, "papiers", "social"))
		if err != nil {
			t.Fatal(err)
		}
		by := mandate.Actor{Kind: audit.ActorAidant, ID: f.aidant.Account.ID}
		other := f.newOrg("Autre", "papiers")
		if _, err := f.mandates.RevokePermission(ctx, by, mandate.OfOrganisation(other.ID), m.ID, m.Permissions[0].ID); !errors.Is(err, mandate.ErrNotFound) {
			t.Errorf("revoke from another organisation: %v", err)
		}
		if _, err := f.mandates.Get(ctx, other.ID, m.ID); !errors.Is(err, mandate.ErrNotFound) {
			t.Errorf("get from another organisation: %v", err)
		}
		p, err := f.mandates.RevokePermission(ctx, by, mandate.OfOrganisation(f.org.ID), m.ID, m.Permissions[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.mandates.RevokePermission(ctx, by, mandate.OfOrganisation(f.org.ID), m.ID, p.ID); !errors.Is(err, mandate.ErrAlreadyRevoked) {
			t.Errorf("second revocation: %v", err)
		}
		now := f.clock.Now()
		got, _ := f.mandates.Get(ctx, f.org.ID, m.ID)
		if got.Permissions[0].Status(now) != mandate.StatusRevoked || got.Status(now) != mandate.StatusActive {
			t.Errorf("after revoking one: %s / %s", got.Permissions[0].Status(now), got.Status(now))
		}
		got, err = f.mandates.RevokeMandate(ctx, by, mandate.OfOrganisation(f.org.ID), m.ID)
		if err != nil || got.Status(now) != mandate.StatusRevoked || got.Permissions[1].Status(now) != mandate.StatusRevoked {
			t.Fatalf("revoke mandate = %+v, %v", got, err)
		}
		if _, err := f.mandates.RevokeMandate(ctx, by, mandate.OfOrganisation(f.org.ID), m.ID); !errors.Is(err, mandate.ErrAlreadyRevoked) {
			t.Errorf("second mandate revocation: %v", err)
		}
		v, err := f.mandates.Verify(ctx, m.Signature)
		if err != nil || v.Status != mandate.StatusRevoked {
			t.Errorf("verification after revocation = %v, %v", v.Status, err)
		}
		if _, err := f.mandates.Renew(ctx, mandate.Renewal{OrganisationID: f.org.ID, AidantID: f.aidant.Account.ID, MandateID: m.ID,
			DurationDays: 31, TOTPCode: f.code(f.aidant)}); !errors.Is(err, mandate.ErrNotRenewable) {
			t.Errorf("renew a revoked mandate: %v", err)
		}
	})
}

func TestExpiryAndRenewal(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		u := f.newUsager()
		in := f.input(u, f.aidant, "logement")
		in.DurationDays = 1
		m, err := f.mandates.Create(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		use := mandate.Use{PermissionID: m.Permissions[0].ID, AidantID: f.aidant.Account.ID, OrganisationID: f.org.ID, UsagerID: u.ID, Procedure: "logement"}
		if err := f.mandates.CheckUse(ctx, use); err != nil {
			t.Fatalf("CheckUse before expiry: %v", err)
		}
		renewed, err := f.mandates.Renew(ctx, mandate.Renewal{OrganisationID: f.org.ID, AidantID: f.aidant.Account.ID, MandateID: m.ID,
			DurationDays: 31, TOTPCode: f.code(f.aidant)})
		if err != nil || renewed.Renews != m.ID || renewed.FCIDTokenSHA256 != m.FCIDTokenSHA256 {
			t.Fatalf("renew = %+v, %v", renewed, err)
		}
		if err := f.mandates.CheckUse(ctx, use); !errors.Is(err, mandate.ErrPermissionUnusable) {
			t.Errorf("the renewed mandate's permission is still usable: %v", err)
		}
		// The renewal expires 31 days on; from that instant it is unusable even before the job runs.
		f.clock.Advance(31*24*time.Hour + time.Minute)
		use.PermissionID = renewed.Permissions[0].ID
		if err := f.mandates.CheckUse(ctx, use); !errors.Is(err, mandate.ErrPermissionUnusable) {
			t.Errorf("expired permission usable: %v", err)
		}
		n, err := f.mandates.RecordExpiries(ctx, 100)
		if err != nil || n < 1 {
			t.Fatalf("RecordExpiries = %d, %v", n, err)
		}
		if n, _ := f.mandates.RecordExpiries(ctx, 100); n != 0 {
			t.Errorf("second run recorded %d", n)
		}
		var expired int64
		d.Conn(ctx).Raw("SELECT COUNT(*) FROM audit_entries WHERE action = 'mandate.expired' AND mandate_id = ?", renewed.ID).Scan(&expired)
		if expired != 1 {
			t.Errorf("%d expiry entries for the renewal, want 1", expired)
		}
		got, _ := f.mandates.Get(ctx, f.org.ID, renewed.ID)
		if got.Status(f.clock.Now()) != mandate.StatusExpired {
			t.Errorf("status = %s", got.Status(f.clock.Now()))
		}
	})
}

func TestCheckUseResolveAndUsableBy(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		u := f.newUsager()
		m, err := f.mandates.Create(ctx, f.input(u, f.aidant, "papiers", "social"))
		if err != nil {
			t.Fatal(err)
		}
		good := mandate.Use{PermissionID: m.Permissions[0].ID, AidantID: f.aidant.Account.ID, OrganisationID: f.org.ID, UsagerID: u.ID, Procedure: "papiers"}
		other := f.newOrg("Autre", "papiers")
		tests := []struct {
			name   string
			modify func(*mandate.Use)
			want   error
		}{
			{"good", func(*mandate.Use) {}, nil},
			{"other organisation", func(u *mandate.Use) { u.OrganisationID = other.ID }, mandate.ErrOtherOrganisation},
			{"other usager", func(u *mandate.Use) { u.UsagerID = strings.Repeat("y", 43) }, mandate.ErrOtherOrganisation},
			{"other procedure", func(u *mandate.Use) { u.Procedure = "social" }, mandate.ErrPermissionUnusable},
			{"forged permission id", func(u *mandate.Use) { u.PermissionID = "' OR 1=1 --" }, mandate.ErrOtherOrganisation},
		}
		for _, tt := range tests {
			use := good
			tt.modify(&use)
			if err := f.mandates.CheckUse(ctx, use); !errors.Is(err, tt.want) && !(tt.want == nil && err == nil) {
				t.Errorf("%s: CheckUse = %v, want %v", tt.name, err, tt.want)
			}
		}
		s, err := f.mandates.UsableBy(ctx, f.aidant.Account.ID, f.org.ID, []string{"social", "logement"})
		if err != nil || s.Refusal != nil || len(s.Permissions) != 1 || s.Permissions[0].UsagerID != u.ID || s.Permissions[0].Procedure != "social" ||
			s.OrganisationName != f.org.Name || s.GivenName != f.aidant.Account.GivenName {
			t.Fatalf("UsableBy = %+v, %v", s, err)
		}
		if s, _ := f.mandates.UsableBy(ctx, f.aidant.Account.ID, other.ID, []string{"papiers"}); len(s.Permissions) != 0 || s.Refusal == nil {
			t.Errorf("in another organisation: %+v, want a refusal and no permission", s)
		}
		res, err := f.mandates.Resolve(ctx, f.aidant.Account.ID, f.org.ID, good.PermissionID)
		if err != nil || res.Permission.UsagerID != u.ID || res.Permission.MandateID != m.ID || res.SIRET != f.org.SIRET {
			t.Errorf("Resolve = %+v, %v", res, err)
		}
		if err := f.dir.Deactivate(ctx, account.Operator, f.aidant.Account.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.mandates.CheckUse(ctx, good); !errors.Is(err, account.ErrInactive) {
			t.Errorf("deactivated aidant: %v", err)
		}
		listed, err := f.mandates.UsagersOf(ctx, f.org.ID, mandate.Listing{Search: "élo", Status: mandate.StatusActive})
		if err != nil || len(listed) != 1 || len(listed[0].Mandates) != 1 {
			t.Errorf("UsagersOf = %+v, %v", listed, err)
		}
		if listed, _ := f.mandates.UsagersOf(ctx, f.org.ID, mandate.Listing{Status: mandate.StatusExpired}); len(listed) != 0 {
			t.Errorf("expired filter lists %d", len(listed))
		}
	})
}

func TestVerifyStoredDetectsAlteredRows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		m, err := f.mandates.Create(ctx, f.input(f.newUsager(), f.aidant, "papiers", "social"))
		if err != nil {
			t.Fatal(err)
		}
		if v, err := f.mandates.VerifyStored(ctx, m.ID); err != nil || v.Status != mandate.StatusActive {
			t.Fatalf("VerifyStored = %+v, %v", v, err)
		}
		if _, err := f.mandates.VerifyStored(ctx, "00000000-0000-0000-0000-000000000000"); !errors.Is(err, mandate.ErrNoSuchMandate) {
			t.Errorf("unknown id: %v", err)
		}
		// Someone with database access extends the mandate: the signature no longer covers it.
		if err := d.Conn(ctx).Exec("UPDATE mandates SET expires_at = ? WHERE id = ?", m.ExpiresAt.AddDate(5, 0, 0), m.ID).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := f.mandates.VerifyStored(ctx, m.ID); !errors.Is(err, mandate.ErrSignatureInvalid) {
			t.Errorf("altered row: %v", err)
		}
	})
}
