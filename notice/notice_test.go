package notice_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"procura/account"
	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
	"procura/identity"
	"procura/notice"
	"procura/outbox"
	"procura/outbox/smtptest"
	"procura/usager"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type noSessions struct{}

func (noSessions) EndAccountSessions(context.Context, string) (int64, error) { return 0, nil }

type fixture struct {
	d       *db.DB
	now     time.Time
	outbox  *outbox.Outbox
	notices *notice.Notices
	usagers *usager.Registry
	org     account.Organisation
	dir     *account.Directory
}

var seq atomic.Int64

// newFixture wires the notices on d with one organisation; the clock is
// f.now.
func newFixture(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{d: d, now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	clock := func() time.Time { return f.now }
	j := audit.New(d, clock)
	dir, err := account.NewDirectory(d, j, bytes.Repeat([]byte{1}, 32), noSessions{}, clock)
	if err != nil {
		t.Fatal(err)
	}
	if f.usagers, err = usager.New(d, j, bytes.Repeat([]byte{2}, 32), clock); err != nil {
		t.Fatal(err)
	}
	if f.org, err = dir.CreateOrganisation(ctx, account.Operator, account.NewOrganisation{SIRET: freshSIRET(), Name: "France Services d'Ambert"}); err != nil {
		t.Fatal(err)
	}
	f.dir = dir
	f.outbox = outbox.New(d, clock)
	links, err := notice.NewLinks(bytes.Repeat([]byte{3}, 32), "https://procura.example.fr")
	if err != nil {
		t.Fatal(err)
	}
	f.notices = notice.New(d, j, f.outbox, f.usagers, dir, links, clock)
	return f
}

func freshSIRET() string {
	seq.CompareAndSwap(0, time.Now().UnixNano()%1e12*10)
	for {
		base := fmt.Sprintf("%013d", seq.Add(1)%1e13)
		for d := 0; d <= 9; d++ {
			if s := base + fmt.Sprint(d); account.ValidSIRET(s) {
				return s
			}
		}
	}
}

// usager identifies a new usager with email (none when "").
func (f *fixture) usager(t *testing.T, email string) usager.Usager {
	t.Helper()
	id := identity.Identity{Issuer: "https://fc.example/api/v2", Sub: fmt.Sprintf("sub-%d", time.Now().UnixNano()), Claims: identity.Claims{
		GivenName: "Élodie", FamilyName: "D'Arcy-Lefèvre", Birthdate: "1962-00-00", Gender: "female",
		Birthplace: "75056", Birthcountry: "99100", Email: email}}
	u, err := f.usagers.Identify(context.Background(), audit.ActorUsager, "", id, usager.ContextUsagerSpace)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *fixture) login(t *testing.T, u usager.Usager) {
	t.Helper()
	err := f.d.InTx(context.Background(), func(ctx context.Context) error {
		return f.notices.Record(ctx, notice.Login{UsagerID: u.ID, OrganisationID: f.org.ID, Service: "Caisse démo", Procedure: "social", At: f.now})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) mailTo(t *testing.T, address string) []outbox.Record {
	t.Helper()
	all, err := f.outbox.List(context.Background(), outbox.Filter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var mine []outbox.Record
	for _, r := range all {
		if r.Message.To == address {
			mine = append(mine, r)
		}
	}
	return mine
}

func uniqueEmail(name string) string {
	return fmt.Sprintf("%s-%d@example.fr", name, time.Now().UnixNano())
}

// A notice is written only inside the login's transaction, and a login
// that rolls back leaves none.
func TestRecordBelongsToTheLogin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		u := f.usager(t, uniqueEmail("rollback"))
		l := notice.Login{UsagerID: u.ID, OrganisationID: f.org.ID, Service: "Caisse démo", Procedure: "social", At: f.now}
		if err := f.notices.Record(context.Background(), l); !errors.Is(err, notice.ErrNoTransaction) {
			t.Errorf("Record outside a transaction = %v", err)
		}
		errLogin := errors.New("the login failed")
		err := d.InTx(context.Background(), func(ctx context.Context) error {
			if err := f.notices.Record(ctx, l); err != nil {
				return err
			}
			return errLogin
		})
		if !errors.Is(err, errLogin) {
			t.Fatal(err)
		}
		if err := f.notices.Batch(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := f.mailTo(t, u.Email); len(got) != 0 {
			t.Errorf("a rolled-back login was told: %+v", got)
		}
	})
}

// The notice arrives over SMTP, in French, with its headers, both bodies
// and why the person receives it.
func TestLoginNoticeArrives(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		srv := smtptest.Start(t)
		f := newFixture(t, d)
		u := f.usager(t, uniqueEmail("elodie"))
		f.login(t, u)
		s, err := outbox.NewSMTP(srv.Config())
		if err != nil {
			t.Fatal(err)
		}
		w := &outbox.Worker{Outbox: f.outbox, Sender: s, Before: f.notices.Batch}
		if _, err := w.Deliver(context.Background(), 100); err != nil {
			t.Fatal(err)
		}
		var got *smtptest.Received
		for _, m := range srv.Messages() {
			if len(m.To) == 1 && m.To[0] == u.Email {
				got = &m
			}
		}
		if got == nil {
			t.Fatalf("no message to %s among %d", u.Email, len(srv.Messages()))
		}
		msg, err := mail.ReadMessage(strings.NewReader(got.Data))
		if err != nil {
			t.Fatal(err)
		}
		dec := new(mime.WordDecoder)
		subject, _ := dec.DecodeHeader(msg.Header.Get("Subject"))
		to, _ := dec.DecodeHeader(msg.Header.Get("To"))
		if subject != "Procura : une connexion a été faite en votre nom" || !strings.Contains(to, "Élodie D'Arcy-Lefèvre") {
			t.Errorf("subject %q, to %q", subject, to)
		}
		if !strings.Contains(got.Data, "text/plain") || !strings.Contains(got.Data, "text/html") || strings.Contains(got.Data, "<img") {
			t.Errorf("bodies:\n%s", got.Data)
		}
		rec := f.mailTo(t, u.Email)
		if len(rec) != 1 || rec[0].Status != outbox.StatusSent {
			t.Fatalf("outbox: %+v", rec)
		}
		for _, want := range []string{"le 2 mars 2026 à 10 h 00 : Caisse démo, démarche « Social - Santé », par un aidant de France Services d'Ambert",
			"Vous recevez ce courriel parce que vous avez demandé", "https://procura.example.fr/usager/espace"} {
			if !strings.Contains(rec[0].Message.Text, want) {
				t.Errorf("text lacks %q:\n%s", want, rec[0].Message.Text)
			}
		}
	})
}

