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
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"procura/devtools/journey"
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
// server accepted from them (a code is good once), kept for the next run.
type AidantCreds struct {
	ID         string `json:"id"`
	Email      string `json:"email"`
	Password   string `json:"password"`
	TOTPSecret string `json:"totp_secret"`
	LastStep   int64  `json:"last_step"`

	codes *journey.TOTP
}

// aidant is a virtual aidant: credentials and a browser (cookie jar).
type aidant struct {
	creds   *AidantCreds
	browser *journey.Browser
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
	g.service = &journey.Service{BaseURL: g.o.base, ClientID: fx.Client.ID, Secret: fx.Client.Secret,
		RedirectURI: fx.Client.RedirectURI, Client: g.back}
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
		for _, c := range fx.Aidants {
			c.LastStep = c.codes.LastStep()
		}
		b, _ := json.MarshalIndent(fx, "", "  ")
		if err := os.WriteFile(g.o.fixtures, b, 0o600); err != nil {
			return nil, err
		}
	}
	return fx, nil
}

func (g *generator) newAidant(c *AidantCreds) *aidant {
	c.codes = journey.NewTOTP(c.TOTPSecret, c.LastStep)
	return &aidant{creds: c, browser: &journey.Browser{BaseURL: g.o.base, Client: journey.NewClient(g.transport, g.o.timeout)}}
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

// signIn signs a virtual aidant in through /connexion (email, password,
// TOTP code), as a person does.
func (g *generator) signIn(ctx context.Context, a *aidant) error {
	for attempt := 0; ; attempt++ {
		_, err := a.browser.SignIn(ctx, a.creds.journey())
		var refused *journey.Error
		if errors.As(err, &refused) && refused.Status == http.StatusUnauthorized && attempt < 2 {
			// The step may have been used by a run that did not record
			// it: the next one will do.
			continue
		}
		return err
	}
}

// journey is what signs the aidant in, for the driver.
func (c *AidantCreds) journey() journey.Aidant {
	return journey.Aidant{Email: c.Email, Password: c.Password, Codes: c.codes}
}

// makeMandates has the aidants create one mandate each for the first
// usagers of the FranceConnect sandbox, through the pages: the requested
// procedure and one other, for a year.
func (g *generator) makeMandates(ctx context.Context) error {
	n := min(g.o.usagers, len(g.aidants))
	others := strings.Split(allProcedures, ",")
	err := forEach(ctx, n, 2, func(i int) error {
		procs := []string{g.o.procedure}
		if o := others[i%len(others)]; o != g.o.procedure {
			procs = append(procs, o)
		}
		a := g.aidants[i]
		_, err := a.browser.CreateMandate(ctx, a.creds.journey(), journey.Mandate{Procedures: procs, Days: 365, Nth: i})
		return err
	})
	if err != nil {
		return err
	}
	g.fx.Usagers = n
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
