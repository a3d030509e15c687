package problem_test

import (
	"errors"
	"fmt"
	"testing"

	"procura/problem"
)

var errTaken = problem.New(problem.Conflict, "Déjà pris.")

func TestCodeAndMessageThroughWrapping(t *testing.T) {
	detailed := problem.Errorf(problem.Conflict, "Déjà pris.", "row %d: %w", 7, errors.New("unique violation"))
	wrapped := fmt.Errorf("creating: %w", detailed)
	if problem.CodeOf(wrapped) != problem.Conflict || problem.MessageOf(wrapped) != "Déjà pris." {
		t.Errorf("code %s, message %q", problem.CodeOf(wrapped), problem.MessageOf(wrapped))
	}
	if !errors.Is(wrapped, errTaken) {
		t.Error("a problem with the same code and message is not errors.Is the sentinel")
	}
	if errors.Is(wrapped, problem.New(problem.Conflict, "Autre.")) {
		t.Error("a problem with another message matched")
	}
	plain := errors.New("disk full")
	if problem.CodeOf(plain) != problem.Internal || problem.MessageOf(plain) == plain.Error() {
		t.Errorf("a plain error leaks: code %s, message %q", problem.CodeOf(plain), problem.MessageOf(plain))
	}
}
