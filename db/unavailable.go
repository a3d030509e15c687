package db

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"

	"github.com/jackc/pgx/v5/pgconn"
)

// RetryAfterSeconds is what an answer given while the database is
// unreachable tells the client to wait (Retry-After).
const RetryAfterSeconds = "5"

// IsUnavailable reports whether err says the database cannot be reached
// now (connection refused or lost, server shutting down or starting): a
// 503 to answer, not a bug. Errors of a query the server did run are not.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &connectErr), errors.Is(err, driver.ErrBadConn), errors.As(err, &netErr),
		// The connection dropped while a statement was on its way: the
		// server is gone (its outcome is unknown; nothing was confirmed).
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return true
	case errors.As(err, &pgErr):
		// Class 08: connection exception; 57P01–57P03: admin shutdown,
		// crash shutdown, cannot connect now.
		return pgErr.Code[:2] == "08" || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	return pgconn.SafeToRetry(err)
}
