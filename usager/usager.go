// Package usager holds the people represented: identified through
// FranceConnect, keyed by a pseudonym so that the audit journal and the
// mandates never name them, with their identity kept for display and for
// passing on to services.
package usager

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"procura/audit"
	"procura/db"
	"procura/identity"
	"procura/problem"
)

// Usager is a person represented, as last identified: the claims of their
// identity, under a pseudonym (the issuer and sub are not kept).
type Usager struct {
	// ID is the pseudonym: HMAC-SHA256(server key, issuer + sub), base64url.
	ID string
	identity.Claims
	CreatedAt        time.Time
	UpdatedAt        time.Time
	LastIdentifiedAt time.Time
	// ErasedAt is when the identity was erased after the retention period
	// (erase.go); the names then say so, the other claims are empty.
	ErasedAt *time.Time
}

// Name is how the usager is shown: given name and family name.
func (u Usager) Name() string { return u.GivenName + " " + u.FamilyName }

type row struct {
	ID                string `gorm:"primaryKey"`
	GivenName         string
	FamilyName        string
	PreferredUsername string
	Birthdate         string
	Gender            string
	Birthplace        string
	Birthcountry      string
	Email             string
	SearchKey         string
	CreatedAt         time.Time
	UpdatedAt         time.Time
	LastIdentifiedAt  time.Time
	ErasedAt          *time.Time
}

func (row) TableName() string { return "usagers" }

func (r row) usager() Usager {
	return Usager{ID: r.ID, Claims: identity.Claims{GivenName: r.GivenName, FamilyName: r.FamilyName,
		PreferredUsername: r.PreferredUsername, Birthdate: r.Birthdate, Gender: r.Gender, Birthplace: r.Birthplace,
		Birthcountry: r.Birthcountry, Email: r.Email},
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, LastIdentifiedAt: r.LastIdentifiedAt, ErasedAt: r.ErasedAt}
}

// Registry stores usagers.
type Registry struct {
	db      *db.DB
	journal *audit.Journal
	key     []byte
	now     func() time.Time
}

// New returns the registry kept in d. The pseudonym key is derived from the
// master key: changing the master key changes every pseudonym, so it must
// not change (rotating it needs a migration of the pseudonyms).
func New(d *db.DB, j *audit.Journal, masterKey []byte, now func() time.Time) (*Registry, error) {
	if len(masterKey) != 32 {
		return nil, errors.New("usager: master key must be 32 bytes")
	}
	key, err := hkdf.Key(sha256.New, masterKey, nil, "procura usager pseudonym", 32)
	if err != nil {
		return nil, err
	}
	return &Registry{db: d, journal: j, key: key, now: now}, nil
}

