package journey

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Browser is one person's browser on Procura: a client that keeps cookies
// and does not follow redirects (the journeys follow them themselves, and
// stop before a service's redirect URI), and Procura's base URL.
type Browser struct {
	BaseURL string
	Client  *http.Client
}

// NewClient returns an HTTP client for a Browser: its own cookie jar, no
// redirect following, transport nil for http.DefaultTransport.
func NewClient(transport http.RoundTripper, timeout time.Duration) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		panic(err) // cookiejar.New never fails without options
	}
	return &http.Client{Transport: transport, Jar: jar, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Page is one answer: what was asked, its status, where it redirects (the
// Location header as sent) and its body.
type Page struct {
	URL      *url.URL
	Status   int
	Location string
	Body     string
}

// Redirect reports a 3xx answer with a Location.
func (p *Page) Redirect() bool {
	return p.Status >= 300 && p.Status < 400 && p.Location != ""
}

// Next is the Location resolved against the page's URL.
func (p *Page) Next() (*url.URL, error) {
	return p.URL.Parse(p.Location)
}

// Get fetches location: an absolute URL, or a path on Procura.
func (b *Browser) Get(ctx context.Context, location string) (*Page, error) {
	return b.do(ctx, http.MethodGet, location, nil)
}

// Post submits form to location as a page of the same origin does.
func (b *Browser) Post(ctx context.Context, location string, form url.Values) (*Page, error) {
	return b.do(ctx, http.MethodPost, location, form)
}

func (b *Browser) do(ctx context.Context, method, location string, form url.Values) (*Page, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, b.abs(location), body)
	if err != nil {
		return nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	return send(b.Client, req)
}

// send sends req with client and reads the whole answer, so that the
// connection is reused.
func send(client *http.Client, req *http.Request) (*Page, error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	all, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	return &Page{URL: req.URL, Status: resp.StatusCode, Location: resp.Header.Get("Location"), Body: string(all)}, nil
}

// abs resolves a path on Procura; an absolute URL stays as it is.
func (b *Browser) abs(location string) string {
	if strings.HasPrefix(location, "/") && !strings.HasPrefix(location, "//") {
		return strings.TrimRight(b.BaseURL, "/") + location
	}
	return location
}

// OnProcura reports whether u is on Procura's origin.
func (b *Browser) OnProcura(u *url.URL) bool {
	base, err := url.Parse(b.BaseURL)
	return err == nil && u.Scheme == base.Scheme && u.Host == base.Host
}

// maxRedirects bounds a chain of redirects, as browsers do.
const maxRedirects = 20

// follow follows p's redirects while stay accepts the next URL, and
// returns the last answer: a page, or a redirect that stay refused.
func (b *Browser) follow(ctx context.Context, step string, p *Page, stay func(*url.URL) bool) (*Page, error) {
	for range maxRedirects {
		if !p.Redirect() {
			return p, nil
		}
		next, err := p.Next()
		if err != nil {
			return nil, &Error{Step: step, Status: p.Status, Location: p.Location, Err: err}
		}
		if !stay(next) {
			return p, nil
		}
		if p, err = b.Get(ctx, next.String()); err != nil {
			return nil, &Error{Step: step, Err: err}
		}
	}
	return nil, &Error{Step: step, Status: p.Status, Location: p.Location, Err: fmt.Errorf("more than %d redirects", maxRedirects)}
}

// Error is a step of a journey that did not answer as a browser expects:
// the step, and the answer (status, Location, the page's text) or the
// cause.
type Error struct {
	Step     string
	Status   int
	Location string
	// Text is the beginning of the page's text (its main content, tags
	// removed), which holds the error message a person would read.
	Text string
	Err  error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Step + ": " + e.Err.Error()
	}
	s := e.Step + ": " + strconv.Itoa(e.Status)
	if e.Location != "" {
		s += " → " + strconv.Quote(e.Location)
	}
	if e.Text != "" {
		s += " " + e.Text
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// unexpected is the Error of an answer the step did not expect.
func unexpected(step string, p *Page) *Error {
	return &Error{Step: step, Status: p.Status, Location: p.Location, Text: pageText(p.Body, 300)}
}
