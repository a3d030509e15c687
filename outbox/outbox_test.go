package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"procura/db"
	"procura/db/dbtest"
	"procura/outbox"
	"procura/outbox/smtptest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now().UTC().Truncate(time.Second)} }
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fresh empties the outbox: the package's PostgreSQL database is shared by
// its tests, and a worker sends whatever is due.
func fresh(t *testing.T, d *db.DB) {
	t.Helper()
	for _, table := range []string{"usager_notices", "outbox_messages"} {
		if err := d.Conn(context.Background()).Exec("DELETE FROM " + table).Error; err != nil {
			t.Fatal(err)
		}
	}
}

func message(key string) outbox.Message {
	return outbox.Message{Key: key, Kind: "test", To: "camille.martin@example.fr", ToName: "Camille Martin",
		Subject: "Connexion faite en votre nom", Text: "Bonjour,\nune connexion a été faite en votre nom.\n",
		HTML: "<p>Bonjour,</p><p>une connexion a été faite en votre nom.</p>"}
}

func enqueue(t *testing.T, d *db.DB, o *outbox.Outbox, m outbox.Message) string {
	t.Helper()
	var id string
	err := d.InTx(context.Background(), func(ctx context.Context) error {
		var err error
		id, err = o.Enqueue(ctx, m)
		return err
	})
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	return id
}

func newWorker(t *testing.T, o *outbox.Outbox, cfg outbox.SMTPConfig) *outbox.Worker {
	t.Helper()
	s, err := outbox.NewSMTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &outbox.Worker{Outbox: o, Sender: s, MaxAttempts: 3, Backoff: time.Minute, MaxBackoff: 10 * time.Minute}
}

func only(t *testing.T, o *outbox.Outbox) outbox.Record {
	t.Helper()
	recs, err := o.List(context.Background(), outbox.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 {
		t.Fatalf("got %d stored messages, want 1", len(recs))
	}
	return recs[0]
}

// A committed message arrives over STARTTLS and AUTH with its headers and
// both bodies, and is recorded as sent.
func TestMessageArrives(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		fresh(t, d)
		srv := smtptest.Start(t)
		c := newClock()
		o := outbox.New(d, c.Now)
		key := fmt.Sprintf("arrives-%d", time.Now().UnixNano())
		enqueue(t, d, o, message(key))
		n, err := newWorker(t, o, srv.Config()).Deliver(context.Background(), 10)
		if err != nil || n != 1 {
			t.Fatalf("Deliver = %d, %v; want 1, nil", n, err)
		}
		got := srv.Messages()
		if len(got) != 1 {
			t.Fatalf("server received %d messages, want 1", len(got))
		}
		m := got[0]
		if m.User != smtptest.User || m.From != "ne-pas-repondre@procura.example.fr" || len(m.To) != 1 || m.To[0] != "camille.martin@example.fr" {
			t.Errorf("envelope: user %q from %q to %v", m.User, m.From, m.To)
		}
		for _, want := range []string{
			"From: \"Procura\" <ne-pas-repondre@procura.example.fr>",
			"To: \"Camille Martin\" <camille.martin@example.fr>",
			"Subject: Connexion faite en votre nom",
			"Message-ID: <" + outbox.MessageID(key, "procura.example.fr") + ">",
			"multipart/alternative", "text/plain; charset=UTF-8", "text/html; charset=UTF-8",
		} {
			if !strings.Contains(m.Data, want) {
				t.Errorf("message lacks %q:\n%s", want, m.Data)
			}
		}
		if r := only(t, o); r.Status != outbox.StatusSent || r.Attempts != 1 || r.SentAt == nil {
			t.Errorf("record after send: %+v", r)
		}
		// Nothing left to send.
		if n, err := newWorker(t, o, srv.Config()).Deliver(context.Background(), 10); n != 0 || err != nil {
			t.Errorf("second Deliver = %d, %v", n, err)
		}
	})
}

