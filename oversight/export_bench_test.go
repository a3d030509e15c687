package oversight

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"procura/account"
	"procura/audit"
	"procura/authz"
	"procura/db/dbtest"
	"procura/mandate"
	"procura/usager"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// Stand-ins for the packages that own names: the benchmark measures the
// journal's reading and the CSV writing, with one query per batch for the
// usagers' names as in production.
type benchTeam struct{}

func (benchTeam) CheckManager(context.Context, account.Manager) error { return nil }
func (benchTeam) Team(context.Context, account.Manager, account.TeamFilter) ([]account.TeamMember, error) {
	return nil, nil
}
func (benchTeam) Account(_ context.Context, id string) (account.Account, error) {
	return account.Account{ID: id, GivenName: "Camille", FamilyName: "Lefèvre"}, nil
}
func (benchTeam) RecordCrossOrganisation(context.Context, account.Manager, string, string) error {
	return nil
}

type benchUsagers struct{}

func (benchUsagers) Exists(context.Context, string) (bool, error) { return true, nil }
func (benchUsagers) Names(_ context.Context, ids []string, _ string) ([]usager.Named, error) {
	out := make([]usager.Named, len(ids))
	for i, id := range ids {
		out[i] = usager.Named{ID: id, GivenName: "Jean-Luc", FamilyName: "D'Arcy"}
	}
	return out, nil
}

type benchServices struct{}

func (benchServices) ListClients(context.Context) ([]*authz.Client, error) {
	return []*authz.Client{{ID: "service-1", Name: "Caisse démo"}}, nil
}

type countingWriter struct{ n atomic.Int64 }

func (w *countingWriter) Write(b []byte) (int, error) { w.n.Add(int64(len(b))); return len(b), nil }

// vmKB reads a size in kB from /proc/self/status (VmRSS, VmHWM).
func vmKB(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// BenchmarkExport measures the CSV export of one organisation's 1 M
// entries (DESIGN.md §10: ≤ 10 s, constant memory): its duration, and the
// growth of the process's resident memory (peak VmHWM minus VmRSS before)
// and of the Go heap while it runs.
func BenchmarkExport(b *testing.B) {
	d := dbtest.Postgres(b)
	ctx := context.Background()
	n := 1_000_000
	if err := d.Conn(ctx).Exec(`INSERT INTO audit_entries (occurred_at, action, actor_kind, actor_id, organisation_id, usager_id,
			mandate_id, permission_id, procedure, client_id, request_id, details)
		SELECT timestamptz '2025-11-24 00:00:00+00' + i * interval '30 seconds', 'delegated_login.authorised', 'aidant',
			'aidant-' || i % 40, 'org-0', 'usager-' || (i * 31) % 5000, 'mandate-' || (i * 31) % 5000, 'permission-' || i % 7,
			'social', 'service-1', 'req-' || i, '{"reason":"ok"}'
		FROM generate_series(1::bigint, ?::bigint) AS i`, n).Error; err != nil {
		b.Fatal(err)
	}
	if err := d.Conn(ctx).Exec("VACUUM ANALYZE audit_entries").Error; err != nil {
		b.Fatal(err)
	}
	paris, err := mandate.Paris()
	if err != nil {
		b.Fatal(err)
	}
	s := New(d, audit.New(d, time.Now), benchTeam{}, benchUsagers{}, nil, benchServices{}, paris, time.Now)
	for b.Loop() {
		runtime.GC()
		// Reset the peak resident size (Linux): VmHWM then peaks during the export.
		_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
		rssBefore := vmKB("VmRSS")
		var peakHeap atomic.Uint64
		done := make(chan struct{})
		go func() {
			var ms runtime.MemStats
			for {
				select {
				case <-done:
					return
				case <-time.After(20 * time.Millisecond):
					runtime.ReadMemStats(&ms)
					if ms.HeapInuse > peakHeap.Load() {
						peakHeap.Store(ms.HeapInuse)
					}
				}
			}
		}()
		w := &countingWriter{}
		start := time.Now()
		if err := s.WriteCSV(ctx, audit.Query{OrganisationID: "org-0"}, w); err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		close(done)
		b.ReportMetric(elapsed.Seconds(), "s/export")
		b.ReportMetric(float64(n)/elapsed.Seconds(), "rows/s")
		b.ReportMetric(float64(w.n.Load())/(1<<20), "MB-csv")
		b.ReportMetric(float64(vmKB("VmHWM")-rssBefore)/1024, "MB-rss-growth")
		b.ReportMetric(float64(peakHeap.Load())/(1<<20), "MB-peak-heap")
	}
}
