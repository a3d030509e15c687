package keyring

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/mod/sumdb/note"
)

// NoteSigner returns a signer of C2SP signed notes (signature type 0x01,
// Ed25519) with the current key of purpose "journal", under name: the
// journal's origin, which is also the name its verifier key carries.
func (k *Keyring) NoteSigner(ctx context.Context, name string) (note.Signer, error) {
	s, err := k.Signer(ctx, PurposeJournal, jose.EdDSA)
	if err != nil {
		return nil, err
	}
	return newNoteSigner(name, s.key)
}

// NoteVerifierKeys returns the verifier keys (note.NewEd25519VerifierKey
// form, "name+hash+key") of every journal key, newest first. Retired keys
// are included: they no longer sign, but the checkpoints they signed are
// the journal's history and must keep verifying.
func (k *Keyring) NoteVerifierKeys(ctx context.Context, name string) ([]string, error) {
	var rows []keyRow
	err := k.db.Conn(ctx).Where("purpose = ?", string(PurposeJournal)).Order("generation DESC").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("keyring: read journal keys: %w", err)
	}
	keys := make([]string, 0, len(rows))
	for i := range rows {
		kk, err := k.open(&rows[i])
		if err != nil {
			return nil, err
		}
		priv, ok := kk.private.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%w: %s is not an Ed25519 key", ErrCorruptKey, kk.kid)
		}
		vkey, err := note.NewEd25519VerifierKey(name, priv.Public().(ed25519.PublicKey))
		if err != nil {
			return nil, fmt.Errorf("keyring: verifier key: %w", err)
		}
		keys = append(keys, vkey)
	}
	return keys, nil
}

// noteSigner signs notes with one Ed25519 key.
type noteSigner struct {
	name string
	hash uint32
	priv ed25519.PrivateKey
}

var _ note.Signer = (*noteSigner)(nil)

func newNoteSigner(name string, kk *key) (*noteSigner, error) {
	priv, ok := kk.private.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not an Ed25519 key", ErrCorruptKey, kk.kid)
	}
	vkey, err := note.NewEd25519VerifierKey(name, priv.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, fmt.Errorf("keyring: note signer: %w", err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("keyring: note signer: %w", err)
	}
	return &noteSigner{name: name, hash: v.KeyHash(), priv: priv}, nil
}

func (s *noteSigner) Name() string    { return s.name }
func (s *noteSigner) KeyHash() uint32 { return s.hash }
func (s *noteSigner) Sign(msg []byte) ([]byte, error) {
	return s.priv.Sign(rand.Reader, msg, &ed25519.Options{})
}