// A message enqueued by an act that rolls back is never stored.
func TestRolledBackActLeavesNoMessage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		fresh(t, d)
		o := outbox.New(d, newClock().Now)
		errAct := errors.New("the act failed")
		err := d.InTx(context.Background(), func(ctx context.Context) error {
			if _, err := o.Enqueue(ctx, message(fmt.Sprintf("rollback-%d", time.Now().UnixNano()))); err != nil {
				return err
			}
			return errAct
		})
		if !errors.Is(err, errAct) {
			t.Fatalf("InTx = %v", err)
		}
		if recs, _ := o.List(context.Background(), outbox.Filter{}); len(recs) != 0 {
			t.Errorf("got %d messages after a rollback", len(recs))
		}
		if _, err := o.Enqueue(context.Background(), message("outside")); !errors.Is(err, outbox.ErrNoTransaction) {
			t.Errorf("Enqueue outside a transaction = %v, want ErrNoTransaction", err)
		}
	})
}

// A second message with the same key adds nothing and returns the first id.
func TestEnqueueIsIdempotent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		fresh(t, d)
		o := outbox.New(d, newClock().Now)
		key := fmt.Sprintf("idem-%d", time.Now().UnixNano())
		first := enqueue(t, d, o, message(key))
		if second := enqueue(t, d, o, message(key)); second != first {
			t.Errorf("second Enqueue id %s, want %s", second, first)
		}
		only(t, o)
	})
}

// No header can be injected: Enqueue refuses line breaks, and the sender
// encodes what reaches it anyway.
func TestHeaderInjectionIsImpossible(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(m *outbox.Message)
	}{
		{"CRLF in subject", func(m *outbox.Message) { m.Subject = "Bonjour\r\nBcc: espion@example.com" }},
		{"LF in subject", func(m *outbox.Message) { m.Subject = "Bonjour\nBcc: espion@example.com" }},
		{"CR in name", func(m *outbox.Message) { m.ToName = "Camille\rBcc: espion@example.com" }},
		{"CRLF in address", func(m *outbox.Message) { m.To = "camille@example.fr\r\nBcc: espion@example.com" }},
		{"two addresses", func(m *outbox.Message) { m.To = "camille@example.fr, espion@example.com" }},
		{"CRLF in unsubscribe link", func(m *outbox.Message) { m.Unsubscribe = "https://procura.example.fr/a\r\nBcc: espion@example.com" }},
		{"unsubscribe link closing the header's bracket", func(m *outbox.Message) { m.Unsubscribe = "https://procura.example.fr/a>, <mailto:x@example.com" }},
		{"unsubscribe link not http", func(m *outbox.Message) { m.Unsubscribe = "javascript:alert(1)" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := message("inject")
			tc.edit(&m)
			if err := m.Validate(); !errors.Is(err, outbox.ErrInvalid) {
				t.Errorf("Validate = %v, want ErrInvalid", err)
			}
		})
	}
	t.Run("sender encodes", func(t *testing.T) {
		srv := smtptest.Start(t)
		s, err := outbox.NewSMTP(srv.Config())
		if err != nil {
			t.Fatal(err)
		}
		m := message("inject-sender")
		m.Subject = "Bonjour\r\nBcc: espion@example.com"
		if err := s.Send(context.Background(), "id", m); err != nil {
			t.Fatalf("Send: %v", err)
		}
		got := srv.Messages()
		if len(got) != 1 || len(got[0].To) != 1 {
			t.Fatalf("received %+v", got)
		}
		for _, line := range strings.Split(got[0].Data, "\r\n") {
			if strings.HasPrefix(line, "Bcc:") {
				t.Errorf("injected header line %q", line)
			}
		}
		// A line break in a name is refused outright, for good.
		m = message("inject-name")
		m.ToName = "Camille\r\nX-Injected: oui"
		var perm *outbox.PermanentError
		if err := s.Send(context.Background(), "id", m); !errors.As(err, &perm) {
			t.Errorf("Send with a line break in the name = %v, want a PermanentError", err)
		}
		if n := len(srv.Messages()); n != 1 {
			t.Errorf("server received %d messages, want 1", n)
		}
	})
}

