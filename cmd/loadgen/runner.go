package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"procura/devtools/journey"
)

type phaseSpec struct {
	name        string
	concurrency int     // max mode: logins in flight
	rate        float64 // rate mode: logins started per second
	duration    time.Duration
}

// Result is what one phase measured.
type Result struct {
	Phase           string  `json:"phase"`
	Mode            string  `json:"mode"` // closed loop or open loop
	Concurrency     int     `json:"concurrency"`
	TargetRate      float64 `json:"target_rate,omitempty"`
	Seconds         float64 `json:"seconds"`
	Logins          int     `json:"logins"`
	LoginsPerSecond float64 `json:"logins_per_second"`
	Errors          int     `json:"errors"`
	// ErrorKinds counts the errors by step and (shortened) cause.
	ErrorKinds map[string]int `json:"error_kinds,omitempty"`
	// Latency of the complete login ("login": in rate mode from its
	// scheduled start, so that queueing counts) and of each step, ms.
	Latency map[string]Percentiles `json:"latency_ms"`
	// QueueWait is, in rate mode, how late logins started after their
	// scheduled time (no free virtual aidant, or a busy generator).
	QueueWait *Percentiles  `json:"queue_wait_ms,omitempty"`
	Unstarted int           `json:"unstarted,omitempty"`
	Server    *ServerStats  `json:"server,omitempty"`
	Machine   *MachineStats `json:"machine"`
	// CPU time one login cost, ms: robust to other work on the machine,
	// and the base of Capacity, the logins/s the machine's CPUs would
	// carry if the server and PostgreSQL had them to themselves (the
	// generator elsewhere).
	CPUPerLogin *CPUPerLogin `json:"cpu_ms_per_login,omitempty"`
}

// CPUPerLogin splits the CPU time of one login, in ms.
type CPUPerLogin struct {
	Server   float64 `json:"server"`
	Postgres float64 `json:"postgres"`
	Loadgen  float64 `json:"loadgen"`
	Capacity float64 `json:"capacity_logins_per_second"`
}

