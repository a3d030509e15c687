package authz

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"time"

	"github.com/ory/fosite"
	"gorm.io/gorm"
)

// requestRow is a row of oauth_requests: one fosite request, stored for one
// kind of use under the hash of its signature.
type requestRow struct {
	SignatureHash     []byte `gorm:"primaryKey"`
	Kind              string
	RequestID         string
	RequestedAt       time.Time
	ClientID          string
	RequestedScopes   string
	GrantedScopes     string
	RequestedAudience string
	GrantedAudience   string
	Form              string
	Session           string
	Active            bool
	ExpiresAt         *time.Time
	PermissionID      string
	MandateID         string
	AidantID          string
	UsagerID          string
	OrganisationID    string
}

func (requestRow) TableName() string { return "oauth_requests" }

// secretParameters are removed from every stored form: credentials and raw
// tokens have no business at rest. fosite already keeps only the
// parameters it needs; this is the store's own guarantee.
var secretParameters = []string{
	"client_secret", "client_assertion", "code_verifier", "password",
	"code", "refresh_token", "access_token", "token", "assertion",
}

// encodeRequest turns r into the row stored for kind k under signature.
func encodeRequest(k kind, signature string, r fosite.Requester) (*requestRow, error) {
	if r == nil || r.GetClient() == nil {
		return nil, errors.New("authz: request without a client")
	}
	row := &requestRow{
		SignatureHash:     key(k, signature),
		Kind:              string(k),
		RequestID:         r.GetID(),
		RequestedAt:       r.GetRequestedAt().UTC().Truncate(time.Microsecond),
		ClientID:          r.GetClient().GetID(),
		RequestedScopes:   encodeList(r.GetRequestedScopes()),
		GrantedScopes:     encodeList(r.GetGrantedScopes()),
		RequestedAudience: encodeList(r.GetRequestedAudience()),
		GrantedAudience:   encodeList(r.GetGrantedAudience()),
		Form:              sanitizeForm(r.GetRequestForm()).Encode(),
		Active:            true,
	}
	sess := r.GetSession()
	b, err := json.Marshal(sess)
	if err != nil {
		return nil, fmt.Errorf("authz: encode session: %w", err)
	}
	row.Session = string(b)
	if sess != nil {
		if exp := sess.GetExpiresAt(tokenExpiry(k)); !exp.IsZero() {
			exp = exp.UTC().Truncate(time.Microsecond)
			row.ExpiresAt = &exp
		}
	}
	if s, ok := sess.(*Session); ok && s != nil {
		row.PermissionID, row.MandateID = s.PermissionID, s.MandateID
		row.AidantID, row.UsagerID, row.OrganisationID = s.AidantID, s.UsagerID, s.OrganisationID
	}
	return row, nil
}

// decodeRequest rebuilds the request stored in row, for client. Its session
// is a new value of proto's type (a *Session when proto is nil), decoded
// from the stored JSON: proto itself is never written to.
func decodeRequest(row *requestRow, client fosite.Client, proto fosite.Session) (*fosite.Request, error) {
	r := &fosite.Request{ID: row.RequestID, RequestedAt: row.RequestedAt.UTC(), Client: client}
	var err error
	if r.RequestedScope, err = decodeList(row.RequestedScopes); err != nil {
		return nil, fmt.Errorf("authz: stored requested scopes: %w", err)
	}
	if r.GrantedScope, err = decodeList(row.GrantedScopes); err != nil {
		return nil, fmt.Errorf("authz: stored granted scopes: %w", err)
	}
	if r.RequestedAudience, err = decodeList(row.RequestedAudience); err != nil {
		return nil, fmt.Errorf("authz: stored requested audience: %w", err)
	}
	if r.GrantedAudience, err = decodeList(row.GrantedAudience); err != nil {
		return nil, fmt.Errorf("authz: stored granted audience: %w", err)
	}
	if r.Form, err = url.ParseQuery(row.Form); err != nil {
		return nil, fmt.Errorf("authz: stored form: %w", err)
	}
	sess := newSessionLike(proto)
	if err := json.Unmarshal([]byte(row.Session), sess); err != nil {
		return nil, fmt.Errorf("authz: stored session: %w", err)
	}
	r.Session = sess
	return r, nil
}

// newSessionLike returns a zero session of proto's concrete type, so that
// a caller passing its own session type gets that type back.
func newSessionLike(proto fosite.Session) fosite.Session {
	if proto != nil {
		if t := reflect.TypeOf(proto); t.Kind() == reflect.Pointer {
			if s, ok := reflect.New(t.Elem()).Interface().(fosite.Session); ok {
				return s
			}
		}
	}
	return &Session{}
}

func encodeList(a fosite.Arguments) string {
	if len(a) == 0 {
		return "[]"
	}
	b, _ := json.Marshal([]string(a)) // a []string always marshals
	return string(b)
}

func decodeList(s string) (fosite.Arguments, error) {
	a := fosite.Arguments{}
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		return nil, err
	}
	if a == nil { // JSON null
		a = fosite.Arguments{}
	}
	return a, nil
}

func sanitizeForm(form url.Values) url.Values {
	clean := url.Values{}
	for k, v := range form {
		clean[k] = append([]string(nil), v...)
	}
	for _, k := range secretParameters {
		clean.Del(k)
	}
	return clean
}

// createRequest stores r for kind k under signature.
func (s *Store) createRequest(ctx context.Context, k kind, signature string, r fosite.Requester) error {
	row, err := encodeRequest(k, signature, r)
	if err != nil {
		return err
	}
	if err := s.db.Conn(ctx).Create(row).Error; err != nil {
		return fmt.Errorf("authz: store %s: %w", k, err)
	}
	return nil
}

// getRequest loads the request stored for kind k under signature, and
// whether it is still active. A request whose client is unknown or
// disabled is not found.
func (s *Store) getRequest(ctx context.Context, k kind, signature string, proto fosite.Session) (*fosite.Request, bool, error) {
	var row requestRow
	err := s.db.Conn(ctx).Where("signature_hash = ?", key(k, signature)).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, false, fosite.ErrNotFound
	}
	if err != nil {
		return nil, false, fmt.Errorf("authz: load %s: %w", k, err)
	}
	client, err := s.LoadClient(ctx, row.ClientID)
	if err != nil {
		return nil, false, err
	}
	r, err := decodeRequest(&row, client, proto)
	if err != nil {
		return nil, false, err
	}
	return r, row.Active, nil
}

// deleteRequest removes the request stored for kind k under signature;
// removing an absent one is not an error (fosite deletes idempotently).
func (s *Store) deleteRequest(ctx context.Context, k kind, signature string) error {
	if err := s.db.Conn(ctx).Where("signature_hash = ?", key(k, signature)).Delete(&requestRow{}).Error; err != nil {
		return fmt.Errorf("authz: delete %s: %w", k, err)
	}
	return nil
}