// Pseudonym is the usager id of the FranceConnect identity (issuer, sub).
// The zero byte keeps "a"+"bc" and "ab"+"c" apart.
func (reg *Registry) Pseudonym(issuer, sub string) string {
	mac := hmac.New(sha256.New, reg.key)
	mac.Write([]byte(issuer))
	mac.Write([]byte{0})
	mac.Write([]byte(sub))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// ErrNotFound answers a lookup of an unknown usager.
var ErrNotFound = problem.New(problem.NotFound, "Usager introuvable.")

// Get returns the usager with this pseudonym.
func (reg *Registry) Get(ctx context.Context, id string) (Usager, error) {
	var r row
	err := reg.db.Conn(ctx).Where("id = ?", id).Take(&r).Error
	if db.NotFound(err) == db.ErrNotFound {
		return Usager{}, ErrNotFound
	}
	if err != nil {
		return Usager{}, fmt.Errorf("usager: get: %w", err)
	}
	return r.usager(), nil
}

// Exists reports whether a usager with this pseudonym was identified (and
// not purged since), in ctx's transaction if any.
func (reg *Registry) Exists(ctx context.Context, id string) (bool, error) {
	var n int64
	if err := reg.db.Conn(ctx).Model(&row{}).Where("id = ?", id).Limit(1).Count(&n).Error; err != nil {
		return false, fmt.Errorf("usager: exists: %w", err)
	}
	return n > 0, nil
}

// Context says why a usager was identified, for the journal.
type Context string

const (
	ContextUsagerSpace Context = "usager_space"
	ContextMandate     Context = "mandate"
)

// Identify records an identification verified by the identification client
// (franceconnect), whose claims it checks again (identity.Validate): the
// usager is created, or updated when their identity changed (the changed
// fields are named in the journal, never their values). actor is who
// identified them: the usager themself, or the aidant creating a mandate.
// It runs in the caller's transaction when there is one.
func (reg *Registry) Identify(ctx context.Context, actorKind audit.ActorKind, actorID string, id identity.Identity, why Context) (Usager, error) {
	if err := identity.Validate(id); err != nil {
		return Usager{}, err
	}
	now := reg.now().UTC()
	next := row{
		ID: reg.Pseudonym(id.Issuer, id.Sub), GivenName: id.GivenName, FamilyName: id.FamilyName,
		PreferredUsername: id.PreferredUsername, Birthdate: id.Birthdate, Gender: id.Gender,
		Birthplace: id.Birthplace, Birthcountry: id.Birthcountry, Email: id.Email,
		SearchKey: SearchKey(id.GivenName + " " + id.FamilyName + " " + id.PreferredUsername),
		CreatedAt: now, UpdatedAt: now, LastIdentifiedAt: now,
	}
	if actorKind == audit.ActorUsager {
		actorID = next.ID
	}
	var out Usager
	err := reg.db.InTx(ctx, func(ctx context.Context) error {
		conn := reg.db.Conn(ctx)
		var prev row
		res := conn.Where("id = ?", next.ID).Limit(1).Find(&prev)
		if res.Error != nil {
			return fmt.Errorf("usager: load: %w", res.Error)
		}
		entry := audit.Entry{Action: audit.ActionUsagerIdentified, ActorKind: actorKind, ActorID: actorID, UsagerID: next.ID,
			Details: map[string]string{"context": string(why)}}
		if res.RowsAffected == 0 {
			if err := conn.Create(&next).Error; err != nil {
				if db.IsUniqueViolation(err) {
					return problem.Errorf(problem.Conflict, "Une autre identification de cet usager est en cours ; réessayez.", "usager: concurrent creation: %w", err)
				}
				return fmt.Errorf("usager: create: %w", err)
			}
			entry.Details["new"] = "true"
			out = next.usager()
			return reg.journal.Record(ctx, entry)
		}
		changed := changedFields(prev, next)
		updates := map[string]any{"last_identified_at": now, "erased_at": nil}
		if len(changed) > 0 {
			updates["given_name"], updates["family_name"], updates["preferred_username"] = next.GivenName, next.FamilyName, next.PreferredUsername
			updates["birthdate"], updates["gender"], updates["birthplace"] = next.Birthdate, next.Gender, next.Birthplace
			updates["birthcountry"], updates["email"], updates["updated_at"] = next.Birthcountry, next.Email, now
			updates["search_key"] = next.SearchKey
		}
		if err := conn.Model(&row{}).Where("id = ?", next.ID).Updates(updates).Error; err != nil {
			return fmt.Errorf("usager: update: %w", err)
		}
		if err := reg.journal.Record(ctx, entry); err != nil {
			return err
		}
		next.CreatedAt = prev.CreatedAt
		if len(changed) == 0 {
			next.UpdatedAt = prev.UpdatedAt
		}
		out = next.usager()
		if len(changed) == 0 {
			return nil
		}
		return reg.journal.Record(ctx, audit.Entry{Action: audit.ActionUsagerUpdated, ActorKind: actorKind, ActorID: actorID,
			UsagerID: next.ID, Details: map[string]string{"fields": strings.Join(changed, ",")}})
	})
	return out, err
}

// changedFields names the identity fields that differ.
func changedFields(a, b row) []string {
	var out []string
	for _, f := range []struct {
		name string
		a, b string
	}{
		{"given_name", a.GivenName, b.GivenName}, {"family_name", a.FamilyName, b.FamilyName},
		{"preferred_username", a.PreferredUsername, b.PreferredUsername}, {"birthdate", a.Birthdate, b.Birthdate},
		{"gender", a.Gender, b.Gender}, {"birthplace", a.Birthplace, b.Birthplace},
		{"birthcountry", a.Birthcountry, b.Birthcountry}, {"email", a.Email, b.Email},
	} {
		if f.a != f.b {
			out = append(out, f.name)
		}
	}
	return slices.Clip(out)
}
