package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// sessionStoreFiles may open transactions: the session store joins or
// opens one to rotate a session.
var sessionStoreFiles = []string{"session_store.go", "session.go"}

// knownLayeringExceptions are files that still open a transaction or
// write the journal themselves, with why. It is empty, and must stay so.
var knownLayeringExceptions = map[string]string{}

// web is an HTTP adapter (DESIGN.md §3): it parses, calls one domain
// function and renders. The domain function opens the transaction and
// writes the audit entry, so no file of web but the session store may call
// InTx or a journal's Record. The Go files are parsed, so that comments
// and strings do not count.
func TestWebOpensNoTransactionAndWritesNoJournal(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	seen := map[string]bool{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || slices.Contains(sessionStoreFiles, name) {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, call := range forbiddenCalls(f) {
			if _, known := knownLayeringExceptions[name]; known {
				seen[name] = true
				continue
			}
			t.Errorf("%s: %s: web calls a domain package instead (the domain function opens the transaction and records the act)",
				fset.Position(call.Pos()), describeCall(call))
		}
	}
	for name, why := range knownLayeringExceptions {
		if !seen[name] {
			t.Errorf("%s no longer opens a transaction nor writes the journal: remove it from knownLayeringExceptions (%s)", name, why)
		}
	}
}

// forbiddenCalls lists the calls of f to a method InTx (db.InTx,
// s.db.InTx…) or to the Record method of something named journal.
func forbiddenCalls(f *ast.File) []*ast.CallExpr {
	var out []*ast.CallExpr
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		switch {
		case sel.Sel.Name == "InTx":
			out = append(out, call)
		case sel.Sel.Name == "Record" && strings.EqualFold(lastName(sel.X), "journal"):
			out = append(out, call)
		}
		return true
	})
	return out
}

// lastName is the last identifier of x: journal for s.journal, Journal for
// deps.Journal.
func lastName(x ast.Expr) string {
	switch x := x.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.SelectorExpr:
		return x.Sel.Name
	}
	return ""
}

func describeCall(call *ast.CallExpr) string {
	sel := call.Fun.(*ast.SelectorExpr)
	if name := lastName(sel.X); name != "" {
		return name + "." + sel.Sel.Name
	}
	return sel.Sel.Name
}

// The check itself: it sees calls, not comments or strings.
func TestForbiddenCallsParsesCode(t *testing.T) {
	src := `package web
// s.db.InTx(ctx, f) and s.journal.Record(ctx, e) in a comment do not count.
var doc = "db.InTx(ctx, f)"
func f() {
	s.db.InTx(ctx, nil)
	db.InTx(ctx, nil)
	s.journal.Record(ctx, e)
	deps.Journal.Record(ctx, e)
	s.recorder.Record(ctx, e)
}`
	f, err := parser.ParseFile(token.NewFileSet(), "x.go", src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range forbiddenCalls(f) {
		got = append(got, describeCall(c))
	}
	want := []string{"db.InTx", "db.InTx", "journal.Record", "Journal.Record"}
	if !slices.Equal(got, want) {
		t.Errorf("forbiddenCalls = %v, want %v", got, want)
	}
}
