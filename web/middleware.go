package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"procura/audit"
)

// middleware wraps the route table in what every request goes through, from
// the outside in: request id, security headers, request log, panic
// recovery, body limit, session cache.
func (s *Server) middleware(h http.Handler) http.Handler {
	h = s.sessions.cachePerRequest(h)
	h = s.limitBody(h)
	h = s.recoverPanics(h)
	h = s.logRequests(h)
	h = s.securityHeaders(h)
	h = withRequestID(h)
	return h
}

// withRequestID gives each request a random id, in the X-Request-Id
// response header and in the context (audit entries and logs carry it).
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 16)
		rand.Read(b)
		id := hex.EncodeToString(b)
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(audit.WithRequestID(r.Context(), id)))
	})
}

// contentSecurityPolicy allows only our own scripts, styles, images and
// fonts. It has no form-action directive on purpose: browsers apply it to
// the redirects that follow a form POST, which would block the OIDC
// redirect back to a service after the aidant's choice.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// securityHeaders sets the headers every response carries. Pages are never
// cached (they show personal data); handleStatic overrides Cache-Control
// for the files it serves.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-store")
		if s.hsts {
			// Only over https: a browser ignores HSTS received over http,
			// and `procura dev` runs on plain http.
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// logRequests writes one line per request: method, path (never the query,
// which may carry codes or tokens), status, duration and request id.
// Form values, cookies and headers are never logged.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Wall-clock time, not the injected clock: this measures, it does
		// not decide anything.
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		route := &routeOf{}
		r = r.WithContext(context.WithValue(r.Context(), routeKey{}, route))
		next.ServeHTTP(sw, r)
		s.metrics.Request(route.pattern, r.Method, sw.code(), time.Since(start))
		level := slog.LevelInfo
		if r.URL.Path == PathHealthz || r.URL.Path == PathReadyz {
			level = slog.LevelDebug // probes every few seconds
		}
		s.log.LogAttrs(r.Context(), level, "http request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.code()),
			slog.Duration("duration", time.Since(start)),
			slog.String("request_id", audit.RequestID(r.Context())),
		)
	})
}

// routeKey carries a *routeOf: the route table's pattern that served the
// request, set by routed, for the metrics (never the raw path).
type routeKey struct{}

type routeOf struct{ pattern string }

// recoverPanics turns a panic into the 500 page (if nothing was sent yet)
// and a log entry with the stack. The panic's text is never shown.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p) // the server's way to abort a response; not a bug
			}
			s.log.ErrorContext(r.Context(), "panic serving request",
				slog.String("panic", fmt.Sprint(p)),
				slog.String("stack", string(debug.Stack())),
				slog.String("request_id", audit.RequestID(r.Context())),
			)
			if sw.status == 0 {
				s.serveError(sw, r, errPanic)
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// limitBody refuses bodies larger than MaxBodyBytes: at once when the
// Content-Length says so, otherwise when a handler reads past the limit
// (the read fails with *http.MaxBytesError, which serveError maps to 413).
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > s.settings.MaxBodyBytes {
			s.serveError(w, r, &http.MaxBytesError{Limit: s.settings.MaxBodyBytes})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.settings.MaxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

// statusWriter remembers the status sent.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK // nothing written: net/http sends 200
	}
	return w.status
}
