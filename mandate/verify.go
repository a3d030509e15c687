package mandate

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/go-jose/go-jose/v4"

	"procura/db"
	"procura/keyring"
	"procura/problem"
)

// Answers of the public verification.
var (
	ErrSignatureInvalid = problem.New(problem.Invalid, "Ce mandat n'est pas authentique : sa signature ne correspond à aucune clé de Procura, ou son contenu a été modifié.")
	ErrUnknownMandate   = problem.New(problem.NotFound, "Cette signature est valide, mais Procura ne connaît aucun mandat correspondant.")
	// ErrNoSuchMandate answers a reference (an attestation's QR code) that
	// names no mandate: no signature was given to judge.
	ErrNoSuchMandate = problem.New(problem.NotFound, "Procura ne connaît aucun mandat sous cette référence. Vérifiez l'adresse, ou collez la signature imprimée sur l'attestation.")
)

// Verification is what the public verification page shows: whether the
// signature is Procura's, and where the mandate stands. It never contains
// the usager's identity.
type Verification struct {
	Content SignedContent
	Status  Status
	// Organisation is the name of the organisation the mandate was given to.
	Organisation string
	// Fingerprint is the signature's fingerprint, as the attestation prints it.
	Fingerprint string
}

// Verify checks a mandate's compact JWS (from an attestation's QR code):
// the signature against Procura's published mandate keys, then that it is
// the signature of a mandate Procura holds, then its status now.
func (r *Registry) Verify(ctx context.Context, compact string) (Verification, error) {
	if len(compact) == 0 || len(compact) > 8192 {
		return Verification{}, ErrSignatureInvalid
	}
	payload, _, err := r.keys.Verify(ctx, keyring.PurposeMandate, compact)
	if err != nil {
		return Verification{}, problem.Errorf(ErrSignatureInvalid.Code, ErrSignatureInvalid.Message, "mandate: verify: %w", err)
	}
	var c SignedContent
	if err := json.Unmarshal(payload, &c); err != nil || c.Version != signedContentVersion {
		return Verification{}, ErrSignatureInvalid
	}
	if !db.IsUUID(c.MandateID) {
		return Verification{}, ErrUnknownMandate
	}
	var row mandateRow
	err = r.db.Conn(ctx).Where("id = ?", c.MandateID).Take(&row).Error
	if db.NotFound(err) == db.ErrNotFound {
		return Verification{}, ErrUnknownMandate
	}
	if err != nil {
		return Verification{}, fmt.Errorf("mandate: verify: %w", err)
	}
	if row.Signature != compact {
		return Verification{}, ErrUnknownMandate
	}
	ms, err := r.withPermissions(ctx, []mandateRow{row})
	if err != nil {
		return Verification{}, err
	}
	org, err := r.directory.Organisation(ctx, row.OrganisationID)
	if err != nil {
		return Verification{}, err
	}
	return Verification{Content: c, Status: ms[0].Status(r.now()), Organisation: org.Name, Fingerprint: SignatureFingerprint(compact)}, nil
}

// VerifyStored checks the mandate Procura holds under id, as reached from
// an attestation's QR code: its stored signature against the published
// keys, and that the signed content still matches the stored mandate (a
// row altered in the database no longer verifies).
func (r *Registry) VerifyStored(ctx context.Context, id string) (Verification, error) {
	if !db.IsUUID(id) {
		return Verification{}, ErrNoSuchMandate
	}
	var row mandateRow
	err := r.db.Conn(ctx).Where("id = ?", id).Take(&row).Error
	if db.NotFound(err) == db.ErrNotFound {
		return Verification{}, ErrNoSuchMandate
	}
	if err != nil {
		return Verification{}, fmt.Errorf("mandate: verify: %w", err)
	}
	v, err := r.Verify(ctx, row.Signature)
	if err != nil {
		return Verification{}, err
	}
	ms, err := r.withPermissions(ctx, []mandateRow{row})
	if err != nil {
		return Verification{}, err
	}
	org, err := r.directory.Organisation(ctx, row.OrganisationID)
	if err != nil {
		return Verification{}, err
	}
	want, err := json.Marshal(content(ms[0], org.SIRET))
	if err != nil {
		return Verification{}, err
	}
	got, err := json.Marshal(v.Content)
	if err != nil || string(got) != string(want) {
		return Verification{}, ErrSignatureInvalid
	}
	return v, nil
}

// PublicKeys returns the keys that verify mandate signatures (every
// non-retired key of purpose "mandate"), published by the web server (/mandats/cles.json) so
// that anyone can check a mandate's signature offline.
func (r *Registry) PublicKeys(ctx context.Context) (jose.JSONWebKeySet, error) {
	return r.keys.PublicJWKS(ctx, keyring.PurposeMandate)
}
