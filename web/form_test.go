package web

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"procura/problem"
)

func TestParseFormKeepsBodyAndQueryApart(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/x?role=manager", strings.NewReader("name=Camille"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	form, err := parseForm(r, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if form.Get("name") != "Camille" || form.Has("role") {
		t.Errorf("POST form = %v, want the body's fields only", form)
	}
	r = httptest.NewRequest(http.MethodGet, "/x?q=%C3%A9t%C3%A9", nil)
	if form, err = parseForm(r, 1024); err != nil || form.Get("q") != "été" {
		t.Errorf("GET form = %v, %v", form, err)
	}
	r = httptest.NewRequest(http.MethodGet, "/x?q=%FF", nil)
	if _, err = parseForm(r, 1024); !errors.Is(err, ErrMalformedForm) {
		t.Errorf("GET with invalid UTF-8 = %v, want ErrMalformedForm", err)
	}
}

func TestParseFormMultipart(t *testing.T) {
	body := "--B\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nbonjour\r\n--B--\r\n"
	r := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(body))
	r.Header.Set("Content-Type", "multipart/form-data; boundary=B")
	form, err := parseForm(r, 1024)
	if err != nil || form.Get("note") != "bonjour" {
		t.Errorf("multipart form = %v, %v", form, err)
	}
	r = httptest.NewRequest(http.MethodPost, "/x", strings.NewReader("not multipart"))
	r.Header.Set("Content-Type", "multipart/form-data; boundary=B")
	if _, err := parseForm(r, 1024); problem.CodeOf(err) != problem.Invalid {
		t.Errorf("broken multipart = %v, want an Invalid problem", err)
	}
}

// FuzzParseForm: whatever the body, parseForm returns clean values or an
// error, and never panics.
func FuzzParseForm(f *testing.F) {
	for _, seed := range []string{
		"a=b&c=d", "a=%FF", "a=%00", "a;b", "%", "=&=&", "a=%C2%85", "note=caf%C3%A9%0D%0A", strings.Repeat("a=b&", 100),
	} {
		f.Add(seed, "application/x-www-form-urlencoded")
	}
	f.Add("--B\r\nContent-Disposition: form-data; name=\"n\"\r\n\r\nv\r\n--B--\r\n", "multipart/form-data; boundary=B")
	f.Add("--B\r\n", "multipart/form-data; boundary=B")
	f.Fuzz(func(t *testing.T, body, contentType string) {
		r := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, 512)
		form, err := parseForm(r, 512)
		if err != nil {
			var tooLarge *http.MaxBytesError
			if !errors.As(err, &tooLarge) && problem.CodeOf(err) != problem.Invalid {
				t.Fatalf("error %v is neither 413 nor 400", err)
			}
			return
		}
		for name, vs := range form {
			for _, v := range append(vs, name) {
				if !utf8.ValidString(v) || strings.ContainsFunc(v, func(c rune) bool { return c < 0x20 && c != '\t' && c != '\n' && c != '\r' }) {
					t.Fatalf("accepted %q", v)
				}
			}
		}
	})
}
