package authz

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/ory/fosite"

	"procura/db"
	"procura/db/dbtest"
)

func TestTransactional(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		req := f.newRequest(t, newDelegation(t))
		exists := func(sig string) bool {
			t.Helper()
			_, err := f.store.GetAccessTokenSession(ctx, sig, nil)
			if err != nil && !errors.Is(err, fosite.ErrNotFound) {
				t.Fatalf("GetAccessTokenSession: %v", err)
			}
			return err == nil
		}

		t.Run("rollback", func(t *testing.T) {
			sig := randomID(t, "at-")
			txCtx, err := f.store.BeginTX(ctx)
			if err != nil {
				t.Fatalf("BeginTX: %v", err)
			}
			if !db.InTransaction(txCtx) {
				t.Fatal("BeginTX: the context carries no procura/db transaction")
			}
			if err := f.store.CreateAccessTokenSession(txCtx, sig, req); err != nil {
				t.Fatal(err)
			}
			if _, err := f.store.GetAccessTokenSession(txCtx, sig, nil); err != nil {
				t.Errorf("read inside the transaction: %v", err)
			}
			if err := f.store.Rollback(txCtx); err != nil {
				t.Fatalf("Rollback: %v", err)
			}
			if exists(sig) {
				t.Error("a rolled back token was stored")
			}
			if err := f.store.Rollback(txCtx); err != nil {
				t.Errorf("second Rollback: %v", err)
			}
		})

		t.Run("commit", func(t *testing.T) {
			sig := randomID(t, "at-")
			txCtx, err := f.store.BeginTX(ctx)
			if err != nil {
				t.Fatalf("BeginTX: %v", err)
			}
			// Code run by fosite's caller with the same context joins it.
			err = d.InTx(txCtx, func(ctx context.Context) error {
				return f.store.CreateAccessTokenSession(ctx, sig, req)
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := f.store.Commit(txCtx); err != nil {
				t.Fatalf("Commit: %v", err)
			}
			if !exists(sig) {
				t.Error("a committed token is missing")
			}
			if err := f.store.Commit(txCtx); !errors.Is(err, sql.ErrTxDone) {
				t.Errorf("second Commit: got %v, want sql.ErrTxDone", err)
			}
			if err := f.store.Rollback(txCtx); err != nil {
				t.Errorf("Rollback after Commit: %v", err)
			}
		})

		// Inside the caller's transaction, fosite's transaction joins it:
		// its Commit and Rollback do nothing, the caller decides.
		t.Run("joined to the caller's transaction", func(t *testing.T) {
			joined, outer := randomID(t, "at-"), randomID(t, "at-")
			err := d.InTx(ctx, func(ctx context.Context) error {
				if err := f.store.CreateAccessTokenSession(ctx, outer, req); err != nil {
					return err
				}
				txCtx, err := f.store.BeginTX(ctx)
				if err != nil {
					return err
				}
				if err := f.store.CreateAccessTokenSession(txCtx, joined, req); err != nil {
					return err
				}
				if err := f.store.Rollback(txCtx); err != nil {
					return err
				}
				return f.store.Commit(txCtx)
			})
			if err != nil {
				t.Fatalf("InTx: %v", err)
			}
			if !exists(joined) || !exists(outer) {
				t.Errorf("caller committed: joined %v outer %v; want both stored", exists(joined), exists(outer))
			}
			rolledBack := randomID(t, "at-")
			_ = d.InTx(ctx, func(ctx context.Context) error {
				txCtx, err := f.store.BeginTX(ctx)
				if err != nil {
					return err
				}
				if err := f.store.CreateAccessTokenSession(txCtx, rolledBack, req); err != nil {
					return err
				}
				if err := f.store.Commit(txCtx); err != nil {
					return err
				}
				return errors.New("the caller rolls back")
			})
			if exists(rolledBack) {
				t.Error("a joined transaction committed what its caller rolled back")
			}
		})

		t.Run("cancelled request", func(t *testing.T) {
			sig := randomID(t, "at-")
			reqCtx, cancel := context.WithCancel(ctx)
			txCtx, err := f.store.BeginTX(reqCtx)
			if err != nil {
				t.Fatalf("BeginTX: %v", err)
			}
			if err := f.store.CreateAccessTokenSession(txCtx, sig, req); err != nil {
				t.Fatal(err)
			}
			cancel()
			if err := f.store.Commit(txCtx); err == nil {
				t.Error("Commit after the request was cancelled: want an error")
			}
			if exists(sig) {
				t.Error("a cancelled transaction was committed")
			}
		})

		if err := f.store.Commit(ctx); err == nil {
			t.Error("Commit without BeginTX: want an error")
		}
	})
}

// Two refreshes racing with one refresh token: the second waits for the
// first's transaction, then fails instead of forking the grant. The same
// holds for two exchanges of one code.
func TestConcurrentUseOfOneToken(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		req := f.newRequest(t, newDelegation(t))
		code, access, refresh := randomID(t, "code-"), randomID(t, "at-"), randomID(t, "rt-")
		if err := f.store.CreateAuthorizeCodeSession(ctx, code, req); err != nil {
			t.Fatal(err)
		}
		mustCreateTokens(t, f, req, access, refresh)

		for _, use := range []struct {
			name string
			fn   func(ctx context.Context) error
			want error
		}{
			{"refresh", func(ctx context.Context) error { return f.store.RotateRefreshToken(ctx, req.ID, refresh) }, fosite.ErrSerializationFailure},
			{"code", func(ctx context.Context) error { return f.store.InvalidateAuthorizeCodeSession(ctx, code) }, fosite.ErrInvalidatedAuthorizeCode},
		} {
			first, err := f.store.BeginTX(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := use.fn(first); err != nil {
				t.Fatalf("%s, first use: %v", use.name, err)
			}
			second := make(chan error, 1)
			go func() {
				txCtx, err := f.store.BeginTX(ctx)
				if err != nil {
					second <- err
					return
				}
				err = use.fn(txCtx)
				f.store.Rollback(txCtx)
				second <- err
			}()
			select {
			case err := <-second:
				t.Fatalf("%s: the second use did not wait for the first transaction (%v)", use.name, err)
			case <-time.After(200 * time.Millisecond):
			}
			if err := f.store.Commit(first); err != nil {
				t.Fatalf("%s: Commit: %v", use.name, err)
			}
			if err := <-second; !errors.Is(err, use.want) {
				t.Errorf("%s, second use: got %v, want %v", use.name, err, use.want)
			}
		}
	})
}
