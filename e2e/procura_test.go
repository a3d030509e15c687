//go:build browser

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// repoRoot is the repository root, where node_modules lives.
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

var buildOnce struct {
	sync.Once
	dir string
	err error
}

// binary builds ./cmd/<name> once per test run and returns its path.
func binary(t *testing.T, name string) string {
	t.Helper()
	buildOnce.Do(func() {
		buildOnce.dir, buildOnce.err = os.MkdirTemp("", "procura-e2e-bin")
	})
	if buildOnce.err != nil {
		t.Fatal(buildOnce.err)
	}
	out := filepath.Join(buildOnce.dir, name)
	if _, err := os.Stat(out); err == nil {
		return out
	}
	cmd := exec.Command("go", "build", "-o", out, "./cmd/"+name)
	cmd.Dir = repoRoot(t)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/%s: %v\n%s", name, err, b)
	}
	return out
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// procuraDev runs `procura dev` on a fresh SQLite store and a free port, and
// returns its base URL once it answers /readyz.
func procuraDev(t *testing.T, env ...string) string {
	t.Helper()
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, binary(t, "procura"), "dev")
	cmd.Env = append(os.Environ(),
		"PROCURA_DATABASE_URL=sqlite:"+filepath.Join(t.TempDir(), "dev.db"),
		"PROCURA_BASE_URL="+base,
		fmt.Sprintf("PROCURA_LISTEN_ADDR=127.0.0.1:%d", port),
	)
	cmd.Env = append(cmd.Env, env...)
	stdout, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	printed := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(bufio.NewReader(stdout))
		printed <- string(b)
	}()
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		if t.Failed() {
			t.Logf("procura dev stderr:\n%s", stderr.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("procura dev did not become ready: %v\nstderr:\n%s", err, stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// runBrowser runs a browser script of e2e/browser with env, failing the test
// with the script's output if it fails.
func runBrowser(t *testing.T, script string, env ...string) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("node is required for the browser tests (make test checks for it)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join("e2e", "browser", script))
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), append(env, "ARTIFACTS="+t.TempDir())...)
	out, err := cmd.CombinedOutput()
	t.Logf("%s:\n%s", script, out)
	if err != nil {
		t.Fatalf("%s failed: %v", script, err)
	}
}
