package audit_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
)

// asSuperuser runs statements the way an attacker holding the database
// owner's or a superuser's rights would: with the append-only triggers out
// of the way.
func asSuperuser(t *testing.T, d *db.DB, statements ...string) {
	t.Helper()
	ctx := context.Background()
	err := d.InTx(ctx, func(ctx context.Context) error {
		if d.Dialect == db.Postgres {
			if err := d.Conn(ctx).Exec("SET LOCAL session_replication_role = replica").Error; err != nil {
				return err
			}
		} else {
			for _, tr := range []string{"audit_entries_no_update", "audit_entries_no_delete", "audit_leaves_no_update",
				"audit_leaves_no_delete", "audit_checkpoints_no_delete", "audit_tree_nodes_no_update", "audit_tree_nodes_no_delete"} {
				if err := d.Conn(ctx).Exec("DROP TRIGGER IF EXISTS " + tr).Error; err != nil {
					return err
				}
			}
		}
		for _, s := range statements {
			if err := d.Conn(ctx).Exec(s).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// firstFinding verifies and returns the first finding, failing the test if
// there is none.
func firstFinding(t *testing.T, j *audit.Journal, k logKey) audit.Finding {
	t.Helper()
	rep, err := j.Verify(context.Background(), audit.VerifyOptions{Origin: testOrigin, Verifiers: k.verifiers})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if rep.OK() {
		t.Fatal("Verify found nothing wrong")
	}
	return rep.Findings[0]
}

func TestVerifyNamesTheTamperedEntry(t *testing.T) {
	tests := []struct {
		name      string
		tamper    func(t *testing.T, d *db.DB, j *audit.Journal)
		wantEntry int64
		wantText  string
	}{
		{
			name: "entry rewritten",
			tamper: func(t *testing.T, d *db.DB, j *audit.Journal) {
				asSuperuser(t, d, "UPDATE audit_entries SET actor_id = 'someone-else' WHERE id = 4")
			},
			wantEntry: 4, wantText: "differs from what was integrated",
		},
		{
			name: "entry deleted",
			tamper: func(t *testing.T, d *db.DB, j *audit.Journal) {
				asSuperuser(t, d, "DELETE FROM audit_entries WHERE id = 6")
			},
			wantEntry: 6, wantText: "deleted",
		},
		{
			name: "entry and its leaf hash rewritten together",
			tamper: func(t *testing.T, d *db.DB, j *audit.Journal) {
				asSuperuser(t, d, "UPDATE audit_entries SET action = 'forged' WHERE id = 3")
				es, err := j.List(context.Background(), audit.Filter{})
				if err != nil {
					t.Fatal(err)
				}
				h := audit.Leaf(es[2]).Hash()
				asSuperuser(t, d, "UPDATE audit_leaves SET leaf_hash = "+hexLiteral(d, h)+" WHERE entry_id = 3")
			},
			wantText: "over leaves 2 to 3, differs from the one recomputed",
		},
		{
			name: "tree node rewritten",
			tamper: func(t *testing.T, d *db.DB, j *audit.Journal) {
				asSuperuser(t, d, "UPDATE audit_tree_nodes SET hash = "+hexLiteral(d, make([]byte, 32))+" WHERE level = 2 AND node_index = 1")
			},
			wantText: "tree node (level 2, index 1), over leaves 4 to 7, differs",
		},
		{
			name: "tree node deleted",
			tamper: func(t *testing.T, d *db.DB, j *audit.Journal) {
				asSuperuser(t, d, "DELETE FROM audit_tree_nodes WHERE level = 1 AND node_index = 0")
			},
			wantText: "tree node (level 1, index 0), over leaves 0 to 1, is missing",
		},
		{
			name: "entry inserted behind the sequencer",
			tamper: func(t *testing.T, d *db.DB, j *audit.Journal) {
				insert := "INSERT INTO audit_entries (id, occurred_at, action, actor_kind, actor_id) VALUES (0, '2026-11-22 09:00:00', 'aidant.sign_in', 'aidant', 'ghost')"
				if d.Dialect == db.Postgres {
					insert = "INSERT INTO audit_entries (id, occurred_at, action, actor_kind, actor_id, xid) VALUES (0, '2026-11-22 09:00:00', 'aidant.sign_in', 'aidant', 'ghost', 3)"
				}
				asSuperuser(t, d, insert)
			},
			wantText: "inserted behind the sequencer",
		},
		{
			name: "leaves deleted",
			tamper: func(t *testing.T, d *db.DB, j *audit.Journal) {
				asSuperuser(t, d, "DELETE FROM audit_leaves WHERE leaf_index >= 5")
			},
			wantText: "leaves were deleted",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbtest.EachFresh(t, func(t *testing.T, d *db.DB) {
				j, s, k := newSequencer(t, d)
				recordN(t, d, j, 4, "a")
				integrate(t, s, d)
				recordN(t, d, j, 4, "b")
				integrate(t, s, d)
				mustVerify(t, j, k)
				tt.tamper(t, d, j)
				f := firstFinding(t, j, k)
				if f.EntryID != tt.wantEntry || !strings.Contains(f.Problem, tt.wantText) {
					t.Errorf("first finding = %q, want entry %d and %q", f, tt.wantEntry, tt.wantText)
				}
			})
		})
	}
}

func hexLiteral(d *db.DB, b []byte) string {
	const digits = "0123456789abcdef"
	h := make([]byte, 0, 2*len(b))
	for _, c := range b {
		h = append(h, digits[c>>4], digits[c&15])
	}
	if d.Dialect == db.Postgres {
		return `'\x` + string(h) + `'`
	}
	return "X'" + string(h) + "'"
}

func TestVerifyRefusesAForgedCheckpointAndDetectsAFork(t *testing.T) {
	dbtest.EachFresh(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		j, s, k := newSequencer(t, d)
		recordN(t, d, j, 3, "a")
		integrate(t, s, d)
		other := newLogKey(t, testOrigin) // same name, another key

		// A checkpoint signed by another key is refused.
		forged := signedCheckpoint(t, other.signer, 3, make([]byte, 32))
		if _, err := audit.ParseCheckpoint([]byte(forged), testOrigin, k.verifiers); !errors.Is(err, audit.ErrBadCheckpoint) {
			t.Errorf("ParseCheckpoint(forged) = %v, want ErrBadCheckpoint", err)
		}
		storeCheckpoint(t, d, 3, make([]byte, 32), forged)
		if f := firstFinding(t, j, k); !strings.Contains(f.Problem, "not signed by a known key") {
			t.Errorf("forged checkpoint: first finding %q", f)
		}

		// Two checkpoints of one size with different roots, both signed by
		// the journal's key (a sequencer or a key gone rogue): a fork.
		d2 := dbtest.SQLite(t)
		j2, _, _ := newSequencer(t, d2)
		s2 := audit.NewSequencer(j2, testOrigin, func(context.Context) (note.Signer, error) { return k.signer, nil })
		recordN(t, d2, j2, 3, "z")
		integrate(t, s2, d2)
		fork, err := j2.LatestCheckpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		storeCheckpoint(t, d, 3, fork.Root, fork.Note)
		rep, err := j.Verify(ctx, audit.VerifyOptions{Origin: testOrigin, Verifiers: k.verifiers})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, f := range rep.Findings {
			found = found || strings.Contains(f.Problem, "fork")
		}
		if !found {
			t.Errorf("fork not detected: %v", rep.Findings)
		}
	})
}

func signedCheckpoint(t *testing.T, s note.Signer, size uint64, root []byte) string {
	t.Helper()
	b, err := note.Sign(&note.Note{Text: audit.Checkpoint{Origin: testOrigin, Size: size, Root: root}.Text()}, s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func storeCheckpoint(t *testing.T, d *db.DB, size uint64, root []byte, signed string) {
	t.Helper()
	err := d.Conn(context.Background()).Exec(
		"INSERT INTO audit_checkpoints (tree_size, root_hash, last_xid, last_entry_id, note, created_at) VALUES (?, ?, 0, 0, ?, ?)",
		size, root, signed, fixedNow()).Error
	if err != nil {
		t.Fatal(err)
	}
}

// A sequencer that dies in the middle of a batch leaves nothing behind: the
// next batch integrates the same entries, once.
func TestSequencerFailingMidBatchLeavesNothingBehind(t *testing.T) {
	dbtest.EachFresh(t, func(t *testing.T, d *db.DB) {
		j, _, k := newSequencer(t, d)
		recordN(t, d, j, 5, "a")
		broken := audit.NewSequencer(j, testOrigin, func(context.Context) (note.Signer, error) {
			return nil, errors.New("killed")
		})
		for deadline := time.Now().Add(integrationWait); ; time.Sleep(20 * time.Millisecond) {
			if _, err := broken.Integrate(context.Background()); err != nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("Integrate with a failing signer succeeded")
			}
		}
		var n int64
		d.Conn(context.Background()).Raw("SELECT COUNT(*) FROM audit_leaves").Scan(&n)
		if n != 0 {
			t.Fatalf("%d leaves left behind by a failed batch", n)
		}
		s := audit.NewSequencer(j, testOrigin, func(context.Context) (note.Signer, error) { return k.signer, nil })
		if got := integrate(t, s, d); got != 5 {
			t.Fatalf("integrated %d, want 5", got)
		}
		mustVerify(t, j, k)
	})
}

// Someone holding the database and the signing key replaces the whole
// journal with another history, re-signed: it verifies on its own, but not
// against a checkpoint a usager kept.
func TestVerifyDetectsARewrittenHistoryWithACheckpointHeldOutside(t *testing.T) {
	dbtest.EachFresh(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		j, s, k := newSequencer(t, d)
		recordN(t, d, j, 6, "a")
		integrate(t, s, d)
		kept, err := j.LatestCheckpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		held, err := audit.ParseCheckpoint([]byte(kept.Note), testOrigin, k.verifiers)
		if err != nil {
			t.Fatal(err)
		}

		// The other history: same key, other entries, longer.
		d2 := dbtest.SQLite(t)
		j2 := audit.New(d2, fixedNow)
		s2 := audit.NewSequencer(j2, testOrigin, func(context.Context) (note.Signer, error) { return k.signer, nil })
		recordN(t, d2, j2, 9, "rewritten")
		integrate(t, s2, d2)
		mustVerify(t, j2, k) // consistent with itself

		rep, err := j2.Verify(ctx, audit.VerifyOptions{Origin: testOrigin, Verifiers: k.verifiers, Held: []audit.Checkpoint{held}})
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK() || !strings.Contains(rep.Findings[0].Problem, "fork") {
			t.Errorf("findings = %v, want a fork", rep.Findings)
		}
		// The genuine journal extends the checkpoint it signed.
		recordN(t, d, j, 2, "b")
		integrate(t, s, d)
		if rep, err := j.Verify(ctx, audit.VerifyOptions{Origin: testOrigin, Verifiers: k.verifiers, Held: []audit.Checkpoint{held}}); err != nil || !rep.OK() {
			t.Errorf("genuine journal: %v %v", rep.Findings, err)
		}
	})
}
