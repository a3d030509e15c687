package authz

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
)

// Pairwise subject identifiers (OpenID Connect Core 1.0 §8.1): each service
// sees its own stable pseudonym of a usager (sub) and of an aidant (act.sub),
// so that two services cannot correlate the people they see, and no service
// learns Procura's internal ids.
//
//	usager: base64url(HMAC-SHA256(PairwiseKey, client_id "|" usager_id))
//	aidant: the same under a key derived from PairwiseKey for aidants
//
// A client_id never contains "|" (clientIDPattern), so the input names one
// (client, person) pair only. The sector is the client: two clients of one
// organisation see different subjects (no sector_identifier_uri).
type pairwise struct {
	usagerKey []byte
	aidantKey []byte
}

func newPairwise(key []byte) (pairwise, error) {
	if len(key) != 32 {
		return pairwise{}, fmt.Errorf("authz: the pairwise key must be 32 bytes, got %d", len(key))
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("procura pairwise aidant subject"))
	return pairwise{usagerKey: key, aidantKey: mac.Sum(nil)}, nil
}

func (p pairwise) usager(clientID, usagerID string) string {
	return pairwiseSubject(p.usagerKey, clientID, usagerID)
}

func (p pairwise) aidant(clientID, aidantID string) string {
	return pairwiseSubject(p.aidantKey, clientID, aidantID)
}

func pairwiseSubject(key []byte, clientID, id string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(clientID))
	mac.Write([]byte{'|'})
	mac.Write([]byte(id))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// UsagerSubject is the sub a service sees for a usager.
func (p *Provider) UsagerSubject(clientID, usagerID string) string {
	return p.pairwise.usager(clientID, usagerID)
}

// AidantSubject is the act.sub a service sees for an aidant.
func (p *Provider) AidantSubject(clientID, aidantID string) string {
	return p.pairwise.aidant(clientID, aidantID)
}
