// Package metrics holds the Prometheus metrics of one Procura server: a
// registry of its own (no global state: two servers can run in one test
// binary), the collectors the other packages update, and the handler that
// serves them on the operator's listener (PROCURA_METRICS_ADDR).
//
// What is measured:
//   - procura_http_requests_total{route,method,code} and
//     procura_http_request_duration_seconds{route}: every request, by the
//     route table's pattern (never the raw path: ids would explode the
//     series);
//   - procura_delegated_logins_total{step,outcome}: the delegated login's
//     steps (authorize, token, userinfo) authorised or refused;
//   - go_sql_*{db_name="procura"}: the connection pool (open, in use, idle,
//     waits);
//   - procura_maintenance_runs_total{job,outcome} and
//     procura_maintenance_duration_seconds{job}: the periodic jobs;
//   - the Go runtime and process (memory, goroutines, CPU, open files).
package metrics

import (
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one server's registry and collectors. A nil *Metrics records
// nothing, so packages need not check.
type Metrics struct {
	registry        *prometheus.Registry
	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	logins          *prometheus.CounterVec
	jobs            *prometheus.CounterVec
	noise           *prometheus.CounterVec
	jobDuration     *prometheus.HistogramVec
}

// New returns a registry with the runtime and process collectors and
// Procura's own.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "procura_http_requests_total", Help: "HTTP requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "procura_http_request_duration_seconds", Help: "Time to answer an HTTP request, by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "procura_delegated_logins_total", Help: "Steps of delegated logins, authorised or refused.",
		}, []string{"step", "outcome"}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "procura_maintenance_runs_total", Help: "Runs of the periodic jobs, by job and outcome (ok, error).",
		}, []string{"job", "outcome"}),
		noise: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "procura_noise_total", Help: "Refused requests that name no one (kept out of the journal), by kind.",
		}, []string{"kind"}),
		jobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "procura_maintenance_duration_seconds", Help: "Duration of the periodic jobs.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 10),
		}, []string{"job"}),
	}
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.requestDuration, m.logins, m.jobs, m.jobDuration, m.noise,
	)
	return m
}

// Handler serves the registry in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// Request records an answered request.
func (m *Metrics) Request(route, method string, code int, d time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, method, statusCode(code)).Inc()
	m.requestDuration.WithLabelValues(route).Observe(d.Seconds())
}

// DelegatedLogin records a step of a delegated login: step is authorize,
// authorization_code, refresh_token or userinfo; authorised or not.
func (m *Metrics) DelegatedLogin(step string, authorised bool) {
	if m == nil {
		return
	}
	outcome := "refused"
	if authorised {
		outcome = "authorised"
	}
	m.logins.WithLabelValues(step, outcome).Inc()
}

// Noise records a refused request that names no one (DESIGN.md §6: the
// structured log and this counter, not the journal).
func (m *Metrics) Noise(kind string) {
	if m == nil {
		return
	}
	m.noise.WithLabelValues(kind).Inc()
}

// Job records a run of a periodic job.
func (m *Metrics) Job(job string, err error, d time.Duration) {
	if m == nil {
		return
	}
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.jobs.WithLabelValues(job, outcome).Inc()
	m.jobDuration.WithLabelValues(job).Observe(d.Seconds())
}

// WatchPool adds the statistics of a database pool.
func (m *Metrics) WatchPool(pool *sql.DB) {
	if m == nil || pool == nil {
		return
	}
	m.registry.MustRegister(collectors.NewDBStatsCollector(pool, "procura"))
}

func statusCode(code int) string {
	if code == 0 {
		code = http.StatusOK // nothing written: net/http answers 200
	}
	return strconv.Itoa(code)
}
