package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// hasher is RFC 6962's, SHA-256.
var hasher = rfc6962.DefaultHasher

// rangeFactory builds compact ranges with the RFC 6962 hasher.
var rangeFactory = &compact.RangeFactory{Hash: hasher.HashChildren}

// ErrNotIntegrated is returned for an entry that is not (yet) a leaf of
// the tree: the sequencer integrates committed entries within a second.
var ErrNotIntegrated = errors.New("audit: entry not yet integrated in the tree")

// ErrNoCheckpoint is returned before the sequencer wrote its first checkpoint.
var ErrNoCheckpoint = errors.New("audit: no checkpoint yet")

// nodeHashes returns the stored hashes of the perfect subtrees ids, in
// order: level 0 from audit_leaves, the others from audit_tree_nodes.
func (j *Journal) nodeHashes(ctx context.Context, ids []compact.NodeID) ([][]byte, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	type key struct {
		level uint
		index uint64
	}
	found := make(map[key][]byte, len(ids))
	var leafIdx []uint64
	var conds []string
	var args []any
	for _, id := range ids {
		if id.Level == 0 {
			leafIdx = append(leafIdx, id.Index)
			continue
		}
		conds = append(conds, "(level = ? AND node_index = ?)")
		args = append(args, id.Level, id.Index)
	}
	if len(leafIdx) > 0 {
		var rows []struct {
			LeafIndex uint64
			LeafHash  []byte
		}
		if err := j.db.Conn(ctx).Raw("SELECT leaf_index, leaf_hash FROM audit_leaves WHERE leaf_index IN ?", leafIdx).
			Scan(&rows).Error; err != nil {
			return nil, fmt.Errorf("audit: read leaves: %w", err)
		}
		for _, r := range rows {
			found[key{0, r.LeafIndex}] = r.LeafHash
		}
	}
	if len(conds) > 0 {
		var rows []struct {
			Level     uint
			NodeIndex uint64
			Hash      []byte
		}
		q := "SELECT level, node_index, hash FROM audit_tree_nodes WHERE " + strings.Join(conds, " OR ")
		if err := j.db.Conn(ctx).Raw(q, args...).Scan(&rows).Error; err != nil {
			return nil, fmt.Errorf("audit: read tree nodes: %w", err)
		}
		for _, r := range rows {
			found[key{r.Level, r.NodeIndex}] = r.Hash
		}
	}
	hashes := make([][]byte, len(ids))
	for i, id := range ids {
		h, ok := found[key{id.Level, id.Index}]
		if !ok {
			return nil, fmt.Errorf("audit: tree node (%d, %d) missing", id.Level, id.Index)
		}
		hashes[i] = h
	}
	return hashes, nil
}

// compactRange returns the compact range [0, size) of the stored tree.
func (j *Journal) compactRange(ctx context.Context, size uint64) (*compact.Range, error) {
	ids := compact.RangeNodes(0, size, nil)
	hashes, err := j.nodeHashes(ctx, ids)
	if err != nil {
		return nil, err
	}
	return rangeFactory.NewRange(0, size, hashes)
}

// InclusionProof returns the RFC 6962 §2.1.1 inclusion proof of leaf index
// in the tree of size size.
func (j *Journal) InclusionProof(ctx context.Context, index, size uint64) ([][]byte, error) {
	nodes, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return j.rehash(ctx, nodes)
}

// ConsistencyProof returns the RFC 6962 §2.1.2 consistency proof between
// the trees of sizes size1 <= size2.
func (j *Journal) ConsistencyProof(ctx context.Context, size1, size2 uint64) ([][]byte, error) {
	nodes, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return j.rehash(ctx, nodes)
}

func (j *Journal) rehash(ctx context.Context, nodes proof.Nodes) ([][]byte, error) {
	hashes, err := j.nodeHashes(ctx, nodes.IDs)
	if err != nil {
		return nil, err
	}
	p, err := nodes.Rehash(hashes, hasher.HashChildren)
	if err != nil {
		return nil, fmt.Errorf("audit: proof: %w", err)
	}
	return p, nil
}
