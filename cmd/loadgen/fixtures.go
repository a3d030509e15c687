package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Fixtures are what the load needs, made once: prepared credentials.
type Fixtures struct {
	Organisation struct {
		ID    string `json:"id"`
		SIRET string `json:"siret"`
	} `json:"organisation"`
	Client struct {
		ID          string `json:"client_id"`
		Secret      string `json:"client_secret"`
		RedirectURI string `json:"redirect_uri"`
	} `json:"client"`
	Aidants []*AidantCreds `json:"aidants"`
	// Usagers is how many usagers have a mandate in the organisation.
	Usagers int `json:"usagers"`
}

// AidantCreds signs an aidant in. LastStep is the last TOTP time step the
// server accepted from them: a code is good once.
type AidantCreds struct {
	ID         string `json:"id"`
	Email      string `json:"email"`
	Password   string `json:"password"`
	TOTPSecret string `json:"totp_secret"`
	LastStep   int64  `json:"last_step"`

	mu sync.Mutex
}

// aidant is a virtual aidant: credentials and a browser (cookie jar).
type aidant struct {
	creds  *AidantCreds
	client *http.Client
}

// redirectURI is the client's registered callback: never served, the
// load generator reads the code from the redirect.
const redirectURI = "http://127.0.0.1/loadgen/callback"

// prepare loads or makes the fixtures, then signs every aidant in.
func (g *generator) prepare(ctx context.Context) (*Fixtures, error) {
	var fx *Fixtures
	if g.o.fixtures != "" {
		b, err := os.ReadFile(g.o.fixtures)
		switch {
		case err == nil:
			fx = new(Fixtures)
			if err := json.Unmarshal(b, fx); err != nil {
				return nil, fmt.Errorf("%s: %w", g.o.fixtures, err)
			}
			if len(fx.Aidants) < g.o.aidants {
				return nil, fmt.Errorf("%s holds %d aidants, fewer than -aidants %d", g.o.fixtures, len(fx.Aidants), g.o.aidants)
			}
			fx.Aidants = fx.Aidants[:g.o.aidants]
		case !errors.Is(err, os.ErrNotExist):
			return nil, err
		}
	}
	made := fx == nil
	if made {
		var err error
		if fx, err = g.makeAccounts(ctx); err != nil {
			return nil, err
		}
	}
	g.fx = fx
	for _, c := range fx.Aidants {
		g.aidants = append(g.aidants, g.newAidant(c))
	}
	// Sign-in hashes the password (argon2id, 19 MiB): -signin-parallel at
	// once.
	if err := forEach(ctx, len(g.aidants), g.o.signinPar, func(i int) error { return g.signIn(ctx, g.aidants[i]) }); err != nil {
		return nil, err
	}
	if made {
		if err := g.makeMandates(ctx); err != nil {
			return nil, err
		}
	}
	if g.o.fixtures != "" {
		b, _ := json.MarshalIndent(fx, "", "  ")
		if err := os.WriteFile(g.o.fixtures, b, 0o600); err != nil {
			return nil, err
		}
	}
	return fx, nil
}

