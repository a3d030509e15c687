package audit

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/transparency-dev/merkle/compact"
	"golang.org/x/mod/sumdb/note"

	"procura/db"
)

// sequencerLockID is the PostgreSQL advisory lock held by the instance that
// integrates, for the length of one batch's transaction.
const sequencerLockID = 7_301_009

// DefaultBatch is how many entries one integration transaction takes at
// most; a backlog is integrated in several.
const DefaultBatch = 2000

// SignerFunc returns the signer of the next checkpoint. The keyring's
// journal key is rotatable, so it is asked again at every batch.
type SignerFunc func(ctx context.Context) (note.Signer, error)

// Sequencer integrates committed entries into the tree and signs a
// checkpoint after each batch. Several may run (one per instance): the
// advisory lock lets one integrate at a time, and each batch starts from the
// latest stored checkpoint, so a sequencer killed mid-batch leaves nothing
// behind (its transaction rolls back) and the next one continues.
type Sequencer struct {
	journal *Journal
	origin  string
	signer  SignerFunc
	batch   int

	// mu guards the tree cached from the previous batch; it is used only if
	// it is still the tree of the latest checkpoint.
	mu     sync.Mutex
	cached *compact.Range
	root   []byte
}

// NewSequencer returns the sequencer of j's tree, whose checkpoints name the
// log origin (for example "procura.example.fr/journal") and are signed by
// signer.
func NewSequencer(j *Journal, origin string, signer SignerFunc) *Sequencer {
	return &Sequencer{journal: j, origin: origin, signer: signer, batch: DefaultBatch}
}

// Origin is the log's name in its checkpoints.
func (s *Sequencer) Origin() string { return s.origin }

// Run integrates every interval until ctx ends. Errors are logged and tried
// again at the next tick: entries stay safe in audit_entries meanwhile.
func (s *Sequencer) Run(ctx context.Context, interval time.Duration, logger *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.Integrate(ctx); err != nil && ctx.Err() == nil {
				logger.Error("audit: integrate journal entries", "err", err)
			}
		}
	}
}

// Integrate integrates the committed entries not yet in the tree, in
// batches, and returns how many it integrated. It returns 0 at once when
// another instance holds the sequencer lock.
func (s *Sequencer) Integrate(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.integrateBatch(ctx)
		total += n
		if err != nil || n < s.batch {
			return total, err
		}
	}
}

// pendingRow is an entry with its sequencing position.
// (GORM does not scan into an embedded unexported struct: the columns are
// listed again.)
type pendingRow struct {
	ID             int64
	OccurredAt     time.Time
	Action         string
	ActorKind      string
	ActorID        string
	OrganisationID string
	UsagerID       string
	MandateID      string
	PermissionID   string
	Procedure      string
	ClientID       string
	RequestID      string
	Details        string
	XID            int64 `gorm:"column:xid"`
}

func (p pendingRow) entry() (Entry, error) {
	return row{ID: p.ID, OccurredAt: p.OccurredAt, Action: p.Action, ActorKind: p.ActorKind, ActorID: p.ActorID,
		OrganisationID: p.OrganisationID, UsagerID: p.UsagerID, MandateID: p.MandateID, PermissionID: p.PermissionID,
		Procedure: p.Procedure, ClientID: p.ClientID, RequestID: p.RequestID, Details: p.Details}.entry()
}

