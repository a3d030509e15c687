package authz

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"procura/db"
)

// Transactions for fosite (storage.Transactional). fosite's token handlers
// group their writes (code invalidated, tokens stored; or refresh token
// rotated, successors stored) between BeginTX and Commit or Rollback.
//
// The transaction is procura/db's own: BeginTX runs db.InTx in a goroutine
// that hands over InTx's context and waits for Commit or Rollback to return
// from it. Every Conn(ctx) below BeginTX therefore joins the transaction,
// and so does an InTx or an audit.Record that fosite's caller runs with the
// same context, with no second way of carrying a transaction.
//
// Called with a context already in a transaction (a handler that wraps the
// whole token request in db.InTx, with its audit entry), BeginTX opens a
// savepoint instead: Rollback then undoes fosite's writes only, and Commit
// releases it for the outer transaction to commit.

type fositeTxKey struct{}

// fositeTx is one BeginTX, ended by its first Commit or Rollback.
type fositeTx struct {
	mu    sync.Mutex
	ended bool
	// An own transaction: end receives true to commit, false to roll back;
	// result gives what db.InTx returned.
	end    chan bool
	result chan error
	// nested: a savepoint in the caller's transaction.
	nested bool
}

// savepoint is the name of fosite's savepoints. One name serves every
// nesting level: fosite ends its transactions in the reverse order it
// begins them, and RELEASE and ROLLBACK TO act on the latest savepoint of
// that name (a fixed name also keeps GORM's prepared statements few).
const savepoint = "fosite_tx"

// errRollback makes db.InTx roll back when fosite asks for it.
var errRollback = errors.New("authz: rolled back by fosite")

// BeginTX begins a transaction (or a savepoint) and returns the context
// that carries it.
func (s *Store) BeginTX(ctx context.Context) (context.Context, error) {
	if db.InTransaction(ctx) {
		if err := s.db.Conn(ctx).Exec("SAVEPOINT " + savepoint).Error; err != nil {
			return ctx, fmt.Errorf("authz: begin savepoint: %w", err)
		}
		return context.WithValue(ctx, fositeTxKey{}, &fositeTx{nested: true}), nil
	}
	t := &fositeTx{end: make(chan bool, 1), result: make(chan error, 1)}
	begun := make(chan context.Context, 1)
	go func() {
		t.result <- s.db.InTx(ctx, func(txCtx context.Context) error {
			begun <- txCtx
			select {
			case commit := <-t.end:
				if commit {
					return nil
				}
				return errRollback
			case <-txCtx.Done():
				// The request is gone: roll back rather than hold a
				// connection forever for a Commit that will not come.
				return txCtx.Err()
			}
		})
	}()
	select {
	case txCtx := <-begun:
		return context.WithValue(txCtx, fositeTxKey{}, t), nil
	case err := <-t.result:
		return ctx, fmt.Errorf("authz: begin transaction: %w", err)
	}
}

// Commit commits what BeginTX began.
func (s *Store) Commit(ctx context.Context) error {
	return s.endTX(ctx, true)
}

// Rollback rolls back what BeginTX began. After a failed Commit (fosite
// then rolls back) it does nothing: the transaction is already over.
func (s *Store) Rollback(ctx context.Context) error {
	return s.endTX(ctx, false)
}

func (s *Store) endTX(ctx context.Context, commit bool) error {
	t, ok := ctx.Value(fositeTxKey{}).(*fositeTx)
	if !ok {
		return errors.New("authz: Commit or Rollback without BeginTX")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ended {
		if commit {
			return sql.ErrTxDone
		}
		return nil
	}
	t.ended = true
	if t.nested {
		conn := s.db.Conn(ctx)
		if !commit {
			if err := conn.Exec("ROLLBACK TO SAVEPOINT " + savepoint).Error; err != nil {
				return fmt.Errorf("authz: roll back to savepoint: %w", err)
			}
		}
		if err := conn.Exec("RELEASE SAVEPOINT " + savepoint).Error; err != nil {
			return fmt.Errorf("authz: release savepoint: %w", err)
		}
		return nil
	}
	t.end <- commit
	err := <-t.result
	if !commit && errors.Is(err, errRollback) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("authz: end transaction: %w", err)
	}
	return nil
}