// The SMTP server being down delays the message; it is sent once the
// server is back and its backoff is over.
func TestRetryAfterServerComesBack(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		fresh(t, d)
		srv := smtptest.Start(t)
		srv.Stop()
		c := newClock()
		o := outbox.New(d, c.Now)
		enqueue(t, d, o, message(fmt.Sprintf("retry-%d", time.Now().UnixNano())))
		w := newWorker(t, o, srv.Config())
		if n, err := w.Deliver(context.Background(), 10); n != 0 || err != nil {
			t.Fatalf("Deliver with the server down = %d, %v; want 0, nil", n, err)
		}
		r := only(t, o)
		if r.Status != outbox.StatusPending || r.Attempts != 1 || r.LastError == "" || !r.NextAt.Equal(c.Now().Add(time.Minute)) {
			t.Fatalf("after a failed attempt: %+v", r)
		}
		srv.Restart(t)
		if n, _ := w.Deliver(context.Background(), 10); n != 0 {
			t.Errorf("sent before the backoff ended")
		}
		c.Advance(time.Minute)
		if n, err := w.Deliver(context.Background(), 10); n != 1 || err != nil {
			t.Fatalf("Deliver after the server came back = %d, %v", n, err)
		}
		if r := only(t, o); r.Status != outbox.StatusSent || r.Attempts != 2 || r.LastError != "" {
			t.Errorf("after the retry: %+v", r)
		}
	})
}

// A permanent refusal fails the message at once; temporary failures fail
// it after the last attempt. Either way the operator sees why.
func TestFinalFailureIsRecorded(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		fresh(t, d)
		srv := smtptest.Start(t)
		c := newClock()
		o := outbox.New(d, c.Now)
		w := newWorker(t, o, srv.Config())
		srv.Refuse(&smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"})
		enqueue(t, d, o, message(fmt.Sprintf("refused-%d", time.Now().UnixNano())))
		w.Deliver(context.Background(), 10)
		failed, err := o.List(context.Background(), outbox.Filter{Status: outbox.StatusFailed})
		if err != nil || len(failed) != 1 || failed[0].Attempts != 1 || !strings.Contains(failed[0].LastError, "no such mailbox") {
			t.Fatalf("after a 550: %+v, %v", failed, err)
		}

		srv.Refuse(&smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"})
		enqueue(t, d, o, message(fmt.Sprintf("temporary-%d", time.Now().UnixNano())))
		for range 3 {
			w.Deliver(context.Background(), 10)
			c.Advance(time.Hour)
		}
		failed, _ = o.List(context.Background(), outbox.Filter{Status: outbox.StatusFailed})
		if len(failed) == 2 && strings.HasPrefix(failed[1].Message.Key, "temporary") {
			failed[0], failed[1] = failed[1], failed[0]
		}
		if len(failed) != 2 || failed[0].Attempts != 3 || !strings.Contains(failed[0].LastError, "try later") {
			t.Fatalf("after three 451: %+v", failed)
		}
		if pending, _ := o.List(context.Background(), outbox.Filter{Status: outbox.StatusPending}); len(pending) != 0 {
			t.Errorf("still pending: %+v", pending)
		}
	})
}

// Two workers (two instances on one PostgreSQL) never send a message twice.
func TestTwoWorkersNeverSendTheSameMessage(t *testing.T) {
	d := dbtest.Postgres(t)
	fresh(t, d)
	srv := smtptest.Start(t)
	c := newClock()
	o := outbox.New(d, c.Now)
	prefix := fmt.Sprintf("twice-%d-", time.Now().UnixNano())
	const total = 40
	for i := range total {
		enqueue(t, d, o, message(fmt.Sprintf("%s%d", prefix, i)))
	}
	var wg sync.WaitGroup
	counts := make([]int, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newWorker(t, outbox.New(d, c.Now), srv.Config())
			n, err := w.Deliver(context.Background(), total)
			if err != nil {
				t.Error(err)
			}
			counts[i] = n
		}()
	}
	wg.Wait()
	seen := map[string]int{}
	for _, m := range srv.Messages() {
		i := strings.Index(m.Data, "Message-ID: <")
		if i < 0 {
			t.Fatal("a message without Message-ID")
		}
		id := m.Data[i : i+strings.Index(m.Data[i:], ">")]
		seen[id]++
	}
	if len(seen) != total || counts[0]+counts[1] != total {
		t.Errorf("distinct messages received %d, sent counts %v; want %d", len(seen), counts, total)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s received %d times", id, n)
		}
	}
}

