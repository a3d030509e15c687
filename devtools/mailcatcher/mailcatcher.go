// Package mailcatcher is `procura dev`'s mail catcher: a Sender that sends
// nothing, and a page listing the messages the outbox holds, as they would
// have been sent. It is mounted beside Procura in dev only, never by
// `procura serve`.
package mailcatcher

import (
	"bytes"
	"context"
	_ "embed"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"procura/outbox"
)

// Path is where `procura dev` shows the page.
const Path = "/dev/courriels"

// Sender catches messages: it logs them and reports them sent.
type Sender struct{ Logger *slog.Logger }

// Send records nothing more than the outbox already holds.
func (s Sender) Send(_ context.Context, id string, m outbox.Message) error {
	if s.Logger != nil {
		s.Logger.Info("dev: message caught, not sent", "id", id, "kind", m.Kind, "see", Path)
	}
	return nil
}

// Lister is what the page reads.
type Lister interface {
	List(ctx context.Context, f outbox.Filter) ([]outbox.Record, error)
}

//go:embed page.html
var pageHTML string

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"when": func(t time.Time) string { return t.Local().Format("02/01/2006 15:04:05") },
}).Parse(pageHTML))

// Handler shows the latest messages, newest first.
func Handler(l Lister, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		recs, err := l.List(r.Context(), outbox.Filter{Limit: 200})
		if err != nil {
			logger.Error("dev: mail catcher", "err", err)
			http.Error(w, "Impossible de lire les courriels.", http.StatusInternalServerError)
			return
		}
		var buf bytes.Buffer
		if err := page.Execute(&buf, recs); err != nil {
			logger.Error("dev: mail catcher", "err", err)
			http.Error(w, "Impossible d'afficher les courriels.", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		// The messages' HTML is shown in sandboxed frames only.
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'")
		w.Write(buf.Bytes())
	})
}
