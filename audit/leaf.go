package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/transparency-dev/merkle/rfc6962"
)

// leafVersion names the canonical encoding below; a change of encoding
// would be a new version, so that old leaves keep verifying.
const leafVersion = 1

// leafTimeLayout is the entry's time in the leaf: UTC, microseconds, the
// precision both engines store.
const leafTimeLayout = "2006-01-02T15:04:05.000000Z"

// LeafEntry is an entry as the tree holds it: the leaf data is its JSON
// encoding (encoding/json: fields in this order, Details keys sorted), and
// the leaf hash is RFC 6962 §2.1 HASH(0x00 || leaf data). It holds
// pseudonymous ids only, like the entry, so purging personal data elsewhere
// breaks nothing. Receipts and entry bundles carry it as is.
type LeafEntry struct {
	V              int               `json:"v"`
	ID             int64             `json:"id"`
	Time           string            `json:"time"`
	Action         string            `json:"action"`
	ActorKind      string            `json:"actor_kind"`
	ActorID        string            `json:"actor_id"`
	OrganisationID string            `json:"organisation_id"`
	UsagerID       string            `json:"usager_id"`
	MandateID      string            `json:"mandate_id"`
	PermissionID   string            `json:"permission_id"`
	Procedure      string            `json:"procedure"`
	ClientID       string            `json:"client_id"`
	RequestID      string            `json:"request_id"`
	Details        map[string]string `json:"details"`
}

// Leaf returns the tree's form of e.
func Leaf(e Entry) LeafEntry {
	details := e.Details
	if details == nil {
		details = map[string]string{}
	}
	return LeafEntry{
		V: leafVersion, ID: e.ID, Time: e.Time.UTC().Truncate(time.Microsecond).Format(leafTimeLayout),
		Action: string(e.Action), ActorKind: string(e.ActorKind), ActorID: e.ActorID,
		OrganisationID: e.OrganisationID, UsagerID: e.UsagerID, MandateID: e.MandateID, PermissionID: e.PermissionID,
		Procedure: e.Procedure, ClientID: e.ClientID, RequestID: e.RequestID, Details: details,
	}
}

// Data is the leaf data: the canonical encoding of l.
func (l LeafEntry) Data() []byte {
	if l.Details == nil {
		l.Details = map[string]string{}
	}
	b, err := json.Marshal(l)
	if err != nil {
		panic("audit: a LeafEntry always encodes: " + err.Error()) // strings and a map of strings
	}
	return b
}

// Hash is the leaf hash: RFC 6962 HASH(0x00 || Data()).
func (l LeafEntry) Hash() []byte { return rfc6962.DefaultHasher.HashLeaf(l.Data()) }

// maxLeafData bounds a leaf read from outside (a receipt, an entry bundle).
const maxLeafData = 64 << 10

// ParseLeaf reads leaf data. It accepts only the canonical encoding: the
// bytes must re-encode to themselves, so that a leaf read is the leaf hashed.
func ParseLeaf(data []byte) (LeafEntry, error) {
	var l LeafEntry
	if len(data) > maxLeafData {
		return l, errors.New("audit: leaf too large")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return LeafEntry{}, fmt.Errorf("audit: leaf: %w", err)
	}
	if err := l.check(); err != nil {
		return LeafEntry{}, err
	}
	if !bytes.Equal(l.Data(), data) {
		return LeafEntry{}, errors.New("audit: leaf: not in canonical form")
	}
	return l, nil
}

// check refuses a leaf entry that no journal writes.
func (l LeafEntry) check() error {
	if l.V != leafVersion {
		return fmt.Errorf("audit: leaf: version %d, want %d", l.V, leafVersion)
	}
	if l.ID <= 0 || l.Action == "" || l.ActorKind == "" {
		return errors.New("audit: leaf: id, action and actor kind are required")
	}
	if _, err := time.Parse(leafTimeLayout, l.Time); err != nil {
		return fmt.Errorf("audit: leaf: time: %w", err)
	}
	return nil
}
