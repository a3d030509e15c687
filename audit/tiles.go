package audit

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// TileWidth is the number of hashes in a full tile and of entries in a full
// entry bundle (C2SP tlog-tiles).
const TileWidth = 256

// TilesHandler serves the journal read-only in the C2SP tlog-tiles layout,
// relative to where it is mounted (strip the prefix, e.g. "/journal"):
//
//	/checkpoint                       the latest signed checkpoint
//	/tile/<L>/<N>[.p/<W>]             hash tiles: 256 (or W) hashes of level 8·L
//	/tile/entries/<N>[.p/<W>]         entry bundles: leaf data, each with a 2-byte length
//
// N is written in groups of three digits, all but the last prefixed with
// "x" (1234067 → x001/x234/067). Tiles and bundles, full or partial, never
// change once they exist, so they are served as immutable; the checkpoint
// changes every time entries are integrated.
func TilesHandler(j *Journal) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Access-Control-Allow-Origin", "*")
		if r.URL.Path == "/checkpoint" {
			j.serveCheckpoint(w, r)
			return
		}
		rest, ok := strings.CutPrefix(r.URL.Path, "/tile/")
		if !ok {
			http.NotFound(w, r)
			return
		}
		t, err := parseTilePath(rest)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		body, err := j.tile(r.Context(), t)
		switch {
		case errors.Is(err, errNoTile):
			http.NotFound(w, r)
			return
		case err != nil:
			http.Error(w, "the journal cannot be read now", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		w.Write(body)
	})
}

func (j *Journal) serveCheckpoint(w http.ResponseWriter, r *http.Request) {
	cp, err := j.LatestCheckpoint(r.Context())
	switch {
	case errors.Is(err, ErrNoCheckpoint):
		http.NotFound(w, r)
		return
	case err != nil:
		http.Error(w, "the journal cannot be read now", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write([]byte(cp.Note))
}

// tileRef names a hash tile (level >= 0) or an entry bundle (entries), of
// width 1..TileWidth.
type tileRef struct {
	entries bool
	level   int
	index   uint64
	width   int
}

// parseTilePath reads "<L>/<N>[.p/<W>]" or "entries/<N>[.p/<W>]", accepting
// only the canonical encoding.
func parseTilePath(p string) (tileRef, error) {
	bad := errors.New("audit: not a tile path")
	segs := strings.Split(p, "/")
	if len(segs) < 2 {
		return tileRef{}, bad
	}
	var t tileRef
	if segs[0] == "entries" {
		t.entries = true
	} else {
		l, err := strconv.Atoi(segs[0])
		if err != nil || l < 0 || l > 63 || strconv.Itoa(l) != segs[0] {
			return tileRef{}, bad
		}
		t.level = l
	}
	rest := segs[1:]
	t.width = TileWidth
	if n := len(rest); n >= 2 && strings.HasSuffix(rest[n-2], ".p") {
		w, err := strconv.Atoi(rest[n-1])
		if err != nil || w < 1 || w >= TileWidth || strconv.Itoa(w) != rest[n-1] {
			return tileRef{}, bad
		}
		t.width = w
		rest = append(rest[:n-2:n-2], strings.TrimSuffix(rest[n-2], ".p"))
	}
	if len(rest) > 7 { // 2^64 has 20 digits
		return tileRef{}, bad
	}
	for _, s := range rest {
		digits := strings.TrimPrefix(s, "x")
		if len(digits) != 3 || strings.Trim(digits, "0123456789") != "" {
			return tileRef{}, bad
		}
		d, _ := strconv.ParseUint(digits, 10, 64)
		if t.index > (1<<64-1-d)/1000 {
			return tileRef{}, bad
		}
		t.index = t.index*1000 + d
	}
	if tilePath(t) != p {
		return tileRef{}, bad
	}
	return t, nil
}

// tilePath is the canonical path of t, without "tile/".
func tilePath(t tileRef) string {
	n := fmt.Sprintf("%03d", t.index%1000)
	for i := t.index / 1000; i > 0; i /= 1000 {
		n = fmt.Sprintf("x%03d/", i%1000) + n
	}
	head := "entries"
	if !t.entries {
		head = strconv.Itoa(t.level)
	}
	p := head + "/" + n
	if t.width < TileWidth {
		p += ".p/" + strconv.Itoa(t.width)
	}
	return p
}

var errNoTile = errors.New("audit: no such tile")

// tile returns the content of t, if the latest checkpoint's tree holds it.
func (j *Journal) tile(ctx context.Context, t tileRef) ([]byte, error) {
	cp, err := j.LatestCheckpoint(ctx)
	if errors.Is(err, ErrNoCheckpoint) {
		return nil, errNoTile
	} else if err != nil {
		return nil, err
	}
	level := uint(8 * t.level)
	if t.entries {
		level = 0
	}
	available := cp.Size >> level // nodes of that level in the tree
	first := t.index * TileWidth
	if first >= available || available-first < uint64(t.width) {
		return nil, errNoTile
	}
	if t.entries {
		return j.entryBundle(ctx, first, t.width)
	}
	return j.hashTile(ctx, level, first, t.width)
}

func (j *Journal) hashTile(ctx context.Context, level uint, first uint64, width int) ([]byte, error) {
	var hashes [][]byte
	var err error
	if level == 0 {
		err = j.db.Conn(ctx).Raw("SELECT leaf_hash FROM audit_leaves WHERE leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index",
			first, first+uint64(width)).Scan(&hashes).Error
	} else {
		err = j.db.Conn(ctx).Raw("SELECT hash FROM audit_tree_nodes WHERE level = ? AND node_index >= ? AND node_index < ? ORDER BY node_index",
			level, first, first+uint64(width)).Scan(&hashes).Error
	}
	if err != nil {
		return nil, fmt.Errorf("audit: read tile: %w", err)
	}
	if len(hashes) != width {
		return nil, fmt.Errorf("audit: tile at level %d from %d: %d hashes stored, want %d", level, first, len(hashes), width)
	}
	out := make([]byte, 0, 32*width)
	for _, h := range hashes {
		out = append(out, h...)
	}
	return out, nil
}

func (j *Journal) entryBundle(ctx context.Context, first uint64, width int) ([]byte, error) {
	var rows []pendingRow
	err := j.db.Conn(ctx).Raw(`SELECT e.id, e.occurred_at, e.action, e.actor_kind, e.actor_id, e.organisation_id, e.usager_id,
		e.mandate_id, e.permission_id, e.procedure, e.client_id, e.request_id, e.details, 0 AS xid
		FROM audit_leaves l JOIN audit_entries e ON e.id = l.entry_id
		WHERE l.leaf_index >= ? AND l.leaf_index < ? ORDER BY l.leaf_index`, first, first+uint64(width)).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("audit: read entries: %w", err)
	}
	if len(rows) != width {
		return nil, fmt.Errorf("audit: entry bundle from %d: %d entries found, want %d", first, len(rows), width)
	}
	var out []byte
	for _, r := range rows {
		e, err := r.entry()
		if err != nil {
			return nil, err
		}
		data := Leaf(e).Data()
		if len(data) > 0xffff {
			return nil, fmt.Errorf("audit: entry %d is too large for an entry bundle", e.ID)
		}
		out = binary.BigEndian.AppendUint16(out, uint16(len(data)))
		out = append(out, data...)
	}
	return out, nil
}
