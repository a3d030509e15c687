package audit

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"golang.org/x/mod/sumdb/note"

	"procura/db"
)

// VerifyOptions says what Verify trusts: the log's origin and the verifier
// keys of its checkpoints. Progress, if set, is called as leaves are checked.
type VerifyOptions struct {
	Origin    string
	Verifiers note.Verifiers
	Progress  func(done, total uint64)
}

// Finding is one thing Verify found wrong.
type Finding struct {
	// EntryID names the entry concerned, when one is known.
	EntryID int64 `json:"entry_id,omitempty"`
	// LeafIndex is the leaf concerned, when one is; -1 otherwise.
	LeafIndex int64  `json:"leaf_index"`
	Problem   string `json:"problem"`
}

func (f Finding) String() string {
	switch {
	case f.EntryID != 0:
		return fmt.Sprintf("entry %d (leaf %d): %s", f.EntryID, f.LeafIndex, f.Problem)
	case f.LeafIndex >= 0:
		return fmt.Sprintf("leaf %d: %s", f.LeafIndex, f.Problem)
	}
	return f.Problem
}

// Report is what Verify checked and found.
type Report struct {
	Origin      string `json:"origin"`
	TreeSize    uint64 `json:"tree_size"`
	RootHash    string `json:"root_hash,omitempty"`
	Checkpoints int    `json:"checkpoints"`
	// Pending counts the entries recorded but not yet integrated (the
	// sequencer takes them within a second, unless a long transaction holds
	// it back).
	Pending  int64     `json:"pending"`
	Findings []Finding `json:"findings"`
}

// OK reports whether nothing was found wrong.
func (r Report) OK() bool { return len(r.Findings) == 0 }

// maxFindings bounds a report: past a few, the first ones say enough.
const maxFindings = 100

func (r *Report) add(f Finding) {
	if len(r.Findings) < maxFindings {
		r.Findings = append(r.Findings, f)
	}
}

// verifyPage is how many leaves Verify reads per query.
const verifyPage = 20000

// Verify recomputes the whole tree from the stored entries and checks it
// against every stored checkpoint, as an auditor holding only the verifier
// keys would: each checkpoint's signature and origin; each leaf hash from
// its entry (an entry changed or deleted is named); the root of the
// recomputed tree at every checkpoint's size (so successive checkpoints are
// consistent: they are all prefixes of the one tree recomputed, and two
// checkpoints of one size with different roots are a fork); no leaf
// missing; no entry added behind the sequencer's position. An error is
// returned only when the store cannot be read; tampering is in the report.
func (j *Journal) Verify(ctx context.Context, opts VerifyOptions) (Report, error) {
	rep := Report{Origin: opts.Origin, Findings: []Finding{}}
	roots, latest, err := j.verifyCheckpoints(ctx, opts, &rep)
	if err != nil {
		return rep, err
	}
	var total uint64
	if err := j.db.Conn(ctx).Raw("SELECT COUNT(*) FROM audit_leaves").Scan(&total).Error; err != nil {
		return rep, fmt.Errorf("audit: count leaves: %w", err)
	}
	tree := rangeFactory.NewEmptyRange(0)
	goodSize := uint64(0) // size of the last checkpoint whose root matched
	for {
		n, err := j.verifyLeaves(ctx, tree, roots, &goodSize, &rep)
		if err != nil {
			return rep, err
		}
		if opts.Progress != nil {
			opts.Progress(tree.End(), total)
		}
		if n < verifyPage {
			break
		}
	}
	rep.TreeSize = tree.End()
	if root, _ := tree.GetRootHash(nil); root != nil {
		rep.RootHash = base64.StdEncoding.EncodeToString(root)
	}
	if latest.Size > tree.End() {
		rep.add(Finding{LeafIndex: int64(tree.End()), Problem: fmt.Sprintf(
			"the tree stops at %d leaves, but a checkpoint signed %d: leaves were deleted", tree.End(), latest.Size)})
	}
	if err := j.verifyNothingBehind(ctx, latest, &rep); err != nil {
		return rep, err
	}
	return rep, nil
}

// verifyCheckpoints checks every stored checkpoint's signature and body and
// returns the signed root of each size, and the latest checkpoint.
func (j *Journal) verifyCheckpoints(ctx context.Context, opts VerifyOptions, rep *Report) (map[uint64][]byte, StoredCheckpoint, error) {
	var rows []checkpointRow
	if err := j.db.Conn(ctx).Order("id").Find(&rows).Error; err != nil {
		return nil, StoredCheckpoint{}, fmt.Errorf("audit: read checkpoints: %w", err)
	}
	roots := map[uint64][]byte{}
	firstOfSize := map[uint64]int64{}
	var latest StoredCheckpoint
	for _, r := range rows {
		rep.Checkpoints++
		c, err := ParseCheckpoint([]byte(r.Note), opts.Origin, opts.Verifiers)
		if err != nil {
			rep.add(Finding{LeafIndex: -1, Problem: fmt.Sprintf("checkpoint %d: %v", r.ID, err)})
			continue
		}
		if c.Size != uint64(r.TreeSize) || !bytes.Equal(c.Root, r.RootHash) {
			rep.add(Finding{LeafIndex: -1, Problem: fmt.Sprintf(
				"checkpoint %d: its columns (size %d) differ from what it signs (size %d)", r.ID, r.TreeSize, c.Size)})
		}
		if prev, ok := roots[c.Size]; ok && !bytes.Equal(prev, c.Root) {
			rep.add(Finding{LeafIndex: -1, Problem: fmt.Sprintf(
				"fork: checkpoints %d and %d both sign a tree of size %d, with different roots", firstOfSize[c.Size], r.ID, c.Size)})
			continue
		}
		if c.Size < latest.Size {
			rep.add(Finding{LeafIndex: -1, Problem: fmt.Sprintf(
				"checkpoint %d signs size %d, smaller than an earlier checkpoint's %d", r.ID, c.Size, latest.Size)})
		}
		if _, ok := roots[c.Size]; !ok {
			roots[c.Size], firstOfSize[c.Size] = c.Root, r.ID
		}
		if c.Size >= latest.Size {
			latest = r.stored()
			latest.Size, latest.Root = c.Size, c.Root
		}
	}
	return roots, latest, nil
}

