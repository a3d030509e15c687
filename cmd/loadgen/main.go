// Command loadgen measures complete delegated logins against a running
// Procura (DESIGN.md §10): each virtual aidant, signed in once with its own
// session, runs the login a service starts and finishes, with plain
// net/http (the journey driver, devtools/journey):
//
//	GET  /oidc/authorize   (PKCE S256, nonce, state, rep_scope claims request)
//	GET  /oidc/choix       (the choice page: CSRF token, usable permissions)
//	POST /oidc/choix       (permission_id, csrf_token) → code on the redirect
//	POST /oidc/token       (client_secret_basic, code_verifier)
//	GET  /oidc/userinfo    (Bearer access token)
//
// Fixtures are made through the product's own interfaces: an organisation,
// the aidants (with TOTP seeds) and a confidential client with the
// `procura admin` CLI on the server's database (PROCURA_DATABASE_URL and
// PROCURA_MASTER_KEY are passed on to it), then the aidants sign in through
// /connexion and create mandates through the pages with the FranceConnect
// sandbox that `procura dev` mounts: every row is the product's, signature
// and audit entries included. -fixtures keeps them in a file for another
// run (aidants then only sign in again).
//
// Modes: max (closed loop: every virtual aidant starts its next login as
// soon as the previous one ends), rate (open loop: logins start at a fixed
// rate whatever the answers, latency counted from the scheduled start, so
// queueing shows), both (max, then rate at -rate-fraction of the measured
// maximum). With -server-pid it samples the server's RSS and CPU; with
// -pprof it fetches the server's CPU and allocation profiles during the
// max phase (a server built with pprof, see bench/profserver).
//
//	loadgen -base http://127.0.0.1:18089 -procura bin/procura -mode both -duration 30s -server-pid 1234
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

type options struct {
	base         string
	procura      string
	fixtures     string
	aidants      int
	usagers      int
	procedure    string
	mode         string
	duration     time.Duration
	maxDuration  time.Duration
	rssEvery     time.Duration
	soak         bool
	warmup       time.Duration
	rate         float64
	rateFraction float64
	concurrency  int
	serverPID    int
	jsonOut      string
	pprofURL     string
	pprofDir     string
	timeout      time.Duration
	setupOnly    bool
	signinPar    int
}

func main() {
	var o options
	flag.StringVar(&o.base, "base", "http://127.0.0.1:8080", "base URL of the running Procura (its PROCURA_BASE_URL)")
	flag.StringVar(&o.procura, "procura", "bin/procura", "procura binary for the admin commands of the setup (run with this process's environment)")
	flag.StringVar(&o.fixtures, "fixtures", "", "file of prepared fixtures: read if it exists, else written after the setup")
	flag.IntVar(&o.aidants, "aidants", 32, "virtual aidants, each with its own signed-in session")
	flag.IntVar(&o.usagers, "usagers", 10, "usagers given a mandate in the organisation (FranceConnect sandbox identities, at most 10)")
	flag.StringVar(&o.procedure, "procedure", "social", "procedure the service asks for (rep_scope)")
	flag.StringVar(&o.mode, "mode", "both", "max (closed loop), rate (open loop at -rate) or both (max, then -rate-fraction of it)")
	flag.DurationVar(&o.duration, "duration", 30*time.Second, "measured length of each phase")
	flag.DurationVar(&o.maxDuration, "max-duration", 0, "measured length of the max phase (default: -duration); with -mode both and a long -duration, a short max phase then a long rate phase is a soak")
	flag.DurationVar(&o.rssEvery, "rss-every", 0, "report the server's mean RSS over each slice this long (default: a tenth of the phase)")
	flag.BoolVar(&o.soak, "soak", false, "fail (exit 1) unless the last phase had no error and the server's RSS stayed flat")
	flag.DurationVar(&o.warmup, "warmup", 3*time.Second, "unmeasured run before each phase")
	flag.Float64Var(&o.rate, "rate", 100, "logins started per second in rate mode")
	flag.Float64Var(&o.rateFraction, "rate-fraction", 0.5, "in both mode, the rate phase's share of the measured maximum")
	flag.IntVar(&o.concurrency, "concurrency", 0, "logins in flight in max mode (default: -aidants)")
	flag.IntVar(&o.serverPID, "server-pid", 0, "pid of the server, to sample its RSS and CPU")
	flag.StringVar(&o.jsonOut, "json", "", "write the results as JSON to this file")
	flag.StringVar(&o.pprofURL, "pprof", "", "base URL of the server's net/http/pprof (e.g. http://127.0.0.1:6060): CPU and allocation profiles of the max phase")
	flag.StringVar(&o.pprofDir, "pprof-dir", ".", "where to write the profiles")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Second, "timeout of one HTTP request")
	flag.BoolVar(&o.setupOnly, "setup-only", false, "make (or check) the fixtures, sign in and stop")
	flag.IntVar(&o.signinPar, "signin-parallel", 2, "sign-ins at once during the setup (each hashes a password with argon2id, 19 MiB)")
	flag.Parse()
	o.base = strings.TrimRight(o.base, "/")
	if o.maxDuration <= 0 {
		o.maxDuration = o.duration
	}
	if o.concurrency <= 0 || o.concurrency > o.aidants {
		o.concurrency = o.aidants
	}
	if err := check(o); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func check(o options) error {
	u, err := url.Parse(o.base)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("-base %q: an http(s) URL is needed", o.base)
	case o.aidants < 1:
		return fmt.Errorf("-aidants must be at least 1")
	case o.usagers < 1 || o.usagers > 10:
		return fmt.Errorf("-usagers must be between 1 and 10 (the sandbox's identities)")
	case o.mode != "max" && o.mode != "rate" && o.mode != "both":
		return fmt.Errorf("-mode must be max, rate or both")
	case o.signinPar < 1:
		return fmt.Errorf("-signin-parallel must be at least 1")
	case o.rate <= 0 || o.rateFraction <= 0:
		return fmt.Errorf("-rate and -rate-fraction must be positive")
	case o.duration <= 0 || o.maxDuration <= 0 || o.rssEvery < 0:
		return fmt.Errorf("-duration and -max-duration must be positive, -rss-every not negative")
	case o.soak && o.serverPID <= 0:
		return fmt.Errorf("-soak needs -server-pid, to watch the server's memory")
	}
	return nil
}

