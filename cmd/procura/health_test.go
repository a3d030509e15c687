package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealth(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	for _, tc := range []struct {
		name   string
		env    map[string]string
		status int
		args   []string
		code   int
		want   string // in stdout when 0, in stderr otherwise
	}{
		{"ready, from PROCURA_LISTEN_ADDR", map[string]string{"PROCURA_LISTEN_ADDR": ":" + port}, http.StatusOK, nil, 0, "/readyz: ready"},
		{"ready, from -url", nil, http.StatusOK, []string{"-url", srv.URL + "/readyz"}, 0, "ready"},
		{"not ready", map[string]string{"PROCURA_LISTEN_ADDR": "0.0.0.0:" + port}, http.StatusServiceUnavailable, nil, 1, "answered 503"},
		{"not found", nil, http.StatusOK, []string{"-url", srv.URL + "/healthz"}, 1, "answered 404"},
		{"nothing listening", nil, http.StatusOK, []string{"-url", closed.URL + "/readyz"}, 1, "connection refused"},
		{"not an http URL", nil, http.StatusOK, []string{"-url", "ftp://127.0.0.1/readyz"}, 2, "not an http(s) URL"},
		{"stray argument", nil, http.StatusOK, []string{"now"}, 2, "unexpected arguments"},
		{"bad listen address", map[string]string{"PROCURA_LISTEN_ADDR": "8080"}, http.StatusOK, nil, 1, "PROCURA_LISTEN_ADDR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status = tc.status
			r := runCLI(t, tc.env, "", append([]string{"health"}, tc.args...)...)
			out := r.stderr
			if tc.code == 0 {
				out = r.stdout
			}
			if r.code != tc.code || !strings.Contains(out, tc.want) {
				t.Errorf("procura health %v = %d, stdout %q, stderr %q; want %d and %q", tc.args, r.code, r.stdout, r.stderr, tc.code, tc.want)
			}
		})
	}
}