func (g *generator) newAidant(c *AidantCreds) *aidant {
	jar, _ := cookiejar.New(nil)
	return &aidant{creds: c, client: &http.Client{Transport: g.transport, Jar: jar, Timeout: g.o.timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// makeAccounts creates, with `procura admin`, an organisation of its own
// (a fresh SIRET each run), the aidants and the service.
func (g *generator) makeAccounts(ctx context.Context) (*Fixtures, error) {
	fx := new(Fixtures)
	run := time.Now().Format("20060102-150405")
	var org struct{ ID, SIRET string }
	if err := g.admin(ctx, "", &org, "admin", "org", "create", "--siret", randomSIRET(), "--name", "Charge "+run, "--json"); err != nil {
		return nil, err
	}
	fx.Organisation.ID, fx.Organisation.SIRET = org.ID, org.SIRET
	var client struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	if err := g.admin(ctx, "", &client, "admin", "client", "create", "--name", "Service de charge "+run,
		"--redirect-uri", redirectURI, "--procedures", allProcedures, "--json"); err != nil {
		return nil, err
	}
	fx.Client.ID, fx.Client.Secret, fx.Client.RedirectURI = client.ID, client.Secret, redirectURI
	until := time.Now().AddDate(1, 0, 0).Format("2006-01-02")
	fx.Aidants = make([]*AidantCreds, g.o.aidants)
	err := forEach(ctx, g.o.aidants, 2, func(i int) error {
		password := randomString(18)
		var out struct {
			ID         string `json:"id"`
			Email      string `json:"email"`
			TOTPSecret string `json:"totp_secret"`
		}
		email := fmt.Sprintf("charge-%s-%03d@loadgen.localhost", run, i)
		if err := g.admin(ctx, password+"\n", &out, "admin", "aidant", "create", "--org", org.ID, "--email", email,
			"--given-name", "Aidant", "--family-name", fmt.Sprintf("Charge %03d", i), "--habilitated-until", until,
			"--password-stdin", "--json"); err != nil {
			return err
		}
		if out.TOTPSecret == "" {
			return fmt.Errorf("aidant %s: no TOTP secret printed", email)
		}
		fx.Aidants[i] = &AidantCreds{ID: out.ID, Email: out.Email, Password: password, TOTPSecret: out.TOTPSecret}
		return nil
	})
	return fx, err
}

// allProcedures is the catalogue (procedure package): the service serves
// them all, the request names one.
const allProcedures = "papiers,famille,social,travail,logement,transports,argent,justice,etranger,loisirs"

// admin runs `procura <args>` and decodes its JSON output into out.
func (g *generator) admin(ctx context.Context, stdin string, out any, args ...string) error {
	cmd := exec.CommandContext(ctx, g.o.procura, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("procura %s: %v: %s", strings.Join(args[:3], " "), err, strings.TrimSpace(stderr.String()))
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		return fmt.Errorf("procura %s: output: %w", strings.Join(args[:3], " "), err)
	}
	return nil
}

var (
	csrfInput     = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	textVersion   = regexp.MustCompile(`name="text_version" value="([^"]+)"`)
	formAction    = regexp.MustCompile(`<form method="post" action="([^"]+)">`)
	sandboxPerson = regexp.MustCompile(`class="identite" name="identity" value="([^"]+)"`)
	createdAt     = regexp.MustCompile(`^/aidant/mandats/[0-9a-f-]{36}\?cree=1$`)
)

// signIn signs a virtual aidant in through /connexion (email, password,
// TOTP code), as a person does.
func (g *generator) signIn(ctx context.Context, a *aidant) error {
	for attempt := 0; ; attempt++ {
		_, body, err := g.get(ctx, a.client, "/connexion", http.StatusOK)
		if err != nil {
			return fmt.Errorf("sign-in page of %s: %w", a.creds.Email, err)
		}
		code, err := a.creds.nextCode(ctx)
		if err != nil {
			return err
		}
		form := url.Values{"csrf_token": {match(csrfInput, body)}, "email": {a.creds.Email},
			"password": {a.creds.Password}, "code": {code}}
		resp, body, err := g.post(ctx, a.client, "/connexion", form, 0)
		if err != nil {
			return err
		}
		switch {
		case resp.StatusCode == http.StatusSeeOther:
			return nil
		case resp.StatusCode == http.StatusUnauthorized && attempt < 2:
			// The step may have been used by a run that did not record
			// it: the next one will do.
			continue
		}
		return fmt.Errorf("sign-in of %s: %d %s", a.creds.Email, resp.StatusCode, excerpt(body))
	}
}

// nextCode returns the TOTP code of the first step after the last one
// used, waiting until the server accepts it (it allows one step of drift).
func (c *AidantCreds) nextCode(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	step := max(time.Now().Unix()/30, c.LastStep+1)
	if wait := time.Until(time.Unix((step-1)*30, 0)); wait > 0 {
		select {
		case <-time.After(wait + 500*time.Millisecond):
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	code, err := totp.GenerateCodeCustom(c.TOTPSecret, time.Unix(step*30, 0),
		totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	c.LastStep = step
	return code, err
}

// makeMandates has the aidants create one mandate each for the first
// usagers of the FranceConnect sandbox, through the pages: the requested
// procedure and one other, for a year.
func (g *generator) makeMandates(ctx context.Context) error {
	n := min(g.o.usagers, len(g.aidants))
	others := strings.Split(allProcedures, ",")
	return forEach(ctx, n, 2, func(i int) error {
		procs := []string{g.o.procedure}
		if o := others[i%len(others)]; o != g.o.procedure {
			procs = append(procs, o)
		}
		if err := g.createMandate(ctx, g.aidants[i], i, procs); err != nil {
			return err
		}
		g.fx.Usagers++
		return nil
	})
}

// createMandate runs the creation journey (web/mandate_new.go): the
// procedures and duration, the usager's identification with the sandbox
// (identity number nth), then the recap with consent and the aidant's TOTP
// code.
func (g *generator) createMandate(ctx context.Context, a *aidant, nth int, procs []string) error {
	_, body, err := g.get(ctx, a.client, "/aidant/mandats/nouveau", http.StatusOK)
	if err != nil {
		return fmt.Errorf("mandate form: %w", err)
	}
	form := url.Values{"csrf_token": {match(csrfInput, body)}, "duration": {"365"}, "procedures": procs}
	resp, _, err := g.post(ctx, a.client, "/aidant/mandats/nouveau", form, http.StatusSeeOther)
	if err != nil {
		return fmt.Errorf("mandate step 1: %w", err)
	}
	fcAuthorize := resp.Header.Get("Location")
	_, body, err = g.get(ctx, a.client, fcAuthorize, http.StatusOK)
	if err != nil {
		return fmt.Errorf("sandbox identities: %w", err)
	}
	people := sandboxPerson.FindAllStringSubmatch(body, -1)
	if nth >= len(people) {
		return fmt.Errorf("the sandbox offers %d identities, not %d", len(people), nth+1)
	}
	action, err := resolve(fcAuthorize, strings.ReplaceAll(match(formAction, body), "&amp;", "&"))
	if err != nil {
		return err
	}
	resp, body, err = g.post(ctx, a.client, action, url.Values{"identity": {people[nth][1]}}, 0)
	if err != nil {
		return fmt.Errorf("sandbox choice: %w", err)
	}
	for hops := 0; resp.StatusCode/100 == 3; hops++ {
		if hops == 10 {
			return errors.New("identification: too many redirects")
		}
		next, err := resolve(resp.Request.URL.String(), resp.Header.Get("Location"))
		if err != nil {
			return err
		}
		if resp, body, err = g.get(ctx, a.client, next, 0); err != nil {
			return err
		}
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="text_version"`) {
		return fmt.Errorf("mandate recap: %d %s", resp.StatusCode, excerpt(body))
	}
	code, err := a.creds.nextCode(ctx)
	if err != nil {
		return err
	}
	form = url.Values{"csrf_token": {match(csrfInput, body)}, "text_version": {match(textVersion, body)},
		"consent": {"1"}, "code": {code}}
	resp, body, err = g.post(ctx, a.client, "/aidant/mandats/recapitulatif", form, 0)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusSeeOther || !createdAt.MatchString(resp.Header.Get("Location")) {
		return fmt.Errorf("mandate signature: %d → %q %s", resp.StatusCode, resp.Header.Get("Location"), excerpt(body))
	}
	return nil
}

// randomSIRET draws 14 digits with a valid Luhn key.
func randomSIRET() string {
	for {
		n, _ := rand.Int(rand.Reader, big.NewInt(1e13))
		s := fmt.Sprintf("%013d", n)
		for d := '0'; d <= '9'; d++ {
			if luhn(s + string(d)) {
				return s + string(d)
			}
		}
	}
}

func luhn(s string) bool {
	sum := 0
	for i := range len(s) {
		d := int(s[len(s)-1-i] - '0')
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// forEach runs fn(0..n-1), at most par at once, and returns the first error.
func forEach(ctx context.Context, n, par int, fn func(i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i := 0; i < n && ctx.Err() == nil; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := fn(i); err != nil {
				cancel(err)
			}
		}()
	}
	wg.Wait()
	return context.Cause(ctx)
}

func match(re *regexp.Regexp, body string) string {
	if m := re.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

func resolve(base, ref string) (string, error) {
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	r, err := b.Parse(ref)
	if err != nil {
		return "", err
	}
	return r.String(), nil
}

func excerpt(body string) string {
	body = strings.Join(strings.Fields(body), " ")
	if len(body) > 300 {
		return body[:300] + "…"
	}
	return body
}