func run(ctx context.Context, o options) error {
	g := newGenerator(o)
	setupStart := time.Now()
	fx, err := g.prepare(ctx)
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	fmt.Printf("setup: organisation %s, %d aidants signed in (%d at once), %d usagers with a mandate, client %s (%s)\n",
		fx.Organisation.SIRET, len(g.aidants), o.signinPar, fx.Usagers, fx.Client.ID, time.Since(setupStart).Round(100*time.Millisecond))
	if o.serverPID > 0 {
		if rss, hwm, ok := memory(o.serverPID); ok {
			fmt.Printf("setup: server RSS %.1f MB, peak so far (VmHWM) %.1f MB\n", rss, hwm)
		}
	}
	if o.setupOnly {
		return nil
	}
	var results []*Result
	if o.mode == "max" || o.mode == "both" {
		r, err := g.phase(ctx, phaseSpec{name: "max", concurrency: o.concurrency, duration: o.maxDuration})
		if err != nil {
			return err
		}
		results = append(results, r)
		r.Print(os.Stdout)
		if o.mode == "both" {
			o.rate = r.LoginsPerSecond * o.rateFraction
		}
	}
	if o.mode == "rate" || o.mode == "both" {
		if o.rate < 1 {
			return fmt.Errorf("rate phase: %.2f logins/s is too low to measure", o.rate)
		}
		time.Sleep(2 * time.Second) // let the server settle between phases
		r, err := g.phase(ctx, phaseSpec{name: "rate", rate: o.rate, duration: o.duration})
		if err != nil {
			return err
		}
		results = append(results, r)
		r.Print(os.Stdout)
	}
	if o.jsonOut != "" {
		b, _ := json.MarshalIndent(map[string]any{"base": o.base, "aidants": o.aidants, "usagers": fx.Usagers,
			"procedure": o.procedure, "phases": results}, "", "  ")
		if err := os.WriteFile(o.jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	for _, r := range results {
		if r.Logins == 0 {
			return fmt.Errorf("phase %s: no login completed", r.Phase)
		}
	}
	if o.soak {
		return soakVerdict(results[len(results)-1])
	}
	return nil
}

// newTransport is shared by every virtual aidant and the service's back
// channel: keep-alive connections, as browsers and services hold them.
func newTransport(o options) *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        4 * o.aidants,
		MaxIdleConnsPerHost: 4 * o.aidants,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
}

// soakVerdict fails a soak whose last phase had an error or whose server
// memory grew (DESIGN.md §10, issue 13: 0 errors, memory flat).
func soakVerdict(r *Result) error {
	var failed []string
	if r.Errors > 0 {
		failed = append(failed, fmt.Sprintf("%d errors", r.Errors))
	}
	if r.Server == nil {
		failed = append(failed, "the server's memory was not sampled")
	} else if !r.Server.RSSFlat() {
		failed = append(failed, fmt.Sprintf("server RSS grew by %.1f MB", r.Server.RSSGrowthMB()))
	}
	if len(failed) > 0 {
		return fmt.Errorf("soak (%s phase, %.0f s): %s", r.Phase, r.Seconds, strings.Join(failed, ", "))
	}
	fmt.Printf("\nsoak: %d logins in %.0f s at %.1f /s, 0 errors, server RSS flat (%+.1f MB)\n",
		r.Logins, r.Seconds, r.LoginsPerSecond, r.Server.RSSGrowthMB())
	return nil
}
