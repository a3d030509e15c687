package demoservice

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestSessionCookieSealsAndOpens(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	codec, err := newSessionCodec(bytes.Repeat([]byte{7}, 32), clock)
	if err != nil {
		t.Fatal(err)
	}
	in := session{Expires: now.Add(time.Minute).Unix(), Login: &pendingLogin{State: "s", Nonce: "n", CodeVerifier: "v"}}
	value, err := codec.seal(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := codec.open(value)
	if err != nil {
		t.Fatal(err)
	}
	if out.Login == nil || *out.Login != *in.Login || out.Expires != in.Expires {
		t.Errorf("opened %+v, want %+v", out, in)
	}

	other, _ := newSessionCodec(bytes.Repeat([]byte{8}, 32), clock)
	tampered := []byte(value)
	tampered[len(tampered)/2] ^= 1
	for name, v := range map[string]string{
		"tampered":   string(tampered),
		"truncated":  value[:10],
		"empty":      "",
		"not base64": "%%%",
	} {
		if _, err := codec.open(v); !errors.Is(err, errNoSession) {
			t.Errorf("%s: err = %v, want errNoSession", name, err)
		}
	}
	if _, err := other.open(value); !errors.Is(err, errNoSession) {
		t.Errorf("other key: err = %v", err)
	}

	now = now.Add(time.Minute)
	if _, err := codec.open(value); !errors.Is(err, errNoSession) {
		t.Errorf("expired: err = %v", err)
	}
}

func TestSessionCookieRefusesOversize(t *testing.T) {
	codec, _ := newSessionCodec(make([]byte, 32), time.Now)
	big := &signedIn{IDToken: string(bytes.Repeat([]byte("x"), maxCookieSize))}
	if _, err := codec.seal(session{User: big}); err == nil {
		t.Error("oversize cookie sealed")
	}
}

func TestRandomTokenLength(t *testing.T) {
	if a, b := randomToken(), randomToken(); len(a) < 22 || a == b {
		t.Errorf("randomToken() = %q, %q", a, b)
	}
}
