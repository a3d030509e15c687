package web

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/google/uuid"

	"procura/db/dbtest"
)

// Ids in URLs that uuid.Parse accepts but PostgreSQL refuses (or that are
// not ours) are not found, never a 5xx.
func TestOddIdsAreNotFound(t *testing.T) {
	e := newEnv(t, dbtest.Postgres(t))
	_, aidant := e.orgAndAidant(true)
	c := e.signInAidant(aidant)
	id := uuid.NewString()
	for _, odd := range []string{"urn:uuid:" + id, "{" + id + "}", id[:8] + id[9:13] + id[14:18] + id[19:23] + id[24:], "%00", "x"} {
		// The public verification page says the mandate is unknown.
		if resp, _ := e.follow(c, PathVerifyMandate(odd)); resp.StatusCode >= 500 {
			t.Errorf("GET %s = %d, want a page", PathVerifyMandate(odd), resp.StatusCode)
		}
		for _, path := range []string{PathMandate(odd), PathMandateRevoke(odd)} {
			resp, _ := e.follow(c, path)
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s = %d, want 404", path, resp.StatusCode)
			}
		}
	}
	form := url.Values{"csrf_token": {e.pageToken(c, PathUsagers)}, "permission_id": {"urn:uuid:" + id}}
	if resp, _ := e.post(c, PathMandateRevoke("urn:uuid:"+id), form); resp.StatusCode != http.StatusNotFound {
		t.Errorf("POST revoke urn:uuid = %d, want 404", resp.StatusCode)
	}
}
