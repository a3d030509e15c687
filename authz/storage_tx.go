package authz

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"procura/db"
)

// Transactions for fosite (storage.Transactional). fosite's token handlers
// group their writes (code invalidated, tokens stored; or refresh token
// rotated, successors stored) between BeginTX and Commit or Rollback.
//
// Outside a transaction, BeginTX begins one with db.Begin: every Conn(ctx)
// below it joins it, and so does an InTx or an audit entry that fosite's
// caller runs with the same context.
//
// Inside a transaction (the provider's endpoints run each request in one
// db.InTx, with its audit entry), BeginTX joins it and Commit and Rollback
// do nothing: the caller's transaction decides, and the caller rolls back
// whenever fosite answers an error after writing (ServeToken does). No
// savepoint is spent on a path that never needs one.

type fositeTxKey struct{}

// fositeTx is one BeginTX: an own transaction, or nil when joined.
type fositeTx struct{ tx *db.Tx }

// BeginTX begins a transaction, or joins the context's, and returns the
// context that carries it.
func (s *Store) BeginTX(ctx context.Context) (context.Context, error) {
	if db.InTransaction(ctx) {
		return context.WithValue(ctx, fositeTxKey{}, &fositeTx{}), nil
	}
	txCtx, tx, err := s.db.Begin(ctx)
	if err != nil {
		return ctx, fmt.Errorf("authz: begin transaction: %w", err)
	}
	return context.WithValue(txCtx, fositeTxKey{}, &fositeTx{tx: tx}), nil
}

// Commit commits what BeginTX began (nothing when it joined).
func (s *Store) Commit(ctx context.Context) error {
	t, ok := ctx.Value(fositeTxKey{}).(*fositeTx)
	switch {
	case !ok:
		return errors.New("authz: Commit without BeginTX")
	case t.tx == nil:
		return nil
	}
	if err := t.tx.Commit(); err != nil {
		if errors.Is(err, sql.ErrTxDone) {
			return err
		}
		return fmt.Errorf("authz: commit: %w", errors.Join(sql.ErrTxDone, err))
	}
	return nil
}

// Rollback rolls back what BeginTX began (nothing when it joined, or after
// Commit).
func (s *Store) Rollback(ctx context.Context) error {
	t, ok := ctx.Value(fositeTxKey{}).(*fositeTx)
	switch {
	case !ok:
		return errors.New("authz: Rollback without BeginTX")
	case t.tx == nil:
		return nil
	}
	forget(ctx)
	if err := t.tx.Rollback(); err != nil {
		return fmt.Errorf("authz: roll back: %w", err)
	}
	return nil
}