// verifyLeaves checks the next page of leaves and returns how many it read.
func (j *Journal) verifyLeaves(ctx context.Context, tree *compact.Range, roots map[uint64][]byte, goodSize *uint64, rep *Report) (int, error) {
	rows, err := j.db.Conn(ctx).Raw(`SELECT l.leaf_index, l.entry_id, l.leaf_hash, e.id, e.occurred_at, e.action, e.actor_kind,
		e.actor_id, e.organisation_id, e.usager_id, e.mandate_id, e.permission_id, e.procedure, e.client_id, e.request_id, e.details
		FROM audit_leaves l LEFT JOIN audit_entries e ON e.id = l.entry_id
		WHERE l.leaf_index >= ? ORDER BY l.leaf_index LIMIT ?`, tree.End(), verifyPage).Rows()
	if err != nil {
		return 0, fmt.Errorf("audit: read leaves: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var (
			index, entryID int64
			stored         []byte
			id             sql.NullInt64
			r              row
			occurred       sql.NullTime
			strs           [11]sql.NullString
		)
		if err := rows.Scan(&index, &entryID, &stored, &id, &occurred, &strs[0], &strs[1], &strs[2], &strs[3], &strs[4],
			&strs[5], &strs[6], &strs[7], &strs[8], &strs[9], &strs[10]); err != nil {
			return n, fmt.Errorf("audit: read leaf: %w", err)
		}
		n++
		if uint64(index) != tree.End() {
			rep.add(Finding{LeafIndex: int64(tree.End()), Problem: fmt.Sprintf(
				"leaves %d to %d are missing from audit_leaves", tree.End(), index-1)})
			// The tree cannot be recomputed past a hole: stop here.
			return 0, nil
		}
		h := stored
		if !id.Valid {
			rep.add(Finding{EntryID: entryID, LeafIndex: index, Problem: "the entry was deleted from audit_entries"})
		} else {
			r.ID, r.OccurredAt = id.Int64, occurred.Time
			r.Action, r.ActorKind, r.ActorID, r.OrganisationID = strs[0].String, strs[1].String, strs[2].String, strs[3].String
			r.UsagerID, r.MandateID, r.PermissionID, r.Procedure = strs[4].String, strs[5].String, strs[6].String, strs[7].String
			r.ClientID, r.RequestID, r.Details = strs[8].String, strs[9].String, strs[10].String
			e, _ := r.entry()
			h = Leaf(e).Hash()
			if !bytes.Equal(h, stored) {
				rep.add(Finding{EntryID: entryID, LeafIndex: index, Problem: fmt.Sprintf(
					"the entry differs from what was integrated: its leaf hash is %x, the tree holds %x", h, stored)})
			}
		}
		if err := tree.Append(h, nil); err != nil {
			return n, fmt.Errorf("audit: append leaf: %w", err)
		}
		if want, ok := roots[tree.End()]; ok {
			got, _ := tree.GetRootHash(nil)
			if !bytes.Equal(got, want) {
				rep.add(Finding{LeafIndex: int64(*goodSize), Problem: fmt.Sprintf(
					"the tree recomputed from the entries differs from the checkpoint of size %d: an entry among leaves %d to %d was changed, and its stored leaf hash with it",
					tree.End(), *goodSize, tree.End()-1)})
			} else {
				*goodSize = tree.End()
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("audit: read leaves: %w", err)
	}
	return n, nil
}

// verifyNothingBehind finds entries that are not in the tree although they
// precede the sequencer's position (inserted behind its back, for example
// with an old id or a forged xid) and counts the entries still pending.
func (j *Journal) verifyNothingBehind(ctx context.Context, latest StoredCheckpoint, rep *Report) error {
	behind := "e.id <= ?"
	args := []any{latest.lastEntryID}
	if j.db.Dialect == db.Postgres {
		behind = "(e.xid, e.id) <= (?, ?)"
		args = []any{latest.lastXID, latest.lastEntryID}
	}
	var ids []int64
	err := j.db.Conn(ctx).Raw("SELECT e.id FROM audit_entries e WHERE "+behind+
		" AND NOT EXISTS (SELECT 1 FROM audit_leaves l WHERE l.entry_id = e.id) ORDER BY e.id LIMIT 10", args...).
		Scan(&ids).Error
	if err != nil {
		return fmt.Errorf("audit: find entries outside the tree: %w", err)
	}
	for _, id := range ids {
		rep.add(Finding{EntryID: id, LeafIndex: -1, Problem: "the entry is not in the tree, though it precedes entries integrated before it: it was inserted behind the sequencer's back"})
	}
	var integrated, all int64
	if err := j.db.Conn(ctx).Raw("SELECT COUNT(*) FROM audit_leaves").Scan(&integrated).Error; err != nil {
		return fmt.Errorf("audit: count leaves: %w", err)
	}
	if err := j.db.Conn(ctx).Raw("SELECT COUNT(*) FROM audit_entries").Scan(&all).Error; err != nil {
		return fmt.Errorf("audit: count entries: %w", err)
	}
	if p := all - integrated - int64(len(ids)); p > 0 {
		rep.Pending = p
	}
	return nil
}
