package textdiff

import (
	"strings"
	"testing"
)

// rebuild returns the old and new texts an edit script describes.
func rebuild(ops []Op, sep string) (a, b string) {
	var as, bs []string
	for _, op := range ops {
		if op.Kind != Insert {
			as = append(as, op.Text)
		}
		if op.Kind != Delete {
			bs = append(bs, op.Text)
		}
	}
	return strings.Join(as, sep), strings.Join(bs, sep)
}

func render(ops []Op) string {
	var b strings.Builder
	for _, op := range ops {
		switch op.Kind {
		case Insert:
			b.WriteString("+" + op.Text + "|")
		case Delete:
			b.WriteString("-" + op.Text + "|")
		default:
			b.WriteString(" " + op.Text + "|")
		}
	}
	return b.String()
}

func TestLines(t *testing.T) {
	cases := []struct{ name, a, b, want string }{
		{"identical", "uno\ndue", "uno\ndue", " uno| due|"},
		{"both empty", "", "", ""},
		{"from empty", "", "uno\ndue", "+uno|+due|"},
		{"to empty", "uno", "", "-uno|"},
		{"changed middle line", "a\nb\nc", "a\nB\nc", " a|-b|+B| c|"},
		{"insert and delete", "a\nb\nc\nd", "a\nc\nd\ne", " a|-b| c| d|+e|"},
		{"crlf equals lf", "a\r\nb\r\n", "a\nb", " a| b|"},
		{"replaced block keeps deletions first", "x\ny\nz", "p\nq", "-x|-y|-z|+p|+q|"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := render(Lines(c.a, c.b))
			if got != c.want {
				t.Fatalf("Lines(%q, %q) = %q, want %q", c.a, c.b, got, c.want)
			}
		})
	}
}

func TestWordsRoundTrip(t *testing.T) {
	a := "Possono partecipare le persone residenti a Milano con almeno 16 anni."
	b := "Possono partecipare le persone residenti, domiciliate o che lavorano a Milano con almeno 16 anni."
	ops := Words(a, b)
	gotA, gotB := rebuild(ops, "")
	if gotA != a || gotB != b {
		t.Fatalf("round trip failed:\n%q\n%q", gotA, gotB)
	}
	ins, del := Stats(ops)
	if ins != 1 || del != 0 {
		t.Fatalf("expected one insertion, got +%d -%d: %s", ins, del, render(ops))
	}
	if !strings.Contains(render(ops), "+, domiciliate o che lavorano|") {
		t.Fatalf("unexpected word diff: %s", render(ops))
	}
	ops = Words("entro il 30 giugno 2026.", "entro il 15 luglio 2026.")
	if got := render(ops); got != " entro il |-30 giugno|+15 luglio|  2026.|" {
		t.Fatalf("replacement: %s", got)
	}
	if Changed(Words(a, a)) {
		t.Fatal("identical texts reported as changed")
	}
}

func TestLinesLargeInputFallsBack(t *testing.T) {
	var a, b []string
	for i := 0; i < 3000; i++ {
		a = append(a, "riga a "+strings.Repeat("x", i%7)+string(rune('a'+i%26)))
		b = append(b, "riga b "+strings.Repeat("y", i%5)+string(rune('a'+i%26)))
	}
	ops := Lines(strings.Join(a, "\n"), strings.Join(b, "\n"))
	gotA, gotB := rebuild(ops, "\n")
	if gotA != strings.Join(a, "\n") || gotB != strings.Join(b, "\n") {
		t.Fatal("fallback diff does not rebuild the texts")
	}
}

func FuzzLines(f *testing.F) {
	f.Add("a\nb\nc", "a\nc\nd")
	f.Add("", "x")
	f.Fuzz(func(t *testing.T, a, b string) {
		ops := Lines(a, b)
		gotA, gotB := rebuild(ops, "\n")
		if want := strings.Join(splitLines(a), "\n"); gotA != want {
			t.Fatalf("old text: %q want %q", gotA, want)
		}
		if want := strings.Join(splitLines(b), "\n"); gotB != want {
			t.Fatalf("new text: %q want %q", gotB, want)
		}
	})
}

func FuzzWords(f *testing.F) {
	f.Add("uno due tre", "uno tre quattro")
	f.Fuzz(func(t *testing.T, a, b string) {
		gotA, gotB := rebuild(Words(a, b), "")
		if gotA != a || gotB != b {
			t.Fatalf("round trip: %q %q", gotA, gotB)
		}
	})
}