func (s *Sequencer) integrateBatch(ctx context.Context) (int, error) {
	j := s.journal
	var (
		n       int
		newTree *compact.Range
		newRoot []byte
	)
	err := j.db.InTx(ctx, func(ctx context.Context) error {
		if locked, err := s.lock(ctx); err != nil || !locked {
			return err
		}
		latest, err := j.LatestCheckpoint(ctx)
		if err != nil && !errors.Is(err, ErrNoCheckpoint) {
			return err
		}
		rows, err := s.pending(ctx, latest)
		if err != nil || len(rows) == 0 {
			return err
		}
		tree, err := s.treeOf(ctx, latest)
		if err != nil {
			return err
		}
		leaves := make([]leafRow, 0, len(rows))
		var nodes []nodeRow
		visit := func(id compact.NodeID, hash []byte) {
			if id.Level > 0 {
				nodes = append(nodes, nodeRow{Level: int(id.Level), NodeIndex: int64(id.Index), Hash: hash})
			}
		}
		for _, r := range rows {
			e, err := r.entry()
			if err != nil {
				return err
			}
			h := Leaf(e).Hash()
			leaves = append(leaves, leafRow{LeafIndex: int64(tree.End()), EntryID: r.ID, LeafHash: h})
			if err := tree.Append(h, visit); err != nil {
				return fmt.Errorf("audit: append leaf: %w", err)
			}
		}
		root, err := tree.GetRootHash(nil)
		if err != nil {
			return fmt.Errorf("audit: root: %w", err)
		}
		if err := s.storeTree(ctx, leaves, nodes); err != nil {
			return err
		}
		last := rows[len(rows)-1]
		if err := s.storeCheckpoint(ctx, tree.End(), root, last.XID, last.ID); err != nil {
			return err
		}
		n, newTree, newRoot = len(rows), tree, root
		return nil
	})
	if err != nil {
		return 0, err
	}
	if newTree != nil {
		s.mu.Lock()
		s.cached, s.root = newTree, newRoot
		s.mu.Unlock()
	}
	return n, nil
}

// lock takes the sequencer lock until the transaction ends; false when
// another instance holds it. SQLite needs none: one process writes.
func (s *Sequencer) lock(ctx context.Context) (bool, error) {
	if s.journal.db.Dialect != db.Postgres {
		return true, nil
	}
	var locked bool
	if err := s.journal.db.Conn(ctx).Raw("SELECT pg_try_advisory_xact_lock(?)", sequencerLockID).Scan(&locked).Error; err != nil {
		return false, fmt.Errorf("audit: sequencer lock: %w", err)
	}
	return locked, nil
}

const pendingColumns = `id, occurred_at, action, actor_kind, actor_id, organisation_id, usager_id, mandate_id,
	permission_id, procedure, client_id, request_id, details`

// pending returns the next entries to integrate, in tree order, after the
// position of the latest checkpoint. See doc.go for why this order and this
// horizon never skip an entry nor take one twice.
func (s *Sequencer) pending(ctx context.Context, latest StoredCheckpoint) ([]pendingRow, error) {
	conn := s.journal.db.Conn(ctx)
	var rows []pendingRow
	if s.journal.db.Dialect != db.Postgres {
		err := conn.Raw("SELECT "+pendingColumns+", 0 AS xid FROM audit_entries WHERE id > ? ORDER BY id LIMIT ?",
			latest.lastEntryID, s.batch).Scan(&rows).Error
		if err != nil {
			return nil, fmt.Errorf("audit: read entries to integrate: %w", err)
		}
		return rows, nil
	}
	// Plans for the actual positions: a generic plan of the first query
	// below scans the primary key from lastEntryID on, filtering on xid
	// (the whole journal after it, 2.4 s at 10 M entries), where the
	// BRIN index on xid reads one block range.
	if err := conn.Exec("SET LOCAL plan_cache_mode = force_custom_plan").Error; err != nil {
		return nil, fmt.Errorf("audit: sequencer plans: %w", err)
	}
	horizon, err := s.horizon(ctx)
	if err != nil {
		return nil, err
	}
	// The entries after (lastXID, lastEntryID) in (xid, id) order, below
	// the horizon. First the rest of the last transaction integrated (the
	// primary key serves it in id order), then windows of transaction ids,
	// each twice as wide as the last, so that the BRIN index on xid reads
	// only the blocks of one window, and a backlog (after a long
	// transaction, or a migration) costs each batch a window, not the
	// whole backlog.
	err = conn.Raw("SELECT "+pendingColumns+", xid FROM audit_entries WHERE xid = ? AND id > ? ORDER BY id LIMIT ?",
		latest.lastXID, latest.lastEntryID, s.batch).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("audit: read entries to integrate: %w", err)
	}
	for lo, width := latest.lastXID, int64(xidWindow); len(rows) < s.batch && lo+1 < horizon; width *= 2 {
		hi := min(horizon, lo+width)
		var more []pendingRow
		err := conn.Raw("SELECT "+pendingColumns+", xid FROM audit_entries WHERE xid > ? AND xid < ? ORDER BY xid, id LIMIT ?",
			lo, hi, s.batch-len(rows)).Scan(&more).Error
		if err != nil {
			return nil, fmt.Errorf("audit: read entries to integrate: %w", err)
		}
		rows = append(rows, more...)
		lo = hi - 1 // the next window starts at hi
	}
	return rows, nil
}