// Sent and failed messages older than the cut are purged; pending ones stay.
func TestPurge(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		fresh(t, d)
		c := newClock()
		o := outbox.New(d, c.Now)
		sent := enqueue(t, d, o, message(fmt.Sprintf("purge-sent-%d", time.Now().UnixNano())))
		enqueue(t, d, o, message(fmt.Sprintf("purge-pending-%d", time.Now().UnixNano())))
		if err := d.Conn(context.Background()).Exec("UPDATE outbox_messages SET status = 'sent' WHERE id = ?", sent).Error; err != nil {
			t.Fatal(err)
		}
		if n, err := o.Purge(context.Background(), c.Now(), 10); n != 0 || err != nil {
			t.Fatalf("Purge before the cut = %d, %v", n, err)
		}
		c.Advance(time.Hour)
		if n, err := o.Purge(context.Background(), c.Now(), 10); n != 1 || err != nil {
			t.Fatalf("Purge = %d, %v; want 1", n, err)
		}
		if r := only(t, o); r.Status != outbox.StatusPending {
			t.Errorf("left: %+v", r)
		}
	})
}

// A message to a usager carries its unsubscribe link as List-Unsubscribe
// (one-click over https, RFC 8058); a permanent refusal of its recipient at
// RCPT fails it and tells OnRefused, which a temporary failure and a
// message to nobody in particular do not.
func TestUnsubscribeHeaderAndRefusedRecipient(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		fresh(t, d)
		srv := smtptest.Start(t)
		c := newClock()
		o := outbox.New(d, c.Now)
		w := newWorker(t, o, srv.Config())
		var refused []outbox.Message
		w.OnRefused = func(_ context.Context, m outbox.Message) error {
			refused = append(refused, m)
			return nil
		}
		m := message(fmt.Sprintf("unsubscribe-%d", time.Now().UnixNano()))
		m.UsagerID, m.Unsubscribe = "usager-1", "https://procura.example.fr/usager/courriels/arret?jeton=abc&usager=u1"
		enqueue(t, d, o, m)
		if n, err := w.Deliver(context.Background(), 10); n != 1 || err != nil {
			t.Fatalf("Deliver = %d, %v", n, err)
		}
		data := srv.Messages()[0].Data
		for _, want := range []string{"List-Unsubscribe: <https://procura.example.fr/usager/courriels/arret?jeton=abc&usager=u1>",
			"List-Unsubscribe-Post: List-Unsubscribe=One-Click"} {
			if !strings.Contains(data, want) {
				t.Errorf("message lacks %q:\n%s", want, data)
			}
		}

		srv.RefuseRecipient("absent@example.fr")
		bounced := message(fmt.Sprintf("bounced-%d", time.Now().UnixNano()))
		bounced.To, bounced.UsagerID = "absent@example.fr", "usager-2"
		enqueue(t, d, o, bounced)
		anonymous := message(fmt.Sprintf("bounced-anonymous-%d", time.Now().UnixNano()))
		anonymous.To = "absent@example.fr"
		enqueue(t, d, o, anonymous)
		w.Deliver(context.Background(), 10)
		if len(refused) != 1 || refused[0].UsagerID != "usager-2" || refused[0].To != "absent@example.fr" {
			t.Fatalf("OnRefused got %+v", refused)
		}
		failed, _ := o.List(context.Background(), outbox.Filter{Status: outbox.StatusFailed})
		if len(failed) != 2 {
			t.Errorf("%d failed messages, want 2", len(failed))
		}

		srv.Refuse(&smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"})
		later := message(fmt.Sprintf("later-%d", time.Now().UnixNano()))
		later.UsagerID = "usager-3"
		enqueue(t, d, o, later)
		w.Deliver(context.Background(), 10)
		if len(refused) != 1 {
			t.Errorf("a temporary failure told OnRefused: %+v", refused)
		}
	})
}
