package audit

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/transparency-dev/merkle/compact"
	"golang.org/x/mod/sumdb/note"

	"procura/db"
)

// VerifyOptions says what Verify trusts: the log's origin and the verifier
// keys of its checkpoints. Progress, if set, is called as leaves are checked.
type VerifyOptions struct {
	Origin    string
	Verifiers note.Verifiers
	// Held are checkpoints kept outside Procura (by a usager, a manager,
	// an auditor), already verified with ParseCheckpoint: the journal must
	// extend each. They reveal a history rewritten and re-signed by
	// someone holding the database and the signing key.
	Held     []Checkpoint
	Progress func(done, total uint64)
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
// missing; no entry added behind the sequencer's position; every stored
// interior node of the tree (what inclusion and consistency proofs are
// built from) equal to the one recomputed. An error is
// returned only when the store cannot be read; tampering is in the report.
func (j *Journal) Verify(ctx context.Context, opts VerifyOptions) (Report, error) {
	rep := Report{Origin: opts.Origin, Findings: []Finding{}}
	roots, latest, err := j.verifyCheckpoints(ctx, opts, &rep)
	if err != nil {
		return rep, err
	}
	held := map[uint64][]byte{}
	for _, c := range opts.Held {
		if stored, ok := roots[c.Size]; ok && !bytes.Equal(stored, c.Root) {
			rep.add(Finding{LeafIndex: -1, Problem: fmt.Sprintf(
				"fork: a checkpoint held outside signs a tree of %d entries whose root differs from the stored checkpoint's", c.Size)})
		}
		held[c.Size] = c.Root
	}
	var total uint64
	if err := j.db.Conn(ctx).Raw("SELECT COUNT(*) FROM audit_leaves").Scan(&total).Error; err != nil {
		return rep, fmt.Errorf("audit: count leaves: %w", err)
	}
	tree := rangeFactory.NewEmptyRange(0)
	goodSize := uint64(0) // size of the last checkpoint whose root matched
	// One goroutine reads the next page while this one hashes the last.
	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	pages := make(chan leafPage, 1)
	go j.readLeaves(readCtx, pages)
	for page := range pages {
		if page.err != nil {
			return rep, page.err
		}
		if !checkLeaves(page, tree, roots, held, &goodSize, &rep) {
			break // a hole: the tree cannot be recomputed past it
		}
		if opts.Progress != nil {
			opts.Progress(tree.End(), total)
		}
	}
	stopReading()
	rep.TreeSize = tree.End()
	if root, _ := tree.GetRootHash(nil); root != nil {
		rep.RootHash = base64.StdEncoding.EncodeToString(root)
	}
	for _, c := range opts.Held {
		if c.Size > tree.End() {
			rep.add(Finding{LeafIndex: int64(tree.End()), Problem: fmt.Sprintf(
				"a checkpoint held outside signs %d entries, the journal has %d: entries were removed", c.Size, tree.End())})
		}
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

// storedLeaf is a leaf as stored, with its entry (present false when the
// entry's row is gone).
type storedLeaf struct {
	index, entryID int64
	hash           []byte
	present        bool
	entry          row
}

type leafPage struct {
	leaves []storedLeaf
	nodes  pageNodes
	err    error
}

// pageNodes are the stored interior nodes that a page's leaves complete:
// at each level, a run of consecutive node indexes (node (level, i) covers
// leaves i·2^level to (i+1)·2^level − 1 and is complete with the last).
type pageNodes struct {
	first  map[uint]uint64   // level → first node index completed by the page
	hashes map[uint][][]byte // level → stored hashes from first on (nil: missing)
}

// nodeRuns returns, per level, the indexes of the interior nodes completed
// by leaves from to to+n−1.
func nodeRuns(from, n uint64) map[uint][2]uint64 {
	runs := map[uint][2]uint64{}
	end := from + n // leaves [from, end)
	for level := uint(1); level < 64 && uint64(1)<<level <= end; level++ {
		width := uint64(1) << level
		lo := (from+1+width-1)/width - 1 // (lo+1)·width − 1 ≥ from
		hi := end/width - 1              // (hi+1)·width − 1 ≤ end − 1
		if lo <= hi {
			runs[level] = [2]uint64{lo, hi}
		}
	}
	return runs
}

func (p pageNodes) get(id compact.NodeID) []byte {
	hs := p.hashes[id.Level]
	if first, ok := p.first[id.Level]; ok && id.Index >= first && id.Index-first < uint64(len(hs)) {
		return hs[id.Index-first]
	}
	return nil
}

// readNodePage reads the stored interior nodes completed by leaves from to
// from+n−1: one query for every level.
func (j *Journal) readNodePage(ctx context.Context, from, n uint64) (pageNodes, error) {
	p := pageNodes{first: map[uint]uint64{}, hashes: map[uint][][]byte{}}
	runs := nodeRuns(from, n)
	if len(runs) == 0 {
		return p, nil
	}
	var conds []string
	var args []any
	for level, run := range runs {
		conds = append(conds, "(level = ? AND node_index BETWEEN ? AND ?)")
		args = append(args, level, run[0], run[1])
		p.first[level] = run[0]
		p.hashes[level] = make([][]byte, run[1]-run[0]+1)
	}
	var rows []struct {
		Level     uint
		NodeIndex uint64
		Hash      []byte
	}
	if err := j.db.Conn(ctx).Raw("SELECT level, node_index, hash FROM audit_tree_nodes WHERE "+strings.Join(conds, " OR "), args...).
		Find(&rows).Error; err != nil {
		return p, fmt.Errorf("audit: read tree nodes: %w", err)
	}
	for _, r := range rows {
		p.hashes[r.Level][r.NodeIndex-p.first[r.Level]] = r.Hash
	}
	return p, nil
}

// readLeaves sends the leaves, with their entries, page by page in leaf
// order, then closes pages.
func (j *Journal) readLeaves(ctx context.Context, pages chan<- leafPage) {
	defer close(pages)
	from := int64(0)
	for {
		leaves, err := j.readLeafPage(ctx, from)
		var nodes pageNodes
		if err == nil && len(leaves) > 0 {
			first := uint64(leaves[0].index)
			nodes, err = j.readNodePage(ctx, first, uint64(leaves[len(leaves)-1].index)+1-first)
		}
		select {
		case pages <- leafPage{leaves: leaves, nodes: nodes, err: err}:
		case <-ctx.Done():
			return
		}
		if err != nil || len(leaves) < verifyPage {
			return
		}
		from = leaves[len(leaves)-1].index + 1
	}
}

func (j *Journal) readLeafPage(ctx context.Context, from int64) ([]storedLeaf, error) {
	rows, err := j.db.Conn(ctx).Raw(`SELECT l.leaf_index, l.entry_id, l.leaf_hash, e.id IS NOT NULL, e.occurred_at,
		COALESCE(e.action, ''), COALESCE(e.actor_kind, ''), COALESCE(e.actor_id, ''), COALESCE(e.organisation_id, ''),
		COALESCE(e.usager_id, ''), COALESCE(e.mandate_id, ''), COALESCE(e.permission_id, ''), COALESCE(e.procedure, ''),
		COALESCE(e.client_id, ''), COALESCE(e.request_id, ''), COALESCE(e.details, '{}')
		FROM audit_leaves l LEFT JOIN audit_entries e ON e.id = l.entry_id
		WHERE l.leaf_index >= ? ORDER BY l.leaf_index LIMIT ?`, from, verifyPage).Rows()
	if err != nil {
		return nil, fmt.Errorf("audit: read leaves: %w", err)
	}
	defer rows.Close()
	leaves := make([]storedLeaf, 0, verifyPage)
	for rows.Next() {
		var l storedLeaf
		var occurred sql.NullTime // a column of its own keeps its type on SQLite
		r := &l.entry
		if err := rows.Scan(&l.index, &l.entryID, &l.hash, &l.present, &occurred, &r.Action, &r.ActorKind, &r.ActorID,
			&r.OrganisationID, &r.UsagerID, &r.MandateID, &r.PermissionID, &r.Procedure, &r.ClientID, &r.RequestID, &r.Details); err != nil {
			return nil, fmt.Errorf("audit: read leaf: %w", err)
		}
		r.ID, r.OccurredAt = l.entryID, occurred.Time
		leaves = append(leaves, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: read leaves: %w", err)
	}
	return leaves, nil
}

// checkLeaves recomputes leaves and appends them to tree, checking the
// root at every checkpoint's size. It returns false at a hole in the
// leaves, past which nothing can be recomputed.
func checkLeaves(page leafPage, tree *compact.Range, roots, held map[uint64][]byte, goodSize *uint64, rep *Report) bool {
	// Each interior node the recomputed tree completes is compared with the
	// stored one. The first leaf's hash, as recomputed, is known only to the
	// loop below: the stored leaf hash is checked there.
	checkNode := func(id compact.NodeID, hash []byte) {
		if id.Level == 0 {
			return
		}
		first, last := id.Index<<id.Level, (id.Index+1)<<id.Level-1
		switch stored := page.nodes.get(id); {
		case stored == nil:
			rep.add(Finding{LeafIndex: int64(first), Problem: fmt.Sprintf(
				"tree node (level %d, index %d), over leaves %d to %d, is missing from audit_tree_nodes: proofs through it cannot be served",
				id.Level, id.Index, first, last)})
		case !bytes.Equal(stored, hash):
			rep.add(Finding{LeafIndex: int64(first), Problem: fmt.Sprintf(
				"tree node (level %d, index %d), over leaves %d to %d, differs from the one recomputed from the entries: the node, or an entry among those leaves with its stored leaf hash, was changed",
				id.Level, id.Index, first, last)})
		}
	}
	for _, l := range page.leaves {
		if uint64(l.index) != tree.End() {
			rep.add(Finding{LeafIndex: int64(tree.End()), Problem: fmt.Sprintf(
				"leaves %d to %d are missing from audit_leaves", tree.End(), l.index-1)})
			return false
		}
		h := l.hash
		if !l.present {
			rep.add(Finding{EntryID: l.entryID, LeafIndex: l.index, Problem: "the entry was deleted from audit_entries"})
		} else {
			e, _ := l.entry.entry()
			h = Leaf(e).Hash()
			if !bytes.Equal(h, l.hash) {
				rep.add(Finding{EntryID: l.entryID, LeafIndex: l.index, Problem: fmt.Sprintf(
					"the entry differs from what was integrated: its leaf hash is %x, the tree holds %x", h, l.hash)})
			}
		}
		if err := tree.Append(h, checkNode); err != nil {
			rep.add(Finding{EntryID: l.entryID, LeafIndex: l.index, Problem: fmt.Sprintf("stored leaf hash unusable: %v", err)})
			return false
		}
		if want, ok := held[tree.End()]; ok {
			if got, _ := tree.GetRootHash(nil); !bytes.Equal(got, want) {
				rep.add(Finding{LeafIndex: -1, Problem: fmt.Sprintf(
					"fork: the entries give a tree of %d entries whose root differs from a checkpoint held outside: the journal was rewritten (and re-signed)",
					tree.End())})
			}
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
	return true
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
