package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"procura/db"
	"procura/outbox"
)

// The operator sees a message that failed for good, with why, and queues
// it again once the cause is fixed.
func TestAdminOutbox(t *testing.T) {
	eachStore(t, func(t *testing.T, env map[string]string) {
		ctx := context.Background()
		d, err := db.Open(ctx, env["PROCURA_DATABASE_URL"])
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		o := outbox.New(d, time.Now)
		var id string
		err = d.InTx(ctx, func(ctx context.Context) error {
			id, err = o.Enqueue(ctx, outbox.Message{Key: fmt.Sprintf("cli-%d", time.Now().UnixNano()), Kind: "test",
				To: "camille@example.fr", Subject: "Bonjour", Text: "Bonjour."})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Conn(ctx).Exec("UPDATE outbox_messages SET status = 'failed', attempts = 8, last_error = '550 no such mailbox' WHERE id = ?", id).Error; err != nil {
			t.Fatal(err)
		}
		r := runCLI(t, env, "", "admin", "outbox", "list", "--status", "failed")
		if r.code != 0 || !strings.Contains(r.stdout, id) || !strings.Contains(r.stdout, "550 no such mailbox") {
			t.Fatalf("outbox list = %+v", r)
		}
		if r := runCLI(t, env, "", "admin", "outbox", "retry", "--id", id); r.code != 0 {
			t.Fatalf("outbox retry = %+v", r)
		}
		if r := runCLI(t, env, "", "admin", "outbox", "list", "--status", "pending", "--json"); r.code != 0 || !strings.Contains(r.stdout, id) {
			t.Fatalf("outbox list pending = %+v", r)
		}
		for _, bad := range []struct {
			args []string
			code int
		}{
			{[]string{"admin", "outbox", "list", "--status", "lost"}, 2},
			{[]string{"admin", "outbox", "retry"}, 2},
			{[]string{"admin", "outbox", "retry", "--id", id}, 1}, // pending now, not failed
			{[]string{"admin", "outbox", "retry", "--id", "nope"}, 1},
		} {
			if r := runCLI(t, env, "", bad.args...); r.code != bad.code {
				t.Errorf("%v = %+v, want exit %d", bad.args, r, bad.code)
			}
		}
	})
}
