package franceconnect_test

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// This file is what the tests use in place of a person's browser: a cookie
// jar, redirects followed until the relying party's callback, and forms
// read out of the provider's pages.

// testClock is the relying party's controlled time.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock { return &testClock{now: time.Now()} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newBrowser returns a client that keeps cookies and follows redirects,
// except to anything under stopAt (the relying party, which is not running
// in these tests): that redirect is returned as the answer.
func newBrowser(t *testing.T, stopAt ...string) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{
		Jar:     jar,
		Timeout: 30 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			for _, prefix := range stopAt {
				if strings.HasPrefix(req.URL.String(), prefix) {
					return http.ErrUseLastResponse
				}
			}
			if len(via) >= 10 {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
}

// page is an answer read whole.
type page struct {
	status   int
	location string
	body     string
}

func visit(t *testing.T, b *http.Client, method, target string, form url.Values) page {
	t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodPost {
		resp, err = b.PostForm(target, form)
	} else {
		resp, err = b.Get(target)
	}
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(body)}
}

var formActionRE = regexp.MustCompile(`<form[^>]*\saction="([^"]*)"`)

// formAction returns the action of the page's form whose action ends with
// suffix, resolved against base.
func formAction(t *testing.T, p page, base, suffix string) string {
	t.Helper()
	for _, m := range formActionRE.FindAllStringSubmatch(p.body, -1) {
		action := html.UnescapeString(m[1])
		if strings.HasSuffix(action, suffix) {
			u, err := url.Parse(base)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := u.Parse(action)
			if err != nil {
				t.Fatalf("form action %q: %v", action, err)
			}
			return ref.String()
		}
	}
	t.Fatalf("no form with action ending in %q (status %d) in:\n%.2000s", suffix, p.status, p.body)
	return ""
}

// callback returns the query of a redirect to redirectURI.
func callback(t *testing.T, p page, redirectURI string) url.Values {
	t.Helper()
	if (p.status != http.StatusFound && p.status != http.StatusSeeOther) || !strings.HasPrefix(p.location, redirectURI+"?") {
		t.Fatalf("want a redirect to %s, got status %d, Location %q, body:\n%.2000s", redirectURI, p.status, p.location, p.body)
	}
	u, err := url.Parse(p.location)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}