// horizon returns a transaction id below which every transaction that
// could write this database's journal has ended (doc.go): the xmax of a
// snapshot, or the oldest transaction that snapshot saw running and that
// still runs in this database. Transactions of other databases of the
// cluster cannot write this journal, so they hold nothing back. Two
// statements, in this order: a transaction seen running by the snapshot
// and found ended by the second statement ended before the entries are
// read, so its entries are visible to that read; one that began after the
// snapshot has an id at or above its xmax.
func (s *Sequencer) horizon(ctx context.Context) (int64, error) {
	conn := s.journal.db.Conn(ctx)
	var snapshot string
	if err := conn.Raw("SELECT pg_current_snapshot()::text").Row().Scan(&snapshot); err != nil {
		return 0, fmt.Errorf("audit: snapshot horizon: %w", err)
	}
	xmax, running, err := parseSnapshot(snapshot)
	if err != nil || len(running) == 0 {
		return xmax, err
	}
	// A lock whose holder's database is unknown (a prepared transaction, a
	// backend gone from pg_stat_activity) counts as this database's.
	var oldest sql.NullInt64
	err = conn.Raw(`SELECT min(x::text::bigint) FROM unnest(?::xid8[]) x
		WHERE EXISTS (SELECT 1 FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
			WHERE l.locktype = 'transactionid' AND l.transactionid = xid(x)
				AND (a.datid IS NULL OR a.datid = (SELECT oid FROM pg_database WHERE datname = current_database())))`,
		"{"+strings.Join(running, ",")+"}").Row().Scan(&oldest)
	if err != nil {
		return 0, fmt.Errorf("audit: running transactions: %w", err)
	}
	if oldest.Valid && oldest.Int64 < xmax {
		return oldest.Int64, nil
	}
	return xmax, nil
}

// parseSnapshot reads pg_current_snapshot()'s text form, xmin:xmax:xip,…,
// into its xmax and the ids it saw running.
func parseSnapshot(text string) (xmax int64, running []string, err error) {
	parts := strings.Split(text, ":")
	if len(parts) != 3 {
		return 0, nil, fmt.Errorf("audit: snapshot %q", text)
	}
	if xmax, err = strconv.ParseInt(parts[1], 10, 64); err != nil {
		return 0, nil, fmt.Errorf("audit: snapshot %q: %w", text, err)
	}
	if parts[2] == "" {
		return xmax, nil, nil
	}
	running = strings.Split(parts[2], ",")
	for _, x := range running {
		if _, err := strconv.ParseInt(x, 10, 64); err != nil {
			return 0, nil, fmt.Errorf("audit: snapshot %q: %w", text, err)
		}
	}
	return xmax, running, nil
}

// xidWindow is the first window of transaction ids a batch looks in.
const xidWindow = 8192

// treeOf returns the compact range of the tree of latest, to append to:
// the one kept from the previous batch when latest is still its checkpoint,
// else read from the stored nodes and checked against latest's root.
func (s *Sequencer) treeOf(ctx context.Context, latest StoredCheckpoint) (*compact.Range, error) {
	if latest.Size == 0 {
		return rangeFactory.NewEmptyRange(0), nil
	}
	s.mu.Lock()
	cached, root := s.cached, s.root
	s.mu.Unlock()
	if cached != nil && cached.End() == latest.Size && bytes.Equal(root, latest.Root) {
		return rangeFactory.NewRange(0, cached.End(), append([][]byte(nil), cached.Hashes()...))
	}
	tree, err := s.journal.compactRange(ctx, latest.Size)
	if err != nil {
		return nil, err
	}
	got, err := tree.GetRootHash(nil)
	if err != nil {
		return nil, fmt.Errorf("audit: root: %w", err)
	}
	if !bytes.Equal(got, latest.Root) {
		// Refuse to extend a tree that is not the one signed: the stored
		// nodes were changed. `procura audit verify` says where.
		return nil, fmt.Errorf("audit: stored tree of size %d does not match its checkpoint: run `procura audit verify`", latest.Size)
	}
	return tree, nil
}

