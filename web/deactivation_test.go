package web

import (
	"context"
	"testing"

	"procura/account"
	"procura/db/dbtest"
)

// Deactivating an aidant revokes, in the same transaction, every code and
// token they obtained: UserInfo refuses at once and the store says so.
func TestDeactivationRevokesTokens(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, dbtest.SQLite(t))
	_, aidant := e.orgAndAidant(true)
	svc := e.journeyService("social")
	c := e.signInAidant(aidant)
	e.createMandate(c, aidant, "jean-luc-darcy", "social")
	tokens, err := svc.Login(ctx, e.browser(c), nil, firstPermission, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.srv.directory.Deactivate(ctx, account.Operator, aidant.Account.ID); err != nil {
		t.Fatal(err)
	}
	var active int64
	e.db.Conn(ctx).Raw("SELECT COUNT(*) FROM oauth_requests WHERE aidant_id = ? AND active", aidant.Account.ID).Scan(&active)
	if active != 0 {
		t.Errorf("%d codes and tokens of the deactivated aidant still active", active)
	}
	if _, err := svc.UserInfo(ctx, tokens.AccessToken); answerStatus(err) != 401 {
		t.Errorf("UserInfo after deactivation: %v, want 401", err)
	}
}
