package audit

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"procura/db"
)

// Checkpoint is the body of a C2SP tlog-checkpoint: the log's origin, the
// tree size and the root hash. Signed, it is a note (golang.org/x/mod/sumdb/note).
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   []byte
}

// Text is the checkpoint body: origin, decimal size and base64 root hash,
// one per line, each ending in a newline (no extension lines).
func (c Checkpoint) Text() string {
	return fmt.Sprintf("%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root))
}

// maxCheckpoint bounds a signed checkpoint read from outside.
const maxCheckpoint = 16 << 10

// ErrBadCheckpoint is wrapped by every refusal of ParseCheckpoint.
var ErrBadCheckpoint = errors.New("audit: checkpoint refused")

// ParseCheckpoint verifies signed, a signed checkpoint, against verifiers
// (at least one signature by a known key, as note.Open requires) and reads
// its body. Its origin must be origin. Extension lines are allowed and
// ignored, as tlog-checkpoint says.
func ParseCheckpoint(signed []byte, origin string, verifiers note.Verifiers) (Checkpoint, error) {
	if len(signed) > maxCheckpoint {
		return Checkpoint{}, fmt.Errorf("%w: too large", ErrBadCheckpoint)
	}
	n, err := note.Open(signed, verifiers)
	if err != nil {
		var unknown *note.UnverifiedNoteError
		if errors.As(err, &unknown) {
			return Checkpoint{}, fmt.Errorf("%w: not signed by a known key of %s", ErrBadCheckpoint, origin)
		}
		return Checkpoint{}, fmt.Errorf("%w: %w", ErrBadCheckpoint, err)
	}
	c, err := parseCheckpointText(n.Text)
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != origin {
		return Checkpoint{}, fmt.Errorf("%w: origin %q, want %q", ErrBadCheckpoint, c.Origin, origin)
	}
	return c, nil
}

// parseCheckpointText reads a checkpoint body without checking signatures.
func parseCheckpointText(text string) (Checkpoint, error) {
	lines := strings.Split(text, "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" {
		return Checkpoint{}, fmt.Errorf("%w: want origin, size and root hash lines", ErrBadCheckpoint)
	}
	origin, sizeText, rootText := lines[0], lines[1], lines[2]
	if origin == "" {
		return Checkpoint{}, fmt.Errorf("%w: empty origin", ErrBadCheckpoint)
	}
	size, err := strconv.ParseUint(sizeText, 10, 64)
	if err != nil || (len(sizeText) > 1 && sizeText[0] == '0') {
		return Checkpoint{}, fmt.Errorf("%w: tree size %q is not a decimal number", ErrBadCheckpoint, sizeText)
	}
	root, err := base64.StdEncoding.DecodeString(rootText)
	if err != nil || len(root) != 32 {
		return Checkpoint{}, fmt.Errorf("%w: root hash is not 32 bytes of base64", ErrBadCheckpoint)
	}
	return Checkpoint{Origin: origin, Size: size, Root: root}, nil
}

// VerifierList returns the note verifiers of vkeys, verifier keys as
// `procura audit key` prints them.
func VerifierList(vkeys ...string) (note.Verifiers, error) {
	vs := make([]note.Verifier, 0, len(vkeys))
	for _, k := range vkeys {
		v, err := note.NewVerifier(strings.TrimSpace(k))
		if err != nil {
			return nil, fmt.Errorf("audit: verifier key %q: %w", k, err)
		}
		vs = append(vs, v)
	}
	return note.VerifierList(vs...), nil
}

// StoredCheckpoint is a checkpoint as the sequencer stored it.
type StoredCheckpoint struct {
	ID   int64
	Size uint64
	Root []byte
	// Note is the signed checkpoint, as published.
	Note      string
	CreatedAt time.Time
	// lastXID and lastEntryID are the sequencer's position after the last
	// entry integrated (see sequencer.go).
	lastXID     int64
	lastEntryID int64
}

type checkpointRow struct {
	ID          int64 `gorm:"primaryKey"`
	TreeSize    int64
	RootHash    []byte
	LastXID     int64 `gorm:"column:last_xid"`
	LastEntryID int64
	Note        string
	CreatedAt   time.Time
}

func (checkpointRow) TableName() string { return "audit_checkpoints" }

func (r checkpointRow) stored() StoredCheckpoint {
	return StoredCheckpoint{ID: r.ID, Size: uint64(r.TreeSize), Root: r.RootHash, Note: r.Note, CreatedAt: r.CreatedAt,
		lastXID: r.LastXID, lastEntryID: r.LastEntryID}
}

// LatestCheckpoint returns the checkpoint of the largest tree, or
// ErrNoCheckpoint.
func (j *Journal) LatestCheckpoint(ctx context.Context) (StoredCheckpoint, error) {
	var r checkpointRow
	err := j.db.Conn(ctx).Order("tree_size DESC").Order("id DESC").Take(&r).Error
	if err = db.NotFound(err); errors.Is(err, db.ErrNotFound) {
		return StoredCheckpoint{}, ErrNoCheckpoint
	} else if err != nil {
		return StoredCheckpoint{}, fmt.Errorf("audit: read checkpoint: %w", err)
	}
	return r.stored(), nil
}

// CheckpointAt returns a checkpoint of the tree of size size, or
// ErrNoCheckpoint.
func (j *Journal) CheckpointAt(ctx context.Context, size uint64) (StoredCheckpoint, error) {
	var r checkpointRow
	err := j.db.Conn(ctx).Where("tree_size = ?", size).Order("id").Take(&r).Error
	if err = db.NotFound(err); errors.Is(err, db.ErrNotFound) {
		return StoredCheckpoint{}, ErrNoCheckpoint
	} else if err != nil {
		return StoredCheckpoint{}, fmt.Errorf("audit: read checkpoint: %w", err)
	}
	return r.stored(), nil
}

// signCheckpoint signs c as a note.
func signCheckpoint(c Checkpoint, signer note.Signer) (string, error) {
	signed, err := note.Sign(&note.Note{Text: c.Text()}, signer)
	if err != nil {
		return "", fmt.Errorf("audit: sign checkpoint: %w", err)
	}
	if !bytes.HasPrefix(signed, []byte(c.Text())) {
		return "", errors.New("audit: signed checkpoint does not start with its body")
	}
	return string(signed), nil
}

// Origin returns the log origin named by the server's base URL: its host
// and path, then "/journal" (C2SP tlog-checkpoint: a schema-less URL that
// identifies the log), for example "procura.example.fr/journal".
func Origin(baseURL string) (string, error) {
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("audit: the journal's origin needs the base URL (PROCURA_BASE_URL), got %q", baseURL)
	}
	return u.Host + strings.TrimRight(u.Path, "/") + "/journal", nil
}
