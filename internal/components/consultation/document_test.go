package consultation

import (
	"strings"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/kernel"
)

func TestParseDocument(t *testing.T) {
	src := "Premessa generale del piano.\n\n# Piano Aria e Clima\n\n## Art. 3 – Riscaldamento | Heating\n\n1. Primo comma\nsu due righe.\n\n3) Terzo comma.\n\nQuarto senza numero.\n\n## Disposizioni finali\n\nUltimo."
	secs, err := ParseDocument(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(secs) != 3 {
		t.Fatalf("sections: %+v", secs)
	}
	pre, art, fin := secs[0], secs[1], secs[2]
	if pre.Number != 0 || len(pre.Paragraphs) != 1 {
		t.Fatalf("preamble: %+v", pre)
	}
	if art.Number != 3 || art.Label != "Art. 3" || art.Title[kernel.LocaleIT] != "Riscaldamento" || art.Title[kernel.LocaleEN] != "Heating" {
		t.Fatalf("article: %+v", art)
	}
	var nums []int
	for _, p := range art.Paragraphs {
		nums = append(nums, p.Number)
	}
	if len(nums) != 3 || nums[0] != 1 || nums[1] != 3 || nums[2] != 4 || art.Paragraphs[0].Body != "Primo comma\nsu due righe." {
		t.Fatalf("paragraph numbers %v: %+v", nums, art.Paragraphs)
	}
	if fin.Number != 4 || fin.Label != "" || fin.Title[kernel.LocaleIT] != "Disposizioni finali" {
		t.Fatalf("unnumbered section follows the previous number: %+v", fin)
	}
}

func TestParseDocumentRefusals(t *testing.T) {
	for _, c := range []struct{ src, key string }{
		{"", "consultation.error.document_required"},
		{"   \n\n  ", "consultation.error.document_required"},
		{"# Solo un titolo\n\n## Altro titolo", "consultation.error.document_empty"},
		{"## Art. 1\n\n1. a\n\n1. b", "consultation.error.paragraph_duplicate"},
		{"## Art. 1\n\na\n\n## Art. 1\n\nb", "consultation.error.section_duplicate"},
		{"## Art. 1\n\n" + strings.Repeat("x", MaxParagraphLength+1), "consultation.error.paragraph_too_long"},
		{"## Art. 1\n\na\x00b", "consultation.error.document_binary"},
		{"## Art. 1\n\n\xff\xfe", "error.bad_encoding"},
		{strings.Repeat("x", MaxDocumentBytes+1), "consultation.error.document_too_big"},
	} {
		_, err := ParseDocument(c.src)
		ie, ok := kernel.AsInvalid(err)
		if !ok || ie.Fields[0].Key != c.key || ie.Fields[0].Field != "document" {
			t.Errorf("%.40q: got %v, want %s", c.src, err, c.key)
		}
	}
}

func FuzzParseDocument(f *testing.F) {
	f.Add("## Art. 1 – Mobilità | Mobility\n\n1. Testo.\n\n2) Altro.")
	f.Add("# T\n\n## Art. 2\n\nx\n\n## y\n\n3. z")
	f.Fuzz(func(t *testing.T, src string) {
		secs, err := ParseDocument(src)
		if err != nil {
			if _, ok := kernel.AsInvalid(err); !ok {
				t.Fatalf("non-field error: %v", err)
			}
			return
		}
		seen := map[int]bool{}
		for _, s := range secs {
			if seen[s.Number] || len(s.Paragraphs) == 0 {
				t.Fatalf("duplicate or empty section: %+v", s)
			}
			seen[s.Number] = true
			ps := map[int]bool{}
			for _, p := range s.Paragraphs {
				if ps[p.Number] || strings.TrimSpace(p.Body) == "" {
					t.Fatalf("duplicate or empty paragraph: %+v", p)
				}
				ps[p.Number] = true
			}
		}
	})
}

func TestDiffHTMLEscapes(t *testing.T) {
	got := string(diffHTML("Il <b>Comune</b> estende", "Il <script>x</script> Comune estende", func(k string) string { return k }))
	if strings.Contains(got, "<script>") || strings.Contains(got, "<b>") || !strings.Contains(got, "<ins>") || !strings.Contains(got, "<del>") {
		t.Fatalf("diff: %s", got)
	}
}

func TestPublicationDecidedDate(t *testing.T) {
	p := Publication{DecidedOn: "2026-11-20"}
	if d := p.DecidedDate(); d.Year() != 2026 || d.Month() != 11 || d.Day() != 20 {
		t.Fatalf("decided date: %v", d)
	}
	if d := p.DecidedDate().In(time.FixedZone("CET", 3600)); d.Day() != 20 {
		t.Fatalf("decided date shifts day in Italy: %v", d)
	}
	if !(Publication{}).DecidedDate().IsZero() || !(Publication{DecidedOn: "20/11/2026"}).DecidedDate().IsZero() {
		t.Fatal("missing or malformed date should be zero")
	}
}
