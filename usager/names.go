package usager

import (
	"context"
	"fmt"
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
// search is empty), by family then given name. It is one query however
// many ids: the delegated-login choice lists at most a few hundred.
func (reg *Registry) Names(ctx context.Context, ids []string, search string) ([]Named, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	q := reg.db.Conn(ctx).Model(&row{}).Select("id, given_name, family_name, birthdate").Where("id IN ?", ids)
	if key := SearchKey(search); key != "" {
		pattern := escapeLike(key) + "%"
		q = q.Where(`(search_key LIKE ? ESCAPE '\' OR search_key LIKE ? ESCAPE '\')`, pattern, "% "+pattern)
	}
	var named []Named
	if err := q.Order("lower(family_name), lower(given_name), id").Scan(&named).Error; err != nil {
		return nil, fmt.Errorf("usager: names: %w", err)
	}
	return named, nil
}

// escapeLike escapes LIKE's wildcards in s (escape character \).
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
