package authz

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"procura/db"
	"procura/db/dbtest"
)

// TestNoRawSecretStored stores one of everything, then reads every column
// of every row of the authz tables and looks for any raw token, signature,
// secret or jti given to the store.
func TestNoRawSecretStored(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		req := f.newRequest(t, newDelegation(t))
		raw := map[string]string{
			"client secret":  f.secret,
			"code signature": randomID(t, "code-sig-"), "raw code": randomID(t, "raw-code-"),
			"access signature": randomID(t, "at-sig-"), "refresh signature": randomID(t, "rt-sig-"),
			"jti":                randomID(t, "jti-"),
			"form client_secret": req.Form.Get("client_secret"), "form code_verifier": req.Form.Get("code_verifier"),
			"form password": req.Form.Get("password"),
		}
		steps := []error{
			f.store.CreateAuthorizeCodeSession(ctx, raw["code signature"], req),
			f.store.CreatePKCERequestSession(ctx, raw["code signature"], req),
			f.store.CreateOpenIDConnectSession(ctx, raw["raw code"], req),
			f.store.CreateAccessTokenSession(ctx, raw["access signature"], req),
			f.store.CreateRefreshTokenSession(ctx, raw["refresh signature"], raw["access signature"], req),
			f.store.SetClientAssertionJWT(ctx, raw["jti"], f.clock.Now().Add(time.Minute)),
		}
		for i, err := range steps {
			if err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
		}

		cells := 0
		for _, table := range []string{"oauth_clients", "oauth_requests", "oauth_client_assertion_jtis"} {
			rows, err := d.Conn(ctx).Raw("SELECT * FROM " + table).Rows()
			if err != nil {
				t.Fatalf("%s: %v", table, err)
			}
			cols, _ := rows.Columns()
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatalf("%s: %v", table, err)
				}
				for i, v := range vals {
					var cell []byte
					switch v := v.(type) {
					case []byte:
						cell = v
					case string:
						cell = []byte(v)
					default:
						cell = []byte(fmt.Sprint(v))
					}
					cells++
					for what, secret := range raw {
						if bytes.Contains(cell, []byte(secret)) {
							t.Errorf("%s.%s holds the raw %s", table, cols[i], what)
						}
					}
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			rows.Close()
		}
		if cells == 0 {
			t.Fatal("scanned no cell")
		}
	})
}
