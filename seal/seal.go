// Package seal encrypts secrets at rest (TOTP seeds, signing keys) with a key
// derived from the master key. Each purpose gets its own key, so a sealed
// value cannot be opened as anything else.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// Sealer seals and opens values for one purpose with AES-256-GCM.
type Sealer struct {
	aead cipher.AEAD
}

// New derives the purpose's key from the 32-byte master key (HKDF-SHA256,
// RFC 5869, with the purpose as info).
func New(masterKey []byte, purpose string) (*Sealer, error) {
	if len(masterKey) != 32 {
		return nil, fmt.Errorf("seal: master key must be 32 bytes, got %d", len(masterKey))
	}
	key, err := hkdf.Key(sha256.New, masterKey, nil, "procura seal "+purpose, 32)
	if err != nil {
		return nil, fmt.Errorf("seal: derive key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext bound to context (for example the owning row's id,
// so that a sealed value copied to another row does not open). The result is
// nonce || ciphertext.
func (s *Sealer) Seal(plaintext, context []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, plaintext, context)
}

// ErrOpen is returned for a value that was not sealed by this Sealer with
// this context, or was altered.
var ErrOpen = errors.New("seal: cannot open sealed value")

// Open decrypts a value made by Seal with the same context.
func (s *Sealer) Open(sealed, context []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, ErrOpen
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], context)
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}