// Percentiles of a set of durations, in milliseconds.
type Percentiles struct {
	N    int     `json:"n"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

func percentiles(d []time.Duration) Percentiles {
	if len(d) == 0 {
		return Percentiles{}
	}
	slices.Sort(d)
	ms := func(x time.Duration) float64 { return float64(x.Microseconds()) / 1000 }
	at := func(q float64) float64 { return ms(d[int(q*float64(len(d)-1)+0.5)]) }
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	return Percentiles{N: len(d), P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: ms(d[len(d)-1]), Mean: ms(sum / time.Duration(len(d)))}
}

// recorder collects one worker's measures; merged at the end.
type recorder struct {
	login, wait []time.Duration
	steps       [journey.Steps][]time.Duration
	completed   int // successful logins that ended inside the window
	errors      int
	kinds       map[string]int
}

// add records one login: its latencies when measured (started inside the
// window), and its completion when it ended inside the window, whenever
// it started (throughput).
func (r *recorder) add(total, wait time.Duration, times *journey.Timings, err error, measured, endedInWindow bool) {
	if err == nil && endedInWindow {
		r.completed++
	}
	if !measured {
		return
	}
	if err != nil {
		r.errors++
		if r.kinds == nil {
			r.kinds = map[string]int{}
		}
		k := err.Error() // a *journey.Error: the step first
		if len(k) > 120 {
			k = k[:120] + "…"
		}
		r.kinds[k]++
		return
	}
	r.login = append(r.login, total)
	r.wait = append(r.wait, wait)
	for i := range journey.Steps {
		r.steps[i] = append(r.steps[i], times[i])
	}
}

// phase runs one measured phase: -warmup unmeasured, then spec.duration.
func (g *generator) phase(ctx context.Context, spec phaseSpec) (*Result, error) {
	warmEnd := time.Now().Add(g.o.warmup)
	end := warmEnd.Add(spec.duration)
	workers := spec.concurrency
	if spec.rate > 0 {
		workers = len(g.aidants)
	}
	recs := make([]recorder, workers)
	var profiles sync.WaitGroup
	var profileErr error
	if spec.rate == 0 && g.o.pprofURL != "" {
		profiles.Add(1)
		go func() {
			defer profiles.Done()
			time.Sleep(time.Until(warmEnd))
			profileErr = g.profile(ctx, spec.name, spec.duration)
		}()
	}
	rssEvery := g.o.rssEvery
	if rssEvery <= 0 {
		rssEvery = spec.duration / 10
	}
	sampler := startSampler(g.o.serverPID, warmEnd, end, rssEvery)

	var wg sync.WaitGroup
	if spec.rate == 0 {
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a, rec := g.aidants[w], &recs[w]
				var times journey.Timings
				for ctx.Err() == nil {
					start := time.Now()
					if !start.Before(end) {
						return
					}
					err := g.login(ctx, a, &times)
					done := time.Now()
					rec.add(done.Sub(start), 0, &times, err, !start.Before(warmEnd), inWindow(done, warmEnd, end))
				}
			}()
		}
	} else {
		interval := time.Duration(float64(time.Second) / spec.rate)
		jobs := make(chan time.Time, int(spec.rate*(g.o.warmup+spec.duration).Seconds())+16)
		go func() {
			defer close(jobs)
			begin := time.Now()
			for i := 0; ctx.Err() == nil; i++ {
				at := begin.Add(time.Duration(i) * interval)
				if !at.Before(end) {
					return
				}
				if d := time.Until(at); d > 0 {
					time.Sleep(d)
				}
				jobs <- at
			}
		}()
		giveUp := end.Add(10 * time.Second)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a, rec := g.aidants[w], &recs[w]
				var times journey.Timings
				for at := range jobs {
					start := time.Now()
					if start.After(giveUp) || ctx.Err() != nil {
						rec.errors++
						if rec.kinds == nil {
							rec.kinds = map[string]int{}
						}
						rec.kinds["unstarted: no free virtual aidant before the end"]++
						continue
					}
					err := g.login(ctx, a, &times)
					done := time.Now()
					rec.add(done.Sub(at), start.Sub(at), &times, err, !at.Before(warmEnd), inWindow(done, warmEnd, end))
				}
			}()
		}
	}
	wg.Wait()
	server, machine := sampler.stop()
	profiles.Wait()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if profileErr != nil {
		fmt.Fprintln(os.Stderr, "loadgen: profile:", profileErr)
	}

	res := &Result{Phase: spec.name, Concurrency: workers, TargetRate: spec.rate, Seconds: spec.duration.Seconds(),
		Latency: map[string]Percentiles{}, Server: server, Machine: machine, ErrorKinds: map[string]int{}}
	res.Mode = "closed loop"
	if spec.rate > 0 {
		res.Mode = "open loop"
	}
	var all recorder
	for _, r := range recs {
		all.login = append(all.login, r.login...)
		all.wait = append(all.wait, r.wait...)
		for i := range journey.Steps {
			all.steps[i] = append(all.steps[i], r.steps[i]...)
		}
		all.completed += r.completed
		all.errors += r.errors
		for k, n := range r.kinds {
			res.ErrorKinds[k] += n
			if strings.HasPrefix(k, "unstarted") {
				res.Unstarted += n
			}
		}
	}
	res.Logins, res.Errors = all.completed, all.errors
	res.LoginsPerSecond = float64(all.completed) / spec.duration.Seconds()
	res.Latency["login"] = percentiles(all.login)
	for i := range journey.Steps {
		res.Latency[i.String()] = percentiles(all.steps[i])
	}
	if m := machine; m != nil && res.LoginsPerSecond > 0 && server != nil {
		per := func(cores float64) float64 { return 1000 * cores / res.LoginsPerSecond }
		c := &CPUPerLogin{Server: per(m.ServerCores), Postgres: per(m.PostgresCores), Loadgen: per(m.LoadgenCores)}
		if spent := c.Server + c.Postgres; spent > 0 {
			c.Capacity = 1000 * float64(m.CPUs) / spent
		}
		res.CPUPerLogin = c
	}
	if spec.rate > 0 {
		w := percentiles(all.wait)
		res.QueueWait = &w
	}
	return res, nil
}

func inWindow(t, from, to time.Time) bool { return !t.Before(from) && !t.After(to) }

// Print writes the phase's figures as a table.
func (r *Result) Print(w io.Writer) {
	fmt.Fprintf(w, "\n== phase %s (%s", r.Phase, r.Mode)
	if r.TargetRate > 0 {
		fmt.Fprintf(w, ", target %.0f logins/s", r.TargetRate)
	}
	fmt.Fprintf(w, ", %d virtual aidants, %.0f s measured)\n", r.Concurrency, r.Seconds)
	fmt.Fprintf(w, "completed delegated logins: %d = %.1f /s; errors: %d\n", r.Logins, r.LoginsPerSecond, r.Errors)
	keys := make([]string, 0, len(r.ErrorKinds))
	for k := range r.ErrorKinds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i == 10 {
			fmt.Fprintf(w, "  … %d more kinds\n", len(keys)-10)
			break
		}
		fmt.Fprintf(w, "  %6d × %s\n", r.ErrorKinds[k], k)
	}
	fmt.Fprintf(w, "%-24s %8s %8s %8s %8s %8s\n", "latency (ms)", "p50", "p90", "p99", "max", "mean")
	row := func(name string, p Percentiles) {
		fmt.Fprintf(w, "%-24s %8.2f %8.2f %8.2f %8.2f %8.2f\n", name, p.P50, p.P90, p.P99, p.Max, p.Mean)
	}
	name := "login (complete)"
	if r.TargetRate > 0 {
		name = "login (from schedule)"
	}
	row(name, r.Latency["login"])
	for s := range journey.Steps {
		row("  "+s.String(), r.Latency[s.String()])
	}
	if r.QueueWait != nil {
		row("  queue wait", *r.QueueWait)
	}
	if s := r.Server; s != nil {
		fmt.Fprintf(w, "server pid %d: RSS max %.1f MB, mean %.1f MB (VmHWM since start %.1f MB); CPU %.2f cores\n",
			s.PID, s.RSSMaxMB, s.RSSMeanMB, s.HWMMB, s.CPUCores)
		if len(s.RSSOverTime) > 0 {
			points := make([]string, len(s.RSSOverTime))
			for i, p := range s.RSSOverTime {
				points[i] = fmt.Sprintf("%s %.1f", time.Duration(p.AtSeconds*float64(time.Second)), p.RSSMB)
			}
			verdict := "flat"
			if !s.RSSFlat() {
				verdict = "NOT flat"
			}
			fmt.Fprintf(w, "server RSS over time (MB): %s → %+.1f MB, %s\n", strings.Join(points, ", "), s.RSSGrowthMB(), verdict)
		}
	}
	if c := r.CPUPerLogin; c != nil {
		fmt.Fprintf(w, "CPU per login: server %.2f ms, postgres %.2f ms (loadgen %.2f ms) → %.0f logins/s if they had the %d CPUs to themselves\n",
			c.Server, c.Postgres, c.Loadgen, c.Capacity, r.Machine.CPUs)
	}
	if m := r.Machine; m != nil {
		fmt.Fprintf(w, "machine: %d CPUs %.0f%% busy (%.2f cores: server %.2f, postgres %.2f, loadgen %.2f, other %.2f",
			m.CPUs, m.BusyPercent, m.BusyCores, m.ServerCores, m.PostgresCores, m.LoadgenCores, m.OtherCores)
		fmt.Fprintf(w, " = irq %.2f + steal %.2f + processes [%s]); load average %s\n",
			m.IRQCores, m.StealCores, strings.Join(m.TopOthers, ", "), m.LoadAvg)
	}
}

// profile fetches the server's CPU profile over the window, and its
// allocation and contention profiles at both ends (compare with -base).
func (g *generator) profile(ctx context.Context, phase string, d time.Duration) error {
	fetch := func(client *http.Client, path, file string) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.o.pprofURL+path, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %d", path, resp.StatusCode)
		}
		return os.WriteFile(filepath.Join(g.o.pprofDir, file), body, 0o644)
	}
	for _, p := range []string{"allocs", "block", "mutex"} {
		if err := fetch(g.back, "/debug/pprof/"+p, phase+"-"+p+"-start.pprof"); err != nil {
			return err
		}
	}
	secs := max(1, int(d.Seconds())-1)
	client := *g.back
	client.Timeout = d + 30*time.Second
	if err := fetch(&client, fmt.Sprintf("/debug/pprof/profile?seconds=%d", secs), phase+"-cpu.pprof"); err != nil {
		return err
	}
	for _, p := range []string{"allocs", "block", "mutex"} {
		if err := fetch(g.back, "/debug/pprof/"+p, phase+"-"+p+".pprof"); err != nil {
			return err
		}
	}
	return nil
}