// storeCheckpoint signs and stores the checkpoint of the tree of size and
// root, with the sequencer's position after the last entry integrated.
func (s *Sequencer) storeCheckpoint(ctx context.Context, size uint64, root []byte, lastXID, lastEntryID int64) error {
	signer, err := s.signer(ctx)
	if err != nil {
		return fmt.Errorf("audit: checkpoint signer: %w", err)
	}
	signed, err := signCheckpoint(Checkpoint{Origin: s.origin, Size: size, Root: root}, signer)
	if err != nil {
		return err
	}
	r := checkpointRow{TreeSize: int64(size), RootHash: root, LastXID: lastXID, LastEntryID: lastEntryID,
		Note: signed, CreatedAt: s.journal.now().UTC()}
	if err := s.journal.db.Conn(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("audit: store checkpoint: %w", err)
	}
	return nil
}

// storeTree writes a batch's leaves and tree nodes. On PostgreSQL, one
// statement of fixed text per table, whatever the batch's size: multi-row
// VALUES would be a new statement for each size, and every connection's
// prepared-statement cache would keep hundreds of them (the server's live
// heap grew steadily in the soak test until this).
func (s *Sequencer) storeTree(ctx context.Context, leaves []leafRow, nodes []nodeRow) error {
	conn := s.journal.db.Conn(ctx)
	if s.journal.db.Dialect != db.Postgres {
		if err := conn.CreateInBatches(&leaves, 1000).Error; err != nil {
			return fmt.Errorf("audit: store leaves: %w", err)
		}
		if len(nodes) > 0 {
			if err := conn.CreateInBatches(&nodes, 1000).Error; err != nil {
				return fmt.Errorf("audit: store tree nodes: %w", err)
			}
		}
		return nil
	}
	indexes, entries, hashes := make(db.Int64Array, len(leaves)), make(db.Int64Array, len(leaves)), make(db.ByteaArray, len(leaves))
	for i, l := range leaves {
		indexes[i], entries[i], hashes[i] = l.LeafIndex, l.EntryID, l.LeafHash
	}
	if err := conn.Exec("INSERT INTO audit_leaves (leaf_index, entry_id, leaf_hash) SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::bytea[])",
		indexes, entries, hashes).Error; err != nil {
		return fmt.Errorf("audit: store leaves: %w", err)
	}
	if len(nodes) == 0 {
		return nil
	}
	levels, indexes, hashes := make(db.Int64Array, len(nodes)), make(db.Int64Array, len(nodes)), make(db.ByteaArray, len(nodes))
	for i, n := range nodes {
		levels[i], indexes[i], hashes[i] = int64(n.Level), n.NodeIndex, n.Hash
	}
	if err := conn.Exec("INSERT INTO audit_tree_nodes (level, node_index, hash) SELECT * FROM unnest(?::smallint[], ?::bigint[], ?::bytea[])",
		levels, indexes, hashes).Error; err != nil {
		return fmt.Errorf("audit: store tree nodes: %w", err)
	}
	return nil
}

type leafRow struct {
	LeafIndex int64 `gorm:"primaryKey;autoIncrement:false"`
	EntryID   int64
	LeafHash  []byte
}

func (leafRow) TableName() string { return "audit_leaves" }

type nodeRow struct {
	Level     int   `gorm:"primaryKey;autoIncrement:false"`
	NodeIndex int64 `gorm:"primaryKey;autoIncrement:false"`
	Hash      []byte
}

func (nodeRow) TableName() string { return "audit_tree_nodes" }

// Pending counts the entries recorded but not yet integrated.
func (j *Journal) Pending(ctx context.Context) (int64, error) {
	var n int64
	err := j.db.Conn(ctx).Raw("SELECT (SELECT COUNT(*) FROM audit_entries) - (SELECT COUNT(*) FROM audit_leaves)").Scan(&n).Error
	if err != nil {
		return 0, fmt.Errorf("audit: count pending entries: %w", err)
	}
	return n, nil
}
