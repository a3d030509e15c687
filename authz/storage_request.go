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

// createRequest stores r for kind k under signature: now, or with the
// request's other writes when the context carries a batch (withBatch).
func (s *Store) createRequest(ctx context.Context, k kind, signature string, r fosite.Requester) error {
	s.rebaseExpiry(ctx, r, k)
	row, err := encodeRequest(k, signature, r)
	if err != nil {
		return err
	}
	if b, ok := ctx.Value(batchKey{}).(*batch); ok {
		b.rows = append(b.rows, row)
		return nil
	}
	if err := s.db.Conn(ctx).Create(row).Error; err != nil {
		return fmt.Errorf("authz: store %s: %w", k, err)
	}
	return nil
}

// rebaseExpiry moves the expiry fosite set for k (from the system clock)
// onto the store's clock, keeping its lifespan, so that tests and the
// injected clock decide when codes and tokens end. It acts only under the
// provider's request context (withMemo): a caller of the store itself sets
// expiries from the right clock already.
func (s *Store) rebaseExpiry(ctx context.Context, r fosite.Requester, k kind) {
	sess := r.GetSession()
	if _, fromFosite := ctx.Value(memoKey{}).(*memo); !fromFosite || sess == nil {
		return
	}
	tt := tokenExpiry(k)
	if exp := sess.GetExpiresAt(tt); !exp.IsZero() {
		sess.SetExpiresAt(tt, exp.Add(time.Until(s.now())))
	}
}

// batchKey carries a *batch: the rows a request stores, written together by
// flush in one statement (a token response's access and refresh tokens).
type batchKey struct{}

type batch struct{ rows []*requestRow }

// withBatch returns a context whose createRequest calls are held until
// flush.
func withBatch(ctx context.Context) context.Context {
	return context.WithValue(ctx, batchKey{}, &batch{})
}

// flush writes the rows held by ctx's batch, in one INSERT.
func (s *Store) flush(ctx context.Context) error {
	b, ok := ctx.Value(batchKey{}).(*batch)
	if !ok || len(b.rows) == 0 {
		return nil
	}
	rows := b.rows
	b.rows = nil
	if err := s.db.Conn(ctx).Create(rows).Error; err != nil {
		return fmt.Errorf("authz: store tokens: %w", err)
	}
	return nil
}

// memoKey carries a *memo: the rows one request has read, so that fosite's
// repeated look-ups of one code (code, PKCE, OpenID Connect state, twice
// the code) cost one query. Only the provider's request handlers set it
// (withMemo), around fosite's calls.
type memoKey struct{}

type memo struct{ rows map[string]*requestWithClient }

func withMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, memoKey{}, &memo{rows: map[string]*requestWithClient{}})
}

// forget drops what ctx's memo holds, after a write it cannot follow.
func forget(ctx context.Context) {
	if m, ok := ctx.Value(memoKey{}).(*memo); ok {
		clear(m.rows)
	}
}

// requestWithClient is a stored request and whether its client is disabled.
type requestWithClient struct {
	Row            requestRow `gorm:"embedded"`
	ClientDisabled bool
}

// getRequest loads the request stored for kind k under signature, and
// whether it is still active: one query, the request with its client's
// disabled flag (fresh), the client itself from the cache. A request whose
// client is unknown or disabled is not found.
func (s *Store) getRequest(ctx context.Context, k kind, signature string, proto fosite.Session) (*fosite.Request, bool, error) {
	h := key(k, signature)
	m, _ := ctx.Value(memoKey{}).(*memo)
	row, ok := (*requestWithClient)(nil), false
	if m != nil {
		row, ok = m.rows[string(h)]
	}
	if !ok {
		row = &requestWithClient{}
		err := s.db.Conn(ctx).Table("oauth_requests AS r").
			Select("r.*, c.disabled AS client_disabled").
			Joins("JOIN oauth_clients AS c ON c.id = r.client_id").
			Where("r.signature_hash = ?", h).
			Take(row).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			row = nil
		case err != nil:
			return nil, false, fmt.Errorf("authz: load %s: %w", k, err)
		}
		if m != nil {
			m.rows[string(h)] = row
		}
	}
	if row == nil || row.ClientDisabled {
		return nil, false, fosite.ErrNotFound
	}
	client, err := s.clients.get(ctx, row.Row.ClientID)
	if err != nil {
		return nil, false, err
	}
	r, err := decodeRequest(&row.Row, client, proto)
	if err != nil {
		return nil, false, err
	}
	return r, row.Row.Active, nil
}

// deactivate marks the active request of kind k under signature inactive,
// and reports whether there was one. Of two requests racing for one row,
// the one that waits on the other's row lock finds it inactive.
func (s *Store) deactivate(ctx context.Context, k kind, signature string) (bool, error) {
	h := key(k, signature)
	res := s.db.Conn(ctx).Model(&requestRow{}).Where("signature_hash = ? AND active", h).Update("active", false)
	if res.Error != nil {
		return false, res.Error
	}
	if m, ok := ctx.Value(memoKey{}).(*memo); ok {
		if row := m.rows[string(h)]; row != nil {
			row.Row.Active = false
		}
	}
	return res.RowsAffected > 0, nil
}

// deleteRequest removes the request stored for kind k under signature;
// removing an absent one is not an error (fosite deletes idempotently).
func (s *Store) deleteRequest(ctx context.Context, k kind, signature string) error {
	if err := s.db.Conn(ctx).Where("signature_hash = ?", key(k, signature)).Delete(&requestRow{}).Error; err != nil {
		return fmt.Errorf("authz: delete %s: %w", k, err)
	}
	return nil
}
