package web

import (
	"log/slog"
	"net/http"
	"sync"
	"time"

	"procura/audit"
	"procura/metrics"
)

// noiseLogEvery is how often, at most, one client address gets a log line
// for its noise; what happens in between is counted in the next line.
const noiseLogEvery = 10 * time.Second

// noiseMaxAddresses bounds the addresses remembered; past it the memory
// starts again (a client then gets one more line, nothing worse).
const noiseMaxAddresses = 10_000

// noise is where requests that change nothing and name no one go instead of
// the permanent journal (a FranceConnect callback for no flow of ours, a
// sign-in refused for an unknown email or during a lockout): the structured
// log, rate-limited per client address, and counters by kind, which every
// log line carries. So an anonymous client cannot grow the journal, nor
// flood the log.
type noise struct {
	log     *slog.Logger
	now     func() time.Time
	metrics *metrics.Metrics

	mu      sync.Mutex
	total   map[string]uint64
	clients map[string]*noisyClient
}

type noisyClient struct {
	lastLogged time.Time
	suppressed uint64
}

func newNoise(log *slog.Logger, now func() time.Time, m *metrics.Metrics) *noise {
	return &noise{log: log, now: now, metrics: m, total: map[string]uint64{}, clients: map[string]*noisyClient{}}
}

// note counts one request of kind from ip and logs it unless ip was logged
// less than noiseLogEvery ago.
func (n *noise) note(r *http.Request, ip, kind, reason string) {
	now := n.now()
	n.metrics.Noise(kind)
	n.mu.Lock()
	n.total[kind]++
	total := n.total[kind]
	c := n.clients[ip]
	if c == nil {
		if len(n.clients) >= noiseMaxAddresses {
			clear(n.clients)
		}
		c = &noisyClient{}
		n.clients[ip] = c
	}
	if !c.lastLogged.IsZero() && now.Sub(c.lastLogged) < noiseLogEvery {
		c.suppressed++
		n.mu.Unlock()
		return
	}
	suppressed := c.suppressed
	c.lastLogged, c.suppressed = now, 0
	n.mu.Unlock()
	n.log.Warn("refused request naming no one (not journaled)", "kind", kind, "reason", reason, "client_ip", ip,
		"suppressed_since_last_line", suppressed, "total_of_kind", total, "request_id", audit.RequestID(r.Context()))
}

// count returns how many requests of kind were noted.
func (n *noise) count(kind string) uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.total[kind]
}
