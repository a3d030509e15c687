package audit_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"procura/audit"
	"procura/db/dbtest"
)

func TestReceiptVerifiesOfflineAndRefusesTampering(t *testing.T) {
	d := dbtest.SQLite(t)
	ctx := context.Background()
	j, s, k := newSequencer(t, d)
	recordN(t, d, j, 7, "a")
	integrate(t, s, d)
	r, err := j.Receipt(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	good, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got, c, err := audit.VerifyReceipt(good, testOrigin, k.verifiers)
	if err != nil {
		t.Fatalf("VerifyReceipt(good) = %v", err)
	}
	if got.Entry.ID != 3 || c.Size != 7 {
		t.Errorf("receipt of entry %d in a tree of %d, want 3 in 7", got.Entry.ID, c.Size)
	}

	other := newLogKey(t, testOrigin)
	tests := []struct {
		name   string
		mutate func(r *audit.Receipt)
		data   string
		key    logKey
		want   string
	}{
		{name: "entry changed", mutate: func(r *audit.Receipt) { r.Entry.ActorID = "someone-else" }, want: "not in the tree"},
		{name: "leaf index changed", mutate: func(r *audit.Receipt) { r.LeafIndex = 4 }, want: "not in the tree"},
		{name: "tree size changed", mutate: func(r *audit.Receipt) { r.TreeSize = 8 }, want: "checkpoint signs 7"},
		{name: "proof cut", mutate: func(r *audit.Receipt) { r.Proof = r.Proof[:1] }, want: "not in the tree"},
		{name: "checkpoint of another key", key: other, want: "not signed by a known key"},
		{name: "not JSON", data: "receipt", want: "not a receipt"},
		{name: "unknown field", data: `{"format":"procura-audit-receipt/v1","x":1}`, want: "not a receipt"},
		{name: "other format", mutate: func(r *audit.Receipt) { r.Format = "v0" }, want: "format"},
		{name: "checkpoint garbage", mutate: func(r *audit.Receipt) { r.Checkpoint = "garbage" }, want: "checkpoint refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte(tt.data)
			if tt.data == "" {
				rr := r
				rr.Proof = append([][]byte(nil), r.Proof...)
				if tt.mutate != nil {
					tt.mutate(&rr)
				}
				data, _ = json.Marshal(rr)
			}
			key := k
			if tt.key.vkey != "" {
				key = tt.key
			}
			_, _, err := audit.VerifyReceipt(data, testOrigin, key.verifiers)
			if !errors.Is(err, audit.ErrBadReceipt) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("VerifyReceipt = %v, want ErrBadReceipt with %q", err, tt.want)
			}
		})
	}
	if _, err := j.Receipt(ctx, 999); err == nil {
		t.Error("receipt of an unknown entry")
	}
}

func FuzzVerifyReceipt(f *testing.F) {
	k := newLogKey(f, testOrigin)
	f.Add([]byte(`{"format":"procura-audit-receipt/v1","entry":{"v":1,"id":1,"time":"2026-11-22T10:00:00.000000Z","action":"a","actor_kind":"aidant"},"leaf_index":0,"tree_size":1,"inclusion_proof":[],"checkpoint":"procura.test/journal\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— procura.test/journal AAAA\n"}`))
	f.Add([]byte(`{"leaf_index":18446744073709551615,"tree_size":0,"inclusion_proof":["AA=="]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, _, err := audit.VerifyReceipt(data, testOrigin, k.verifiers)
		if err == nil {
			t.Fatalf("a receipt nobody signed verified: %+v", r)
		}
		if !errors.Is(err, audit.ErrBadReceipt) {
			t.Fatalf("error %v is not ErrBadReceipt", err)
		}
	})
}

func FuzzParseCheckpoint(f *testing.F) {
	k := newLogKey(f, testOrigin)
	var root [32]byte
	f.Add([]byte(signedCheckpointF(f, k, 3, root[:])))
	f.Add([]byte("procura.test/journal\n01\nAAAA\n\n— procura.test/journal AAAA\n"))
	f.Add([]byte("\n\n\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := audit.ParseCheckpoint(data, testOrigin, k.verifiers)
		if err != nil {
			if !errors.Is(err, audit.ErrBadCheckpoint) {
				t.Fatalf("error %v is not ErrBadCheckpoint", err)
			}
			return
		}
		if c.Origin != testOrigin || len(c.Root) != 32 {
			t.Fatalf("accepted %+v", c)
		}
	})
}

func FuzzParseLeaf(f *testing.F) {
	f.Add(audit.Leaf(audit.Entry{ID: 1, Time: fixedNow(), Action: "a", ActorKind: "aidant", Details: map[string]string{"k": "v"}}).Data())
	f.Add([]byte(`{"v":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := audit.ParseLeaf(data)
		if err != nil {
			return
		}
		if string(l.Data()) != string(data) {
			t.Fatalf("leaf %q re-encodes as %q", data, l.Data())
		}
	})
}

func signedCheckpointF(f *testing.F, k logKey, size uint64, root []byte) string {
	c := audit.Checkpoint{Origin: testOrigin, Size: size, Root: root}
	b, err := signNote(c.Text(), k)
	if err != nil {
		f.Fatal(err)
	}
	return b
}
