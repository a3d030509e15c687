package mandate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"procura/db"
)

// ArchiveProviderKeys keeps jwks, the FranceConnect key set (the document
// as served) that verified a usager's ID token, and returns its name, the
// SHA-256 in hex. Each distinct document is stored once and never changed,
// so that the identification can be re-checked after the provider rotated
// its keys (EvidenceOf). Call it in the identification's transaction.
func (r *Registry) ArchiveProviderKeys(ctx context.Context, jwks []byte) (string, error) {
	sum := sha256.Sum256(jwks)
	name := hex.EncodeToString(sum[:])
	err := r.db.Conn(ctx).Exec(`INSERT INTO mandate_provider_keys (sha256, jwks, archived_at) VALUES (?, ?, ?)
		ON CONFLICT (sha256) DO NOTHING`, name, jwks, r.now().UTC()).Error
	if err != nil {
		return "", fmt.Errorf("mandate: archive provider keys: %w", err)
	}
	return name, nil
}

// Evidence is what proves a mandate's identification step, as stored: the
// mandate's signature (which covers IDTokenSHA256), the ID token
// FranceConnect signed, and the provider's key set archived with it (nil
// when none was: mandates signed before the archive existed).
type Evidence struct {
	MandateID     string
	Signature     string
	IDToken       string
	IDTokenSHA256 string
	JWKS          []byte
	JWKSSHA256    string
}

// EvidenceOf returns the stored evidence of mandate id (any organisation's:
// for the operator).
func (r *Registry) EvidenceOf(ctx context.Context, id string) (Evidence, error) {
	var row mandateRow
	err := r.db.Conn(ctx).Where("id = ?", id).Take(&row).Error
	if err = db.NotFound(err); errors.Is(err, db.ErrNotFound) {
		return Evidence{}, ErrNotFound
	} else if err != nil {
		return Evidence{}, fmt.Errorf("mandate: evidence: %w", err)
	}
	ev := Evidence{MandateID: row.ID, Signature: row.Signature, IDToken: row.FCIDToken, IDTokenSHA256: row.FCIDTokenSHA256,
		JWKSSHA256: row.FCJWKSSHA256}
	if row.FCJWKSSHA256 != "" {
		var jwks [][]byte
		if err := r.db.Conn(ctx).Raw("SELECT jwks FROM mandate_provider_keys WHERE sha256 = ?", row.FCJWKSSHA256).
			Scan(&jwks).Error; err != nil {
			return Evidence{}, fmt.Errorf("mandate: archived provider keys: %w", err)
		}
		if len(jwks) == 1 {
			ev.JWKS = jwks[0]
		}
	}
	return ev, nil
}

// EvidenceTables are the tables of lasting evidence: like the journal, the
// application may only SELECT and INSERT on them (`procura admin db-roles`).
func EvidenceTables() []string { return []string{"mandate_provider_keys"} }
