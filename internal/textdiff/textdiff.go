// Package textdiff compares two texts line by line or word by word and
// returns the edit as a list of operations, for showing "what changed"
// between versions of a document (Pact versions, proposed wording of an
// observation). It uses a longest-common-subsequence table, which is exact
// and plenty fast for documents of a few thousand lines.
package textdiff

import (
	"strings"
	"unicode"
)

// Kind says what happened to a piece of text.
type Kind int

// The kinds of operation.
const (
	Equal Kind = iota
	Insert
	Delete
)

// String names the kind (for templates and tests).
func (k Kind) String() string {
	switch k {
	case Insert:
		return "insert"
	case Delete:
		return "delete"
	default:
		return "equal"
	}
}

// Op is one run of text that is kept, inserted or deleted. For a line diff
// Text holds one line without its newline; for a word diff it holds a run of
// words and the spaces between them.
type Op struct {
	Kind Kind
	Text string
}

// maxCells bounds the LCS table (len(a)×len(b) after trimming the common
// prefix and suffix). Beyond it the middle is reported as wholly replaced:
// still correct, just less precise, and memory stays bounded.
const maxCells = 4_000_000

// Lines diffs a and b line by line. Line endings are normalised ("\r\n" and
// "\r" count as "\n").
func Lines(a, b string) []Op {
	return diff(splitLines(a), splitLines(b), false)
}

// Words diffs a and b word by word; whitespace runs are tokens too, so
// joining the Text of the Equal and Insert ops gives b back exactly.
func Words(a, b string) []Op {
	return diff(splitWords(a), splitWords(b), true)
}

// Stats counts the inserted and deleted ops: lines for Lines, runs of
// words for Words.
func Stats(ops []Op) (inserted, deleted int) {
	for _, op := range ops {
		switch op.Kind {
		case Insert:
			inserted++
		case Delete:
			deleted++
		}
	}
	return inserted, deleted
}

// Changed reports whether ops contain any insertion or deletion.
func Changed(ops []Op) bool {
	i, d := Stats(ops)
	return i+d > 0
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// splitWords cuts s into runs of letters and digits, runs of spaces, and
// single punctuation marks, so "residenti," → "residenti", ",".
func splitWords(s string) []string {
	var out []string
	start := 0
	prev := -1
	for i, r := range s {
		c := class(r)
		if i > 0 && (c != prev || c == punct) {
			out = append(out, s[start:i])
			start = i
		}
		prev = c
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

const (
	space = iota
	word
	punct
)

func class(r rune) int {
	switch {
	case unicode.IsSpace(r):
		return space
	case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
		return word
	default:
		return punct
	}
}

func diff(a, b []string, merge bool) []Op {
	// Trim the common prefix and suffix: edits are usually local, and this
	// keeps the table small.
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var ops []Op
	for _, t := range a[:pre] {
		ops = append(ops, Op{Equal, t})
	}
	ops = append(ops, lcs(a[pre:len(a)-suf], b[pre:len(b)-suf])...)
	for _, t := range a[len(a)-suf:] {
		ops = append(ops, Op{Equal, t})
	}
	if merge {
		return mergeRuns(absorbSpaces(ops))
	}
	return ops
}

// absorbSpaces folds a lone kept space between two changes into the change,
// so "30 giugno" → "15 luglio" reads as one replacement rather than two.
// Within each changed region deletions are put before insertions.
func absorbSpaces(ops []Op) []Op {
	var out, del, ins []Op
	flush := func() {
		out = append(out, del...)
		out = append(out, ins...)
		del, ins = del[:0], ins[:0]
	}
	for i, op := range ops {
		kind := op.Kind
		if kind == Equal && strings.TrimSpace(op.Text) == "" && i > 0 && i+1 < len(ops) &&
			ops[i-1].Kind != Equal && ops[i+1].Kind != Equal {
			del = append(del, Op{Delete, op.Text})
			ins = append(ins, Op{Insert, op.Text})
			continue
		}
		switch kind {
		case Delete:
			del = append(del, op)
		case Insert:
			ins = append(ins, op)
		default:
			flush()
			out = append(out, op)
		}
	}
	flush()
	return out
}

// lcs returns the edit script from a to b. Deletions come before insertions
// within a changed region, the order readers expect ("was …, now …").
func lcs(a, b []string) []Op {
	n, m := len(a), len(b)
	if n == 0 && m == 0 {
		return nil
	}
	if n*m > maxCells || n == 0 || m == 0 {
		ops := make([]Op, 0, n+m)
		for _, t := range a {
			ops = append(ops, Op{Delete, t})
		}
		for _, t := range b {
			ops = append(ops, Op{Insert, t})
		}
		return ops
	}
	// t[i][j] = length of the LCS of a[i:] and b[j:].
	w := m + 1
	t := make([]int32, (n+1)*w)
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				t[i*w+j] = t[(i+1)*w+j+1] + 1
			} else if t[(i+1)*w+j] >= t[i*w+j+1] {
				t[i*w+j] = t[(i+1)*w+j]
			} else {
				t[i*w+j] = t[i*w+j+1]
			}
		}
	}
	ops := make([]Op, 0, n+m)
	var ins []Op
	flush := func() { ops = append(ops, ins...); ins = ins[:0] }
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case a[i] == b[j]:
			flush()
			ops = append(ops, Op{Equal, a[i]})
			i++
			j++
		case t[(i+1)*w+j] >= t[i*w+j+1]:
			ops = append(ops, Op{Delete, a[i]})
			i++
		default:
			ins = append(ins, Op{Insert, b[j]})
			j++
		}
	}
	for ; i < n; i++ {
		ops = append(ops, Op{Delete, a[i]})
	}
	flush()
	for ; j < m; j++ {
		ops = append(ops, Op{Insert, b[j]})
	}
	return ops
}

// mergeRuns joins consecutive ops of the same kind (word diffs read better
// as "<del>two words</del>" than as one element per token).
func mergeRuns(ops []Op) []Op {
	var out []Op
	for _, op := range ops {
		if n := len(out); n > 0 && out[n-1].Kind == op.Kind {
			out[n-1].Text += op.Text
			continue
		}
		out = append(out, op)
	}
	return out
}
