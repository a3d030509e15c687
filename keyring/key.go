package keyring

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/go-jose/go-jose/v4"
)

// rsaBits is the modulus of RS256 keys. 2048 bits is ANSSI's minimum until
// 2030 (RGS annexe B1, RègleFact-1); keys rotate
// well before, and RS256 is only for clients that cannot use ES256.
const rsaBits = 2048

// key is a decrypted key. It never changes once built.
type key struct {
	kid     string
	purpose Purpose
	alg     jose.SignatureAlgorithm
	private crypto.Signer
	public  jose.JSONWebKey // public part only, with kid, alg and use

	signer *Signer
	// josers caches one go-jose signer per "typ" header value.
	josers sync.Map
}

// generate makes a fresh private key for alg.
func generate(alg jose.SignatureAlgorithm) (crypto.Signer, error) {
	switch alg {
	case jose.ES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.RS256:
		return rsa.GenerateKey(rand.Reader, rsaBits)
	case jose.EdDSA:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	}
	return nil, fmt.Errorf("%w: %s", ErrUnsupportedAlg, alg)
}

// fitsAlg reports whether private is a key of the kind alg needs.
func fitsAlg(private crypto.Signer, alg jose.SignatureAlgorithm) bool {
	switch k := private.(type) {
	case *ecdsa.PrivateKey:
		return alg == jose.ES256 && k.Curve == elliptic.P256()
	case *rsa.PrivateKey:
		return alg == jose.RS256 && k.N.BitLen() >= rsaBits
	case ed25519.PrivateKey:
		return alg == jose.EdDSA
	}
	return false
}

// publicJWK returns the published form of private's public key, named by
// its RFC 7638 thumbprint.
func publicJWK(private crypto.Signer, alg jose.SignatureAlgorithm) (jose.JSONWebKey, error) {
	jwk := jose.JSONWebKey{Key: private.Public(), Algorithm: string(alg), Use: "sig"}
	kid, err := thumbprint(jwk)
	if err != nil {
		return jose.JSONWebKey{}, err
	}
	jwk.KeyID = kid
	return jwk, nil
}

// thumbprint is the RFC 7638 SHA-256 thumbprint of jwk, base64url.
func thumbprint(jwk jose.JSONWebKey) (string, error) {
	t, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("keyring: thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(t), nil
}

// sealContext binds a sealed private key to its row: opened with another
// purpose, alg or kid, it does not open.
func sealContext(p Purpose, alg jose.SignatureAlgorithm, kid string) []byte {
	return []byte(string(p) + "/" + string(alg) + "/" + kid)
}

// newRow generates a key and returns the row that stores it.
func (k *Keyring) newRow(p Purpose, alg jose.SignatureAlgorithm) (*keyRow, error) {
	private, err := generate(alg)
	if err != nil {
		return nil, fmt.Errorf("keyring: generate %s key: %w", alg, err)
	}
	pub, err := publicJWK(private, alg)
	if err != nil {
		return nil, err
	}
	pubJSON, err := json.Marshal(pub)
	if err != nil {
		return nil, fmt.Errorf("keyring: public key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(private)
	if err != nil {
		return nil, fmt.Errorf("keyring: private key: %w", err)
	}
	sealed := k.sealer.Seal(der, sealContext(p, alg, pub.KeyID))
	clear(der)
	return &keyRow{KID: pub.KeyID, Purpose: string(p), Alg: string(alg), PrivateKey: sealed, PublicJWK: string(pubJSON)}, nil
}

// open returns the decrypted key of r, from the cache when it was opened
// before. It checks that the sealed key opens for this row, fits the row's
// alg and is the key its kid names, and that the informational public_jwk
// column names the same key.
func (k *Keyring) open(r *keyRow) (*key, error) {
	if v, ok := k.opened.Load(r.KID); ok {
		kk := v.(*key)
		if string(kk.purpose) != r.Purpose || string(kk.alg) != r.Alg {
			return nil, fmt.Errorf("%w: %s changed purpose or alg", ErrCorruptKey, r.KID)
		}
		return kk, nil
	}
	p, alg := Purpose(r.Purpose), jose.SignatureAlgorithm(r.Alg)
	der, err := k.sealer.Open(r.PrivateKey, sealContext(p, alg, r.KID))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrCorruptKey, r.KID, err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	clear(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrCorruptKey, r.KID, err)
	}
	private, ok := parsed.(crypto.Signer)
	if !ok || !fitsAlg(private, alg) {
		return nil, fmt.Errorf("%w: %s is not an %s key", ErrCorruptKey, r.KID, alg)
	}
	pub, err := publicJWK(private, alg)
	if err != nil {
		return nil, err
	}
	if pub.KeyID != r.KID {
		return nil, fmt.Errorf("%w: %s does not match its key", ErrCorruptKey, r.KID)
	}
	var stored jose.JSONWebKey
	if err := json.Unmarshal([]byte(r.PublicJWK), &stored); err != nil {
		return nil, fmt.Errorf("%w: %s public_jwk: %w", ErrCorruptKey, r.KID, err)
	}
	if t, err := thumbprint(stored); err != nil || t != r.KID || !stored.IsPublic() {
		return nil, fmt.Errorf("%w: %s public_jwk names another key", ErrCorruptKey, r.KID)
	}
	kk := &key{kid: r.KID, purpose: p, alg: alg, private: private, public: pub}
	kk.signer = &Signer{key: kk}
	v, _ := k.opened.LoadOrStore(r.KID, kk)
	return v.(*key), nil
}

// joser returns the go-jose signer of kk that sets typ (none when empty).
func (kk *key) joser(typ string) (jose.Signer, error) {
	if v, ok := kk.josers.Load(typ); ok {
		return v.(jose.Signer), nil
	}
	opts := &jose.SignerOptions{}
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	// A JSONWebKey as the signing key makes go-jose set the "kid" header.
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: kk.alg, Key: jose.JSONWebKey{Key: kk.private, KeyID: kk.kid}}, opts)
	if err != nil {
		return nil, fmt.Errorf("keyring: signer %s: %w", kk.kid, err)
	}
	v, _ := kk.josers.LoadOrStore(typ, s)
	return v.(jose.Signer), nil
}
