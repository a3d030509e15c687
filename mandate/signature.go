package mandate

import (
	"github.com/go-jose/go-jose/v4"

	"context"
	"encoding/json"
	"fmt"
	"procura/keyring"
	"time"
)

// SignatureType is the JWS typ of a mandate signature.
const SignatureType = "procura-mandate+jws"

// SignedContent is the canonical content of a mandate, what Procura signs.
// Field order is fixed by the struct, times are UTC to the second, and
// procedures are in catalogue order, so the same mandate always yields the
// same bytes. It names the usager and the aidant only by pseudonymous ids.
type SignedContent struct {
	Version           int      `json:"v"`
	MandateID         string   `json:"mandate_id"`
	OrganisationID    string   `json:"organisation_id"`
	OrganisationSIRET string   `json:"organisation_siret"`
	UsagerID          string   `json:"usager"`
	AidantID          string   `json:"aidant"`
	Procedures        []string `json:"procedures"`
	DurationDays      int      `json:"duration_days"`
	SignedAt          string   `json:"signed_at"`
	ExpiresAt         string   `json:"expires_at"`
	TextVersion       string   `json:"text_version"`
	TextSHA256        string   `json:"text_sha256"`
	FCIDTokenSHA256   string   `json:"fc_id_token_sha256"`
	TOTPConfirmedAt   string   `json:"totp_confirmed_at"`
	Renews            string   `json:"renews,omitempty"`
}

const signedContentVersion = 1

func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// content returns the canonical content of m for its organisation's SIRET.
func content(m Mandate, siret string) SignedContent {
	return SignedContent{
		Version: signedContentVersion, MandateID: m.ID, OrganisationID: m.OrganisationID, OrganisationSIRET: siret,
		UsagerID: m.UsagerID, AidantID: m.AidantID, Procedures: m.Procedures(), DurationDays: m.DurationDays,
		SignedAt: timestamp(m.SignedAt), ExpiresAt: timestamp(m.ExpiresAt), TextVersion: m.TextVersion,
		TextSHA256: m.TextSHA256, FCIDTokenSHA256: m.FCIDTokenSHA256, TOTPConfirmedAt: timestamp(m.TOTPConfirmedAt),
		Renews: m.Renews,
	}
}

// sign signs c with the keyring's current mandate key (ES256); the
// keyring publishes its public keys, rotated ones included, so that any
// attestation can be checked.
func (r *Registry) signContent(ctx context.Context, c SignedContent) (string, error) {
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("mandate: canonical content: %w", err)
	}
	s, err := r.keys.Signer(ctx, keyring.PurposeMandate, jose.ES256)
	if err != nil {
		return "", err
	}
	return s.Sign(payload, SignatureType)
}
