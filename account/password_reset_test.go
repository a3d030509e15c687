package account_test

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"procura/account"
	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
	"procura/outbox"
)

// resetLink is the token of the newest recovery message to email.
func resetLink(t *testing.T, o *outbox.Outbox, email string) (string, int) {
	t.Helper()
	recs, err := o.List(context.Background(), outbox.Filter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	n, token := 0, ""
	for _, r := range recs {
		if r.Message.To != email || r.Message.Kind != "password_reset" {
			continue
		}
		if n++; token == "" {
			_, link, _ := strings.Cut(r.Message.Text, "https://procura.example.fr"+account.PasswordResetPath+"?jeton=")
			link, _, _ = strings.Cut(link, "\n")
			token, _ = url.QueryUnescape(link)
		}
	}
	return token, n
}

func TestPasswordRecovery(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		o := outbox.New(d, f.clock.Now)
		f.dir.WithMailer(o, "https://procura.example.fr")
		c := f.newAidant(t, true)
		email := strings.ToLower(c.Account.Email)
		if err := f.d.Conn(ctx).Table("web_sessions").Create(map[string]any{"id_hash": []byte("reset-test-" + c.Account.ID), "data": []byte("{}"),
			"created_at": f.clock.Now(), "last_seen_at": f.clock.Now(), "expires_at": f.clock.Now().Add(time.Hour), "account_id": c.Account.ID}).Error; err != nil {
			t.Fatal(err)
		}

		// The same answer for an unknown address; a malformed one is refused.
		if err := f.dir.RequestPasswordReset(ctx, "personne@example.fr", "192.0.2.7"); err != nil {
			t.Errorf("unknown address: %v", err)
		}
		if err := f.dir.RequestPasswordReset(ctx, "pas une adresse", "192.0.2.7"); err == nil {
			t.Error("malformed address accepted")
		}
		if err := f.dir.RequestPasswordReset(ctx, "  "+c.Account.Email, "192.0.2.7"); err != nil {
			t.Fatal(err)
		}
		if _, n := resetLink(t, o, email); n != 0 {
			t.Fatalf("a message written by the request itself")
		}
		process(t, f.dir)
		token, n := resetLink(t, o, email)
		if n != 1 || token == "" {
			t.Fatalf("%d recovery messages, token %q", n, token)
		}
		if a, err := f.dir.OpenPasswordReset(ctx, token); err != nil || a.ID != c.Account.ID {
			t.Fatalf("OpenPasswordReset = %+v, %v", a, err)
		}
		// The password policy holds.
		if _, err := f.dir.ResetPassword(ctx, token, "court", "court"); err == nil {
			t.Error("a short password was accepted")
		}
		if _, err := f.dir.ResetPassword(ctx, token, "tilleul orage violon prune", "tilleul orage violon"); !errors.Is(err, account.ErrPasswordMismatch) {
			t.Errorf("mismatch: %v", err)
		}
		if _, err := f.dir.ResetPassword(ctx, token, "tilleul orage violon prune", "tilleul orage violon prune"); err != nil {
			t.Fatal(err)
		}
		// Single use; every session ended; the second factor still needed.
		if _, err := f.dir.ResetPassword(ctx, token, "autre mot de passe solide", "autre mot de passe solide"); !errors.Is(err, account.ErrResetInvalid) {
			t.Errorf("second use: %v", err)
		}
		if n := f.count(t, "web_sessions", "account_id = ?", c.Account.ID); n != 0 {
			t.Errorf("%d sessions left", n)
		}
		if _, err := f.dir.SignIn(ctx, account.Credentials{Email: email, Password: "tilleul orage violon prune", Code: "000000", IP: "192.0.2.1"}, f.session); err == nil {
			t.Error("signed in without the second factor")
		}
		f.clock.Advance(30 * time.Second)
		if _, err := f.dir.SignIn(ctx, account.Credentials{Email: email, Password: "tilleul orage violon prune", Code: f.code(t, c.TOTPSecret), IP: "192.0.2.1"}, f.session); err != nil {
			t.Errorf("sign-in with the new password: %v", err)
		}
		acts := f.actions(t, c.Account.ID)
		if !slices.Contains(acts, audit.ActionPasswordResetRequested) || !slices.Contains(acts, audit.ActionPasswordReset) {
			t.Errorf("journal: %v", acts)
		}

		// A link expires after an hour; at most three links an hour.
		for range 3 {
			if err := f.dir.RequestPasswordReset(ctx, email, "192.0.2.8"); err != nil {
				t.Fatal(err)
			}
		}
		process(t, f.dir)
		token, n = resetLink(t, o, email)
		if n != 3 {
			t.Errorf("%d messages after four requests within the hour, want 3", n)
		}
		f.clock.Advance(time.Hour)
		if _, err := f.dir.OpenPasswordReset(ctx, token); !errors.Is(err, account.ErrResetInvalid) {
			t.Errorf("expired link: %v", err)
		}
	})
}

