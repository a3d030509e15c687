package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"procura/audit"
)

// handleHealthz says the process answers. It touches nothing else, so that
// a database outage does not get every instance restarted.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ok\n")
}

// handleReadyz says the instance can serve: a new database connection can
// be opened and queried, the pool answers, and the schema is the one this
// binary expects. Otherwise 503, and the reason goes
// to the log.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	err := s.db.CheckNewConnection(ctx)
	if err == nil {
		err = s.db.Ping(ctx)
	}
	if err == nil {
		err = s.db.CheckSchema(ctx)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "not ready",
			slog.String("error", err.Error()), slog.String("request_id", audit.RequestID(ctx)))
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "unavailable\n")
		return
	}
	io.WriteString(w, "ok\n")
}
