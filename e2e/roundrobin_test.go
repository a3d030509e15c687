//go:build browser

package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"
)

// roundRobin is the load balancer of the cluster test, a small Caddy:
// httputil.ReverseProxy sending each request to the next instance in turn
// (no stickiness: a session must hold on every instance), keeping the Host
// and adding X-Forwarded-For/-Host/-Proto. It checks every instance's
// /readyz every 100 ms (active health check) and, when an instance refuses
// a connection, marks it down and sends the request to the next one
// (passive health check; safe to retry since nothing reached the dead
// instance). The instance that answered is in the response header
// backendHeader, and it counts what each instance served.
type roundRobin struct {
	proxy *httputil.ReverseProxy
	base  http.RoundTripper

	mu       sync.Mutex
	backends []*backend
	next     int
	pinned   int // only this backend when ≥ 0 (tests draining the others)
}

type backend struct {
	url    *url.URL
	up     bool
	served map[string]int // "METHOD /path" → requests answered
}

// backendHeader names, in each answer, the instance that served it.
const backendHeader = "X-Test-Backend"

type routeKey struct{}

// route is one request's body, kept to send it again to another instance.
type route struct{ body []byte }

func newRoundRobin(t *testing.T) *roundRobin {
	lb := &roundRobin{pinned: -1, base: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     30 * time.Second,
	}}
	lb.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme, pr.Out.URL.Host = "http", "instance.invalid" // chosen by RoundTrip
			pr.Out.Host = pr.In.Host
			pr.SetXForwarded()
		},
		Transport: lb,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go lb.checkHealth(ctx, done)
	t.Cleanup(func() { cancel(); <-done })
	return lb
}

// add puts an instance (its plain http URL) behind the proxy.
func (lb *roundRobin) add(t *testing.T, rawURL string) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	lb.mu.Lock()
	defer lb.mu.Unlock()
	lb.backends = append(lb.backends, &backend{url: u, up: true, served: map[string]int{}})
}

func (lb *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "proxy: reading the body: "+err.Error(), http.StatusBadRequest)
		return
	}
	lb.proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), routeKey{}, &route{body: body})))
}

// RoundTrip sends the request to the next live instance, and on to the
// following one when it refuses the connection.
func (lb *roundRobin) RoundTrip(req *http.Request) (*http.Response, error) {
	rt, _ := req.Context().Value(routeKey{}).(*route)
	var lastErr error
	lb.mu.Lock()
	n := len(lb.backends)
	lb.mu.Unlock()
	for range n {
		i, b := lb.pick()
		if b == nil {
			break
		}
		out := req.Clone(req.Context())
		out.URL.Host = b.url.Host
		out.Body = http.NoBody
		if rt != nil && len(rt.body) > 0 {
			out.Body = io.NopCloser(bytes.NewReader(rt.body))
		}
		resp, err := lb.base.RoundTrip(out)
		if err == nil {
			lb.mu.Lock()
			b.served[req.Method+" "+req.URL.Path]++
			lb.mu.Unlock()
			resp.Header.Set(backendHeader, strconv.Itoa(i))
			return resp, nil
		}
		var op *net.OpError
		if !errors.As(err, &op) || op.Op != "dial" {
			return nil, err
		}
		lastErr = err
		lb.setUp(i, false)
	}
	if lastErr == nil {
		lastErr = errors.New("no instance up")
	}
	return nil, lastErr
}

// pick returns the next instance up (the pinned one when pinned), or nil.
func (lb *roundRobin) pick() (int, *backend) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	if lb.pinned >= 0 {
		return lb.pinned, lb.backends[lb.pinned]
	}
	for k := range len(lb.backends) {
		i := (lb.next + k) % len(lb.backends)
		if lb.backends[i].up {
			lb.next = i + 1
			return i, lb.backends[i]
		}
	}
	return -1, nil
}

func (lb *roundRobin) setUp(i int, up bool) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	lb.backends[i].up = up
}

// only sends every request to instance i (-1: round robin again), as an
// operator drains the others; health checks are then ignored.
func (lb *roundRobin) only(i int) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	lb.pinned = i
}

// counts returns, per instance, the requests it served by method and path.
func (lb *roundRobin) counts() []map[string]int {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	out := make([]map[string]int, len(lb.backends))
	for i, b := range lb.backends {
		out[i] = maps.Clone(b.served)
	}
	return out
}

// checkHealth marks each instance up or down by its /readyz until ctx
// ends: down when it refuses the connection or answers another status
// than 200.
func (lb *roundRobin) checkHealth(ctx context.Context, done chan struct{}) {
	defer close(done)
	probe := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		lb.mu.Lock()
		urls := make([]string, len(lb.backends))
		for i, b := range lb.backends {
			urls[i] = b.url.String() + "/readyz"
		}
		lb.mu.Unlock()
		for i, u := range urls {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			resp, err := probe.Do(req)
			var timeout net.Error
			switch {
			case err == nil:
				resp.Body.Close()
				lb.setUp(i, resp.StatusCode == http.StatusOK)
			case errors.As(err, &timeout) && timeout.Timeout():
				// Slow on a busy machine is not down: keep what it was.
			default:
				lb.setUp(i, false)
			}
		}
	}
}

// waitUp waits until the health check sees instance i up.
func (lb *roundRobin) waitUp(t *testing.T, i int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		lb.mu.Lock()
		up := lb.backends[i].up
		lb.mu.Unlock()
		if up {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance %d not up behind the proxy after 10 s", i)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
