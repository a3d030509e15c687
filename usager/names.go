package usager

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
)

// Named is how a list shows a usager: the pseudonym, names and birthdate.
type Named struct {
	ID         string
	GivenName  string
	FamilyName string
	Birthdate  string
}

// Names returns the usagers among ids whose name matches search (any word
// of their folded name beginning with the folded search; everyone when
// search is empty), by family then given name (folded), then id. One query
// per namesChunk ids: the delegated-login choice lists at most a few
// hundred, an organisation's list a few thousand.
func (reg *Registry) Names(ctx context.Context, ids []string, search string) ([]Named, error) {
	var named []Named
	for chunk := range slices.Chunk(ids, namesChunk) {
		q := reg.db.Conn(ctx).Model(&row{}).Select("id, given_name, family_name, birthdate").Where("id IN ?", chunk)
		if key := SearchKey(search); key != "" {
			pattern := escapeLike(key) + "%"
			q = q.Where(`(search_key LIKE ? ESCAPE '\' OR search_key LIKE ? ESCAPE '\')`, pattern, "% "+pattern)
		}
		var some []Named
		if err := q.Scan(&some).Error; err != nil {
			return nil, fmt.Errorf("usager: names: %w", err)
		}
		named = append(named, some...)
	}
	slices.SortFunc(named, func(a, b Named) int {
		return cmp.Or(strings.Compare(SearchKey(a.FamilyName), SearchKey(b.FamilyName)),
			strings.Compare(SearchKey(a.GivenName), SearchKey(b.GivenName)), strings.Compare(a.ID, b.ID))
	})
	return named, nil
}

// namesChunk bounds the ids of one query, far below the engines' limits
// on parameters.
const namesChunk = 5000

// escapeLike escapes LIKE's wildcards in s (escape character \).
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