// A usager without an address (FranceConnect requires one; erasure after
// retention empties it) is told nothing, and their notices do not pile up.
func TestNoAddressNoNotice(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		u := f.usager(t, uniqueEmail("gone"))
		f.login(t, u)
		if err := d.Conn(context.Background()).Exec("UPDATE usagers SET email = '' WHERE id = ?", u.ID).Error; err != nil {
			t.Fatal(err)
		}
		if err := f.notices.Batch(context.Background()); err != nil {
			t.Fatal(err)
		}
		var left int64
		d.Conn(context.Background()).Raw("SELECT COUNT(*) FROM usager_notices WHERE usager_id = ?", u.ID).Scan(&left)
		if left != 0 {
			t.Errorf("%d notices left for a usager without address", left)
		}
	})
}

// Two instances batching at once write one message, not two.
func TestTwoBatchersWriteOneMessage(t *testing.T) {
	d := dbtest.Postgres(t)
	f := newFixture(t, d)
	u := f.usager(t, uniqueEmail("twice"))
	for range 3 {
		f.login(t, u)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f.notices.Batch(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got := f.mailTo(t, u.Email)
	if len(got) != 1 || !strings.HasPrefix(got[0].Message.Subject, "Procura : 3 connexions") {
		t.Fatalf("messages: %+v", got)
	}
}