// process answers the recorded requests, as the outbox worker does.
func process(t *testing.T, dir *account.Directory) {
	t.Helper()
	if _, err := dir.ProcessPasswordResetRequests(context.Background(), 1000); err != nil {
		t.Fatal(err)
	}
}

// "Mot de passe oublié" does the same work whether the address has an
// account or not: the same statements, in the same order; the lookup and
// the link come later, in the outbox worker. Expired links are purged.
func TestPasswordResetRequestSameWork(t *testing.T) {
	ctx := context.Background()
	counter := &dbtest.Statements{}
	d := dbtest.PostgresTraced(t, counter)
	f := newFixture(t, d)
	o := outbox.New(d, f.clock.Now)
	f.dir.WithMailer(o, "https://procura.example.fr")
	c := f.newAidant(t, true)
	work := func(email, ip string) []string {
		t.Helper()
		counter.Reset()
		if err := f.dir.RequestPasswordReset(ctx, email, ip); err != nil {
			t.Fatal(err)
		}
		statements, _ := counter.Counts()
		return statements
	}
	known := work(c.Account.Email, "203.0.113.1")
	unknown := work("personne-"+c.Account.ID+"@example.fr", "203.0.113.2")
	if !slices.Equal(known, unknown) {
		t.Errorf("known address:\n%s\nunknown address:\n%s", strings.Join(known, "\n"), strings.Join(unknown, "\n"))
	}
	for _, s := range known {
		if strings.Contains(s, "accounts") || strings.Contains(s, "outbox_messages") {
			t.Errorf("the request looked the address up or wrote a message: %s", s)
		}
	}
	process(t, f.dir)
	if _, n := resetLink(t, o, strings.ToLower(c.Account.Email)); n != 1 {
		t.Errorf("%d messages after processing, want 1", n)
	}
	if n := f.count(t, "password_reset_requests", "email LIKE ?", "personne-"+c.Account.ID+"%"); n != 0 {
		t.Errorf("%d requests left", n)
	}
	f.clock.Advance(time.Hour + time.Second)
	if _, err := f.dir.PurgePasswordResets(ctx, 100); err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, "password_resets", "account_id = ?", c.Account.ID); n != 0 {
		t.Errorf("%d expired links left after the purge", n)
	}
}

// Too many requests from one address are refused, whatever the emails.
func TestPasswordRecoveryThrottled(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.dir.WithMailer(outbox.New(d, f.clock.Now), "https://procura.example.fr")
		var err error
		for i := 0; i < 30 && err == nil; i++ {
			err = f.dir.RequestPasswordReset(context.Background(), "personne@example.fr", "198.51.100.9")
		}
		if !errors.Is(err, account.ErrResetThrottled) {
			t.Errorf("after 30 requests: %v, want ErrResetThrottled", err)
		}
	})
}
