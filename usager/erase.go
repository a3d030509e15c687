package usager

import (
	"context"
	"errors"
	"fmt"
	"time"

	"procura/audit"
	"procura/db"
)

// Retention (DESIGN.md §4, issue 13): the identity of a usager is kept while
// a mandate of theirs is active or ended within the retention period, then
// erased, and their mandates deleted (package mandate). The journal refers
// to usagers by pseudonym only, so it stays whole.

// Placeholders of an erased identity: they fit the table's constraints and
// say what happened wherever a name is shown (lists, attestations).
const (
	ErasedGivenName  = "(identité effacée :"
	ErasedFamilyName = "durée de conservation écoulée)"
)

// NotIdentifiedSince returns, by id after afterID, up to limit usagers not
// erased whose last identification is before before: the candidates of the
// retention purge (the mandate package then keeps those with a recent
// mandate, and goes on after the last id).
func (reg *Registry) NotIdentifiedSince(ctx context.Context, before time.Time, afterID string, limit int) ([]string, error) {
	var ids []string
	err := reg.db.Conn(ctx).Model(&row{}).Where("erased_at IS NULL AND last_identified_at < ? AND id > ?", before.UTC(), afterID).
		Order("id").Limit(limit).Pluck("id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("usager: retention candidates: %w", err)
	}
	return ids, nil
}

// ErrNotErasable says the usager was identified again (or erased) since
// they were found a candidate: nothing is erased.
var ErrNotErasable = errors.New("usager: identified again since the retention check")

// Erase replaces the identity of usagerID, last identified before before,
// by placeholders and records usager.identity_erased, in the caller's
// transaction (the caller erases what else holds the identity in the same
// act, and says so in details). ErrNotErasable when the usager was
// identified again meanwhile.
func (reg *Registry) Erase(ctx context.Context, usagerID string, before time.Time, details map[string]string) error {
	if !db.InTransaction(ctx) {
		return errors.New("usager: Erase must run inside the act's transaction")
	}
	now := reg.now().UTC()
	res := reg.db.Conn(ctx).Model(&row{}).Where("id = ? AND erased_at IS NULL AND last_identified_at < ?", usagerID, before.UTC()).
		Updates(map[string]any{
			"given_name": ErasedGivenName, "family_name": ErasedFamilyName, "preferred_username": "",
			"birthdate": "0000-00-00", "gender": "unspecified", "birthplace": "", "birthcountry": "00000", "email": "",
			"search_key": "", "updated_at": now, "erased_at": now,
		})
	if res.Error != nil {
		return fmt.Errorf("usager: erase: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotErasable
	}
	return reg.journal.Record(ctx, audit.Entry{Action: audit.ActionUsagerErased, ActorKind: audit.ActorSystem, ActorID: "retention",
		UsagerID: usagerID, Details: details})
}
