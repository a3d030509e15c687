package sandbox

import (
	"errors"
	"strconv"
	"testing"
	"time"
)

func TestExpiringIsBoundedAndForgets(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	m := newExpiring[int](3)
	for i := range 3 {
		if err := m.put(strconv.Itoa(i), i, now.Add(time.Second), now); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.put("full", 9, now.Add(time.Second), now); !errors.Is(err, errFull) {
		t.Fatalf("put past the cap: %v, want errFull", err)
	}
	if v, ok := m.get("1", now); !ok || v != 1 {
		t.Errorf("get(1) = %v, %v", v, ok)
	}
	if _, ok := m.get("1", now.Add(time.Second)); ok {
		t.Error("entry alive at its deadline")
	}
	// Once the entries expire, a new one sweeps them away and fits.
	later := now.Add(2 * time.Second)
	if err := m.put("new", 4, later.Add(time.Second), later); err != nil {
		t.Fatalf("put after expiry: %v", err)
	}
	if len(m.entries) != 1 {
		t.Errorf("%d entries kept, want 1", len(m.entries))
	}
	if v, ok := m.take("new", later); !ok || v != 4 {
		t.Errorf("take = %v, %v", v, ok)
	}
	if _, ok := m.take("new", later); ok {
		t.Error("take twice")
	}
}

func TestExpiringSweepsWithoutBeingFull(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	m := newExpiring[int](100)
	for i := range 10 {
		_ = m.put(strconv.Itoa(i), i, now.Add(time.Second), now)
	}
	later := now.Add(sweepEvery)
	_ = m.put("x", 0, later.Add(time.Second), later)
	if len(m.entries) != 1 {
		t.Errorf("%d entries after a sweep, want 1", len(m.entries))
	}
}
