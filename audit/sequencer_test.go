package audit_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
)

const testOrigin = "procura.test/journal"

// integrationWait bounds how long a test waits for entries to be
// integrated. On PostgreSQL the sequencer waits for every transaction that
// has written and is still open in its database: usually milliseconds, but
// give them time.
const integrationWait = 90 * time.Second

// logKey is a checkpoint signing key of the test's own.
type logKey struct {
	signer    note.Signer
	vkey      string
	verifiers note.Verifiers
}

func newLogKey(t testing.TB, origin string) logKey {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := audit.VerifierList(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return logKey{signer: s, vkey: vkey, verifiers: vs}
}

func newSequencer(t testing.TB, d *db.DB) (*audit.Journal, *audit.Sequencer, logKey) {
	t.Helper()
	j := audit.New(d, fixedNow)
	k := newLogKey(t, testOrigin)
	s := audit.NewSequencer(j, testOrigin, func(context.Context) (note.Signer, error) { return k.signer, nil })
	return j, s, k
}

func recordN(t testing.TB, d *db.DB, j *audit.Journal, n int, actor string) {
	t.Helper()
	for i := range n {
		err := d.InTx(context.Background(), func(ctx context.Context) error {
			return j.Record(ctx, audit.Entry{Action: audit.ActionSignIn, ActorKind: audit.ActorAidant, ActorID: actor,
				Details: map[string]string{"n": fmt.Sprint(i)}})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// integrate integrates until every entry of d is in the tree and returns
// how many it integrated. On PostgreSQL a batch takes only the entries of
// transactions older than every writing transaction still running in the
// database: it may take a few rounds.
func integrate(t testing.TB, s *audit.Sequencer, d *db.DB) int {
	t.Helper()
	total := 0
	deadline := time.Now().Add(integrationWait)
	for {
		n, err := s.Integrate(context.Background())
		if err != nil {
			t.Fatalf("Integrate: %v", err)
		}
		total += n
		var entries, leaves int64
		d.Conn(context.Background()).Raw("SELECT COUNT(*) FROM audit_entries").Scan(&entries)
		d.Conn(context.Background()).Raw("SELECT COUNT(*) FROM audit_leaves").Scan(&leaves)
		if entries == leaves {
			return total
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d entries, %d leaves after %s", entries, leaves, integrationWait)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func mustVerify(t testing.TB, j *audit.Journal, k logKey) audit.Report {
	t.Helper()
	rep, err := j.Verify(context.Background(), audit.VerifyOptions{Origin: testOrigin, Verifiers: k.verifiers})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !rep.OK() {
		t.Fatalf("Verify found %v", rep.Findings)
	}
	return rep
}

func TestIntegrateSignsACheckpointAndProvesEveryEntry(t *testing.T) {
	dbtest.EachFresh(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		j, s, k := newSequencer(t, d)
		if _, err := j.LatestCheckpoint(ctx); err != audit.ErrNoCheckpoint {
			t.Fatalf("LatestCheckpoint on an empty journal = %v, want ErrNoCheckpoint", err)
		}
		recordN(t, d, j, 5, "a")
		if n := integrate(t, s, d); n != 5 {
			t.Fatalf("integrated %d, want 5", n)
		}
		if n, err := s.Integrate(ctx); err != nil || n != 0 {
			t.Fatalf("integrated %d again (%v), want 0", n, err)
		}
		recordN(t, d, j, 12, "b")
		integrate(t, s, d)
		cp, err := j.LatestCheckpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c, err := audit.ParseCheckpoint([]byte(cp.Note), testOrigin, k.verifiers)
		if err != nil {
			t.Fatal(err)
		}
		if c.Size != 17 {
			t.Fatalf("checkpoint size %d, want 17", c.Size)
		}
		entries, err := j.List(ctx, audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			r, err := j.Receipt(ctx, e.ID)
			if err != nil {
				t.Fatal(err)
			}
			if p, err := j.InclusionProof(ctx, r.LeafIndex, c.Size); err != nil {
				t.Fatal(err)
			} else if err := proof.VerifyInclusion(rfc6962.DefaultHasher, r.LeafIndex, c.Size, audit.Leaf(e).Hash(), p, c.Root); err != nil {
				t.Errorf("entry %d: %v", e.ID, err)
			}
		}
		old, err := j.CheckpointAt(ctx, 5)
		if err != nil {
			t.Fatal(err)
		}
		p, err := j.ConsistencyProof(ctx, 5, 17)
		if err != nil {
			t.Fatal(err)
		}
		if err := proof.VerifyConsistency(rfc6962.DefaultHasher, 5, 17, p, old.Root, c.Root); err != nil {
			t.Error(err)
		}
		rep := mustVerify(t, j, k)
		// At least one checkpoint per integration; more when a batch was cut
		// short by a transaction still open.
		if rep.TreeSize != 17 || rep.Checkpoints < 2 || rep.Pending != 0 {
			t.Errorf("report = %+v", rep)
		}
	})
}

// An entry whose transaction commits after an entry with a higher id must
// be integrated once, neither skipped nor taken twice.
func TestOutOfOrderCommitIsNeitherSkippedNorDuplicated(t *testing.T) {
	d := dbtest.FreshPostgres(t)
	ctx := context.Background()
	j, s, k := newSequencer(t, d)
	recordN(t, d, j, 2, "before")
	integrate(t, s, d)

	recorded, release, done := make(chan int64, 1), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- d.InTx(ctx, func(ctx context.Context) error {
			if err := j.Record(ctx, audit.Entry{Action: audit.ActionSignIn, ActorKind: audit.ActorAidant, ActorID: "slow"}); err != nil {
				return err
			}
			var id int64
			d.Conn(ctx).Raw("SELECT MAX(id) FROM audit_entries WHERE actor_id = 'slow'").Scan(&id)
			recorded <- id
			<-release
			return nil
		})
	}()
	slowID := <-recorded
	recordN(t, d, j, 3, "fast") // higher ids, committed first
	for range 3 {
		if _, err := s.Integrate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var n int64
	d.Conn(ctx).Raw("SELECT COUNT(*) FROM audit_leaves").Scan(&n)
	if n != 2 {
		t.Errorf("with the slow transaction open, %d leaves, want 2 (nothing at or after it)", n)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	integrate(t, s, d)
	var leaves []struct {
		EntryID int64
		N       int
	}
	d.Conn(ctx).Raw("SELECT entry_id, COUNT(*) AS n FROM audit_leaves GROUP BY entry_id").Scan(&leaves)
	if len(leaves) != 6 {
		t.Fatalf("%d entries in the tree, want 6", len(leaves))
	}
	found := false
	for _, l := range leaves {
		if l.N != 1 {
			t.Errorf("entry %d integrated %d times", l.EntryID, l.N)
		}
		found = found || l.EntryID == slowID
	}
	if !found {
		t.Errorf("entry %d, committed late, was skipped", slowID)
	}
	mustVerify(t, j, k)
}

func TestConcurrentWritersAndSequencers(t *testing.T) {
	dbtest.EachFresh(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		j, s, k := newSequencer(t, d)
		// A second instance's sequencer, with the same key.
		s2 := audit.NewSequencer(j, testOrigin, func(context.Context) (note.Signer, error) { return k.signer, nil })
		const writers, each = 8, 40
		var wg sync.WaitGroup
		stop := make(chan struct{})
		var seqErr error
		var seqWG sync.WaitGroup
		for _, seq := range []*audit.Sequencer{s, s2} {
			seqWG.Add(1)
			go func() {
				defer seqWG.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := seq.Integrate(ctx); err != nil {
						seqErr = err
						return
					}
				}
			}()
		}
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					err := d.InTx(ctx, func(ctx context.Context) error {
						return j.Record(ctx, audit.Entry{Action: audit.ActionSignIn, ActorKind: audit.ActorAidant,
							ActorID: fmt.Sprintf("w%d", w), Details: map[string]string{"i": fmt.Sprint(i)}})
					})
					if err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(stop)
		seqWG.Wait()
		if seqErr != nil {
			t.Fatal(seqErr)
		}
		integrate(t, s, d)
		rep := mustVerify(t, j, k)
		if rep.TreeSize != writers*each || rep.Pending != 0 {
			t.Errorf("tree size %d, pending %d; want %d, 0", rep.TreeSize, rep.Pending, writers*each)
		}
	})
}

func signNote(text string, k logKey) (string, error) {
	b, err := note.Sign(&note.Note{Text: text}, k.signer)
	return string(b), err
}

// A transaction that has written and stays open in another database of the
// same PostgreSQL cluster cannot write this journal: it must not hold
// integration back. One open in this database must.
func TestOnlyThisDatabaseHoldsIntegrationBack(t *testing.T) {
	d, other := dbtest.FreshPostgres(t), dbtest.FreshPostgres(t)
	ctx := context.Background()
	j, s, _ := newSequencer(t, d)

	hold := func(d *db.DB) (release func()) {
		started, stop, done := make(chan error, 1), make(chan struct{}), make(chan error, 1)
		go func() {
			done <- d.InTx(ctx, func(ctx context.Context) error {
				// Writing gives the transaction an id.
				started <- d.Conn(ctx).Exec("CREATE TEMP TABLE held (x int)").Error
				<-stop
				return nil
			})
		}()
		if err := <-started; err != nil {
			t.Fatal(err)
		}
		return func() {
			close(stop)
			if err := <-done; err != nil {
				t.Error(err)
			}
		}
	}

	releaseOther := hold(other)
	defer releaseOther()
	recordN(t, d, j, 3, "while another database writes")
	if n, err := s.Integrate(ctx); err != nil || n != 3 {
		t.Fatalf("Integrate with a transaction open in another database = %d, %v; want 3", n, err)
	}

	releaseHere := hold(d)
	recordN(t, d, j, 2, "after a transaction of this database began")
	if n, err := s.Integrate(ctx); err != nil || n != 0 {
		t.Fatalf("Integrate with an older transaction open in this database = %d, %v; want 0", n, err)
	}
	releaseHere()
	if n := integrate(t, s, d); n != 2 {
		t.Errorf("after it ended: integrated %d, want 2", n)
	}
}

// The sequencer's BRIN index summarizes each page range as soon as it is
// full: unsummarized ranges are read whole by every batch (migration 0013).
func TestSequencerIndexSummarizesItself(t *testing.T) {
	d := dbtest.Postgres(t)
	var options []string
	if err := d.Conn(context.Background()).Raw("SELECT unnest(reloptions) FROM pg_class WHERE relname = 'audit_entries_sequence'").
		Scan(&options).Error; err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(options, "autosummarize=on") {
		t.Errorf("audit_entries_sequence options = %v, want autosummarize=on", options)
	}
}
