package oversight

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"procura/account"
	"procura/audit"
	"procura/db/dbtest"
	"procura/keyring"
	"procura/mandate"
	"procura/outbox"
	"procura/usager"
)

type noSessions struct{}

func (noSessions) EndAccountSessions(context.Context, string) (int64, error) { return 0, nil }

// BenchmarkWatch times one run of the alerts' computation (the maintenance
// loop's job) over a journal of PROCURA_BENCH_ENTRIES entries (1 M by
// default) across 1,000 organisations, the busiest holding a tenth of them,
// spread over the year up to now, rolled up into day counts first as the
// maintenance loop keeps them. The first run raises the alerts the
// fixture's pattern gives (logins at every hour: night alerts); the next
// ones, the steady state, find them all raised. Run with -benchtime 1x:
// the first run must be the first. Not part of `make test`:
//
//	./scripts/with-postgres.sh go test ./oversight -run '^$' -bench Watch -benchtime 1x -timeout 60m
func BenchmarkWatch(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("PROCURA_BENCH_ENTRIES")); err == nil && v > 0 {
		n = v
	}
	d := dbtest.Postgres(b)
	ctx := context.Background()
	conn := d.Conn(ctx)
	start := time.Now()
	if err := conn.Exec(`INSERT INTO organisations (id, siret, name, created_at)
		SELECT md5('org-' || o)::uuid, lpad(o::text, 14, '0'), 'Structure ' || o, now() FROM generate_series(0, 999) AS o`).Error; err != nil {
		b.Fatal(err)
	}
	err := conn.Exec(`INSERT INTO audit_entries (occurred_at, action, actor_kind, actor_id, organisation_id, usager_id, mandate_id,
			permission_id, procedure, client_id, request_id, details)
		SELECT now() - interval '365 days' + (i * 31536000.0 / ?)::float8 * interval '1 second',
			(ARRAY['delegated_login.authorised','delegated_login.authorised','delegated_login.authorised','delegated_login.authorised',
				'delegated_login.authorised','delegated_login.authorised','token.issued','userinfo.read','mandate.created',
				'permission.created','mandate.revoked','mandate.expired','aidant.sign_in','delegated_login.refused'])[1 + (i * 13 + i / 10) % 14],
			'aidant', 'aidant-' || o || '-' || (i / 7) % 40, md5('org-' || o)::uuid::text, 'usager-' || o || '-' || (i * 31 + i / 10) % 5000,
			'mandate-' || o || '-' || (i * 31 + i / 10) % 5000, '', (ARRAY['papiers','famille','social','travail','logement','transports',
				'argent','justice','etranger','loisirs'])[1 + (i / 3 + i / 10) % 10], 'service-' || (i / 11) % 20, 'req-' || i, '{}'
		FROM (SELECT i, CASE WHEN i % 10 = 0 THEN 0 ELSE 1 + (i * 7919) % 999 END AS o FROM generate_series(1::bigint, ?::bigint) AS i) AS s`, n, n).Error
	if err != nil {
		b.Fatal(err)
	}
	if err := conn.Exec("VACUUM ANALYZE audit_entries").Error; err != nil {
		b.Fatal(err)
	}
	b.Logf("fixture: %d entries in %s", n, time.Since(start).Round(time.Second))
	paris, err := mandate.Paris()
	if err != nil {
		b.Fatal(err)
	}
	j := audit.New(d, time.Now)
	start = time.Now()
	if _, err := j.RollUp(ctx, paris); err != nil {
		b.Fatal(err)
	}
	b.Logf("rollup in %s", time.Since(start).Round(time.Second))
	key := bytes.Repeat([]byte{7}, 32)
	dir, err := account.NewDirectory(d, j, key, noSessions{}, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	usagers, err := usager.New(d, j, key, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	keys, err := keyring.New(d, j, key, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	w := NewWatch(d, j, dir, mandate.New(d, j, dir, usagers, keys, nil, time.Now), outbox.New(d, time.Now), "https://procura.test",
		paris, time.Now)
	// Sub-benchmarks, so that the fixture is built once.
	for _, name := range []string{"first-run", "steady-state"} {
		b.Run(name, func(b *testing.B) {
			for range b.N {
				start := time.Now()
				rep, err := w.Run(ctx)
				if err != nil {
					b.Fatal(err)
				}
				b.Logf("%s: %s, %+v", name, time.Since(start).Round(time.Millisecond), rep)
			}
		})
	}
}
