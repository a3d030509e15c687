package audit_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
)

// The client below is written from the C2SP tlog-checkpoint and tlog-tiles
// specifications and RFC 6962 §2.1 alone, with crypto/sha256: none of the
// server's code (nor the merkle library) checks what the server serves.

func specTilePath(level string, n uint64, width int) string {
	// "The index N is encoded as a zero-padded 3-digit path element, if it
	// is less than 1000. If it is greater than or equal to 1000, it is
	// encoded as a sequence of 3-digit path elements, all but the last
	// prefixed with x."
	parts := []string{fmt.Sprintf("%03d", n%1000)}
	for n /= 1000; n > 0; n /= 1000 {
		parts = append([]string{fmt.Sprintf("x%03d", n%1000)}, parts...)
	}
	p := "/tile/" + level + "/" + strings.Join(parts, "/")
	if width < 256 {
		p += ".p/" + strconv.Itoa(width)
	}
	return p
}

// mth is RFC 6962 §2.1's Merkle Tree Hash over leaf hashes.
func mth(leaves [][]byte) []byte {
	if len(leaves) == 1 {
		return leaves[0]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	h := sha256.New()
	h.Write([]byte{1})
	h.Write(mth(leaves[:k]))
	h.Write(mth(leaves[k:]))
	return h.Sum(nil)
}

func fetch(t *testing.T, base, path string) (int, []byte, http.Header) {
	t.Helper()
	resp, err := http.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func TestTilesVerifiedByAnIndependentClient(t *testing.T) {
	dbtest.EachFresh(t, func(t *testing.T, d *db.DB) {
		j, s, k := newSequencer(t, d)
		recordN(t, d, j, 300, "a")
		integrate(t, s, d)
		recordN(t, d, j, 300, "b")
		integrate(t, s, d)
		srv := httptest.NewServer(http.StripPrefix("/journal", audit.TilesHandler(j)))
		defer srv.Close()
		base := srv.URL + "/journal"

		status, body, _ := fetch(t, base, "/checkpoint")
		if status != http.StatusOK {
			t.Fatalf("checkpoint: %d", status)
		}
		v, err := note.NewVerifier(k.vkey)
		if err != nil {
			t.Fatal(err)
		}
		n, err := note.Open(body, note.VerifierList(v))
		if err != nil {
			t.Fatalf("checkpoint signature: %v", err)
		}
		lines := strings.Split(n.Text, "\n")
		size, _ := strconv.ParseUint(lines[1], 10, 64)
		root, _ := base64.StdEncoding.DecodeString(lines[2])
		if lines[0] != testOrigin || size != 600 {
			t.Fatalf("checkpoint body %q", n.Text)
		}

		var leaves [][]byte
		for i := uint64(0); i*256 < size; i++ {
			w := int(min(256, size-i*256))
			status, tile, h := fetch(t, base, specTilePath("0", i, w))
			if status != http.StatusOK || len(tile) != 32*w || !strings.Contains(h.Get("Cache-Control"), "immutable") {
				t.Fatalf("tile 0/%d (%d): %d, %d bytes, %q", i, w, status, len(tile), h.Get("Cache-Control"))
			}
			for o := 0; o < len(tile); o += 32 {
				leaves = append(leaves, tile[o:o+32])
			}
			// The entry bundle holds the leaf data of these hashes.
			status, bundle, _ := fetch(t, base, specTilePath("entries", i, w))
			if status != http.StatusOK {
				t.Fatalf("entry bundle %d: %d", i, status)
			}
			for e := 0; e < w; e++ {
				if len(bundle) < 2 {
					t.Fatalf("bundle %d ends at entry %d", i, e)
				}
				l := int(binary.BigEndian.Uint16(bundle))
				data := bundle[2 : 2+l]
				bundle = bundle[2+l:]
				sum := sha256.Sum256(append([]byte{0}, data...))
				if !bytes.Equal(sum[:], leaves[int(i)*256+e]) {
					t.Fatalf("entry %d of bundle %d does not hash to its leaf", e, i)
				}
			}
			if len(bundle) != 0 {
				t.Fatalf("bundle %d has %d bytes too many", i, len(bundle))
			}
		}
		if got := mth(leaves); !bytes.Equal(got, root) {
			t.Fatalf("root from the tiles %x, checkpoint %x", got, root)
		}
		// Level 1 holds the roots of the full 256-leaf subtrees.
		status, tile, _ := fetch(t, base, specTilePath("1", 0, 2))
		if status != http.StatusOK || !bytes.Equal(tile[:32], mth(leaves[:256])) || !bytes.Equal(tile[32:], mth(leaves[256:512])) {
			t.Fatalf("tile 1/000.p/2: %d, hashes do not match the subtrees", status)
		}
		for _, p := range []string{specTilePath("0", 3, 256), specTilePath("0", 2, 89), "/tile/0/0", "/tile/0/x000/002", "/tile/00/000",
			"/tile/0/002.p/0", "/tile/0/002.p/256", "/tile/64/000", "/tile/entries/003", "/nothing"} {
			if status, _, _ := fetch(t, base, p); status != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", p, status)
			}
		}
	})
}

func FuzzTilesHandler(f *testing.F) {
	for _, p := range []string{"/tile/0/000", "/tile/entries/x001/234.p/5", "/tile/1/000.p/2", "/checkpoint", "/tile/0/x/y.p/"} {
		f.Add(p)
	}
	d := dbtest.SQLite(f)
	j, s, _ := newSequencer(f, d)
	recordN(f, d, j, 3, "a")
	integrate(f, s, d)
	h := audit.TilesHandler(j)
	f.Fuzz(func(t *testing.T, path string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.URL.Path = path
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK && w.Code != http.StatusNotFound {
			t.Fatalf("%q: %d", path, w.Code)
		}
	})
}
