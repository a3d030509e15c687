package seal_test

import (
	"bytes"
	"errors"
	"testing"

	"procura/seal"
)

func TestSealRoundTripAndBinding(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	totp, err := seal.New(key, "totp")
	if err != nil {
		t.Fatal(err)
	}
	sealed := totp.Seal([]byte("secret"), []byte("account-1"))
	got, err := totp.Open(sealed, []byte("account-1"))
	if err != nil || string(got) != "secret" {
		t.Fatalf("Open = %q, %v; want secret", got, err)
	}
	other, _ := seal.New(key, "signing-key")
	otherMaster, _ := seal.New(bytes.Repeat([]byte{8}, 32), "totp")
	tampered := append([]byte(nil), sealed...)
	tampered[len(tampered)-1] ^= 1
	tests := []struct {
		name   string
		sealer *seal.Sealer
		value  []byte
		ctx    string
	}{
		{"other context", totp, sealed, "account-2"},
		{"other purpose", other, sealed, "account-1"},
		{"other master key", otherMaster, sealed, "account-1"},
		{"tampered", totp, tampered, "account-1"},
		{"truncated", totp, sealed[:5], "account-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.sealer.Open(tt.value, []byte(tt.ctx)); !errors.Is(err, seal.ErrOpen) {
				t.Errorf("Open = %v, want ErrOpen", err)
			}
		})
	}
}

func TestNewRejectsShortKey(t *testing.T) {
	if _, err := seal.New(make([]byte, 16), "x"); err == nil {
		t.Fatal("New accepted a 16-byte master key")
	}
}
