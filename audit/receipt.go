package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/proof"
	"golang.org/x/mod/sumdb/note"

	"procura/db"
)

// ReceiptFormat names the receipt's JSON layout.
const ReceiptFormat = "procura-audit-receipt/v1"

// Receipt is the evidence that an entry is in the journal, checkable
// offline by anyone holding the journal's verifier key: the entry as the
// tree holds it, its leaf index, the RFC 6962 §2.1.1 inclusion proof (hashes
// in base64) and the signed checkpoint (C2SP tlog-checkpoint) of the tree
// the proof leads to.
type Receipt struct {
	Format     string    `json:"format"`
	Entry      LeafEntry `json:"entry"`
	LeafIndex  uint64    `json:"leaf_index"`
	TreeSize   uint64    `json:"tree_size"`
	Proof      [][]byte  `json:"inclusion_proof"`
	Checkpoint string    `json:"checkpoint"`
}

// Receipt returns the receipt of entry id against the latest checkpoint,
// or ErrNotIntegrated (db.ErrNotFound for an unknown entry).
func (j *Journal) Receipt(ctx context.Context, id int64) (Receipt, error) {
	var r row
	err := j.db.Conn(ctx).Where("id = ?", id).Take(&r).Error
	if err = db.NotFound(err); err != nil {
		return Receipt{}, fmt.Errorf("audit: entry %d: %w", id, err)
	}
	var index []int64
	if err := j.db.Conn(ctx).Raw("SELECT leaf_index FROM audit_leaves WHERE entry_id = ?", id).Scan(&index).Error; err != nil {
		return Receipt{}, fmt.Errorf("audit: leaf of entry %d: %w", id, err)
	}
	if len(index) == 0 {
		return Receipt{}, ErrNotIntegrated
	}
	cp, err := j.LatestCheckpoint(ctx)
	if err != nil {
		return Receipt{}, err
	}
	if uint64(index[0]) >= cp.Size {
		return Receipt{}, ErrNotIntegrated
	}
	p, err := j.InclusionProof(ctx, uint64(index[0]), cp.Size)
	if err != nil {
		return Receipt{}, err
	}
	e, err := r.entry()
	if err != nil {
		return Receipt{}, err
	}
	return Receipt{Format: ReceiptFormat, Entry: Leaf(e), LeafIndex: uint64(index[0]), TreeSize: cp.Size, Proof: p,
		Checkpoint: cp.Note}, nil
}

// maxReceipt bounds a receipt read from outside: an entry, 64 hashes and a
// checkpoint fit in a few kilobytes.
const maxReceipt = 64 << 10

// ErrBadReceipt is wrapped by every refusal of VerifyReceipt; ErrNotInTree
// too when the receipt is well formed and signed but its entry is not in
// the tree its checkpoint signs (the entry or the proof was changed).
var (
	ErrBadReceipt = errors.New("audit: receipt refused")
	ErrNotInTree  = errors.New("the entry is not in the tree the checkpoint signs")
)

// VerifyReceipt checks a receipt offline: its layout, its checkpoint's
// signature (one of verifiers) and origin, and that the entry's leaf is in
// the tree the checkpoint signs. It returns the receipt and its checkpoint.
func VerifyReceipt(data []byte, origin string, verifiers note.Verifiers) (Receipt, Checkpoint, error) {
	var r Receipt
	if len(data) > maxReceipt {
		return r, Checkpoint{}, fmt.Errorf("%w: larger than %d bytes", ErrBadReceipt, maxReceipt)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Receipt{}, Checkpoint{}, fmt.Errorf("%w: not a receipt: %w", ErrBadReceipt, err)
	}
	if dec.More() {
		return Receipt{}, Checkpoint{}, fmt.Errorf("%w: data after the receipt", ErrBadReceipt)
	}
	if r.Format != ReceiptFormat {
		return Receipt{}, Checkpoint{}, fmt.Errorf("%w: format %q, want %q", ErrBadReceipt, r.Format, ReceiptFormat)
	}
	if err := r.Entry.check(); err != nil {
		return Receipt{}, Checkpoint{}, fmt.Errorf("%w: %w", ErrBadReceipt, err)
	}
	if len(r.Proof) > 64 {
		return Receipt{}, Checkpoint{}, fmt.Errorf("%w: proof too long", ErrBadReceipt)
	}
	c, err := ParseCheckpoint([]byte(r.Checkpoint), origin, verifiers)
	if err != nil {
		return Receipt{}, Checkpoint{}, fmt.Errorf("%w: %w", ErrBadReceipt, err)
	}
	if c.Size != r.TreeSize {
		return Receipt{}, Checkpoint{}, fmt.Errorf("%w: tree size %d, but the checkpoint signs %d", ErrBadReceipt, r.TreeSize, c.Size)
	}
	if err := proof.VerifyInclusion(hasher, r.LeafIndex, r.TreeSize, r.Entry.Hash(), r.Proof, c.Root); err != nil {
		return Receipt{}, Checkpoint{}, fmt.Errorf("%w: %w: %w", ErrBadReceipt, ErrNotInTree, err)
	}
	return r, c, nil
}

// ErrFork is returned by CheckConsistent when a checkpoint signed by the
// journal's key is not a prefix of the journal's current tree: the log
// showed two different histories.
var ErrFork = errors.New("audit: the checkpoint is not consistent with the journal's latest: fork")

// CheckConsistent checks that c, a checkpoint already verified (a
// receipt's, a witness's), is a prefix of the journal's latest tree, with an
// RFC 6962 §2.1.2 consistency proof.
func (j *Journal) CheckConsistent(ctx context.Context, c Checkpoint) error {
	latest, err := j.LatestCheckpoint(ctx)
	if err != nil {
		return err
	}
	if c.Size > latest.Size {
		return fmt.Errorf("%w: it signs %d entries, the journal only %d", ErrFork, c.Size, latest.Size)
	}
	p, err := j.ConsistencyProof(ctx, c.Size, latest.Size)
	if err != nil {
		return err
	}
	if err := proof.VerifyConsistency(hasher, c.Size, latest.Size, p, c.Root, latest.Root); err != nil {
		return fmt.Errorf("%w: %w", ErrFork, err)
	}
	return nil
}
