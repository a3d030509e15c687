package web

import (
	"errors"
	"mime"
	"net/http"
	"net/url"
	"unicode/utf8"

	"procura/problem"
)

// parseForm reads the request's form and checks that every name and value
// is valid UTF-8 without control characters (tab, line feed and carriage
// return excepted, for text areas). It returns the body's fields for a
// POST, PUT or PATCH, the URL query's otherwise, so that a query parameter
// cannot stand in for a posted field.
//
// Errors: *http.MaxBytesError for an oversized body (413), ErrMalformedForm
// for anything else wrong (400). It never panics, whatever the input.
func parseForm(r *http.Request, maxBytes int64) (url.Values, error) {
	if err := readForm(r, maxBytes); err != nil {
		return nil, err
	}
	for _, values := range []url.Values{r.Form, r.PostForm} {
		for name, vs := range values {
			if !cleanText(name) {
				return nil, ErrMalformedForm
			}
			for _, v := range vs {
				if !cleanText(v) {
					return nil, ErrMalformedForm
				}
			}
		}
	}
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		return r.PostForm, nil
	}
	return r.Form, nil
}

// readForm parses the form once (url-encoded or multipart), mapping a
// failure to the error shown: 413 for a body over the limit, 400 otherwise.
func readForm(r *http.Request, maxBytes int64) error {
	var err error
	if mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mediaType == "multipart/form-data" {
		if r.MultipartForm == nil {
			// The body is already capped at maxBytes: keep it all in memory.
			err = r.ParseMultipartForm(maxBytes)
		}
	} else {
		err = r.ParseForm()
	}
	if err == nil {
		return nil
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return err
	}
	return &problem.Error{Code: ErrMalformedForm.Code, Message: ErrMalformedForm.Message, Err: err}
}

// cleanText reports whether s is valid UTF-8 without control characters
// other than tab, line feed and carriage return.
func cleanText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		switch {
		case c == '\t' || c == '\n' || c == '\r':
		case c < 0x20, c == 0x7f, c >= 0x80 && c <= 0x9f:
			return false
		}
	}
	return true
}
