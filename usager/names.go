package usager

import (
	"cmp"
	"context"
	"database/sql/driver"
	"fmt"
	"slices"
	"strings"

	"procura/db"
)

// Named is how a list shows a usager: the pseudonym, names and birthdate.
type Named struct {
	ID         string
	GivenName  string
	FamilyName string
	Birthdate  string
}

// Names returns the usagers among ids whose name matches search (the folded
// search anywhere in their folded names, SearchKey; everyone when search is
// empty), by family then given name (folded), then id. On PostgreSQL a
// trigram index serves the search. One query
// per namesChunk ids: the delegated-login choice lists at most a few
// hundred, an organisation's list a few thousand.
func (reg *Registry) Names(ctx context.Context, ids []string, search string) ([]Named, error) {
	var named []Named
	for chunk := range slices.Chunk(ids, namesChunk) {
		q := reg.db.Conn(ctx).Model(&row{}).Select("id, given_name, family_name, birthdate")
		if reg.db.Dialect == db.Postgres {
			// One array parameter: PostgreSQL plans it at once, where a
			// list of thousands of parameters costs milliseconds to parse.
			q = q.Where("id = ANY(?::text[])", textArray(chunk))
		} else {
			q = q.Where("id IN ?", chunk)
		}
		if pattern, ok := SearchPattern(search); ok {
			q = q.Where(`search_key LIKE ? ESCAPE '\'`, pattern)
		}
		var some []Named
		if err := q.Find(&some).Error; err != nil {
			return nil, fmt.Errorf("usager: names: %w", err)
		}
		named = append(named, some...)
	}
	SortNamed(named)
	return named, nil
}

// SortNamed sorts usagers as lists show them: by family then given name
// (folded, SearchKey), then id.
func SortNamed(named []Named) {
	// Folded once per usager, not per comparison.
	type keyed struct {
		family, given string
		n             Named
	}
	sorted := make([]keyed, len(named))
	fold := newFolder()
	for i, n := range named {
		sorted[i] = keyed{fold.key(n.FamilyName), fold.key(n.GivenName), n}
	}
	slices.SortFunc(sorted, func(a, b keyed) int {
		return cmp.Or(strings.Compare(a.family, b.family), strings.Compare(a.given, b.given), strings.Compare(a.n.ID, b.n.ID))
	})
	for i, k := range sorted {
		named[i] = k.n
	}
}

// SearchPattern is the LIKE pattern (escape character \) that finds search
// anywhere in a search_key column (of usagers, or of the
// organisation_usagers read model that copies it); false when search folds
// to nothing (everyone matches).
func SearchPattern(search string) (string, bool) {
	key := SearchKey(search)
	if key == "" {
		return "", false
	}
	return "%" + escapeLike(key) + "%", true
}

// namesChunk bounds the ids of one query, far below the engines' limits
// on parameters.
const namesChunk = 5000

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// escapeLike escapes LIKE's wildcards in s (escape character \).
func escapeLike(s string) string {
	return likeEscaper.Replace(s)
}

// arrayQuoter escapes an element of a PostgreSQL array's text form.
var arrayQuoter = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// textArray is a PostgreSQL text[] parameter: GORM would expand a slice
// into a list of parameters.
type textArray []string

// Value implements driver.Valuer: the array's text form, each element
// quoted and escaped.
func (a textArray) Value() (driver.Value, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, s := range a {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(arrayQuoter.Replace(s))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String(), nil
}
