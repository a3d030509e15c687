// Command profserver is `procura dev` with the Go profiler: the same
// application (app.New with Dev set, the FranceConnect sandbox and demo
// data), plus net/http/pprof on a second, loopback-only listener. It
// exists for `BENCH_PROFILE=1 make bench` (scripts/bench.sh), which points
// `loadgen -pprof` at it; production binaries carry no profiler.
//
//	PROCURA_DATABASE_URL=postgres://… PROCURA_BASE_URL=http://127.0.0.1:18089 \
//	PROCURA_LISTEN_ADDR=127.0.0.1:18089 PROCURA_MASTER_KEY=… profserver -pprof 127.0.0.1:6060
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"procura/app"
	"procura/config"
)

func main() {
	pprofAddr := flag.String("pprof", "127.0.0.1:6060", "loopback address of the profiler's HTTP listener")
	blockRate := flag.Int("block-rate", 10000, "runtime.SetBlockProfileRate: one blocking event sampled per this many ns (0: off)")
	mutexFraction := flag.Int("mutex-fraction", 10, "runtime.SetMutexProfileFraction (0: off)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *pprofAddr, *blockRate, *mutexFraction); err != nil {
		fmt.Fprintln(os.Stderr, "profserver:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, pprofAddr string, blockRate, mutexFraction int) error {
	host, _, err := net.SplitHostPort(pprofAddr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-pprof %q: a loopback address is needed", pprofAddr)
	}
	// As `procura dev`, but the database, base URL and master key must be
	// given: this binary is for measuring a PostgreSQL server.
	for _, name := range []string{"PROCURA_DATABASE_URL", "PROCURA_BASE_URL", "PROCURA_MASTER_KEY"} {
		if os.Getenv(name) == "" {
			return fmt.Errorf("%s: required", name)
		}
	}
	defaults := map[string]string{"PROCURA_LISTEN_ADDR": "127.0.0.1:8080", "PROCURA_LOG_LEVEL": "error"}
	cfg, err := config.FromEnv(func(name string) string {
		if v := os.Getenv(name); v != "" {
			return v
		}
		return defaults[name]
	})
	if err != nil {
		return err
	}
	cfg.Dev = true
	if cfg.FranceConnect.Issuer == "" {
		cfg.FranceConnect = app.DevFranceConnect(cfg.BaseURL)
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	if _, err := app.Migrate(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	a, err := app.New(ctx, cfg, logger, time.Now)
	if err != nil {
		return err
	}
	defer a.Close()
	if _, err := a.SeedDemo(ctx); err != nil {
		return err
	}

	runtime.SetBlockProfileRate(blockRate)
	runtime.SetMutexProfileFraction(mutexFraction)
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	plnr, err := net.Listen("tcp", pprofAddr)
	if err != nil {
		return err
	}
	go http.Serve(plnr, mux)

	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return err
	}
	fmt.Printf("profserver: Procura on %s (%s), pprof on http://%s/debug/pprof/\n", ln.Addr(), cfg.BaseURL, plnr.Addr())
	return a.Serve(ctx, ln)
}
