package consultation

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/arengo/arengo/internal/kernel"
)

// Limits of an imported document. A plan like Milan's Air and Climate Plan
// has a few hundred paragraphs; the bounds keep a mistaken upload (a whole
// book, a binary file) from filling the database.
const (
	MaxDocumentBytes   = 900 << 10 // under the server's 1 MB body limit
	MaxSections        = 500
	MaxParagraphs      = 3000
	MaxParagraphLength = 20000 // characters
	MaxHeadingLength   = 300
)

// ParsedSection is one section of an imported document: an article
// ("Art. 3 – Riscaldamento") with its numbered paragraphs (commi).
type ParsedSection struct {
	Number     int
	Label      string      // "Art. 3"; empty when the heading names no number
	Title      kernel.Text // "Riscaldamento" / "Heating"
	Paragraphs []ParsedParagraph
	Line       int
}

// ParsedParagraph is one numbered paragraph (comma).
type ParsedParagraph struct {
	Number int
	Body   string
	Line   int
}

var (
	headingRe = regexp.MustCompile(`^(#{1,2})[ \t]+(.*?)[ \t#]*$`)
	// "Art. 3 – Title", "Articolo 3: Title", "ART 3 Title".
	articleRe = regexp.MustCompile(`^(?i:art(?:icolo|\.)?)[ \t]*(\d{1,4})(?:[ \t]*[-–—:.][ \t]*|[ \t]+|$)(.*)$`)
	// "2. Il Comune…" or "2) Il Comune…": the paragraph keeps its own number.
	numberRe = regexp.MustCompile(`^(\d{1,4})[.)][ \t]+`)
)

// ParseDocument splits Markdown or plain text into sections and numbered
// paragraphs. "#" and "##" headings start sections; a heading like
// "Art. 3 – Riscaldamento | Heating" gives the section its number (3), its
// label ("Art. 3"), its Italian title and, after " | ", its English title.
// Paragraphs are separated by blank lines; one starting with "2." or "2)"
// keeps that number, others follow the previous one. Text before the
// first heading forms a preamble section numbered 0. Sections without
// paragraphs (a document title) are dropped. Problems are field errors on
// "document" naming the line.
func ParseDocument(src string) ([]ParsedSection, error) {
	var v kernel.Validator
	switch {
	case strings.TrimSpace(src) == "":
		return nil, kernel.Invalid("document", "consultation.error.document_required")
	case len(src) > MaxDocumentBytes:
		return nil, kernel.Invalid("document", "consultation.error.document_too_big", "max", MaxDocumentBytes>>10)
	case !utf8.ValidString(src):
		return nil, kernel.Invalid("document", "error.bad_encoding")
	case strings.ContainsRune(src, 0):
		return nil, kernel.Invalid("document", "consultation.error.document_binary")
	}
	src = strings.ReplaceAll(strings.ReplaceAll(src, "\r\n", "\n"), "\r", "\n")
	lines := strings.Split(src, "\n")

	var sections []ParsedSection
	var cur *ParsedSection
	var para []string
	paraLine := 0
	usedSection := map[int]int{} // number → line
	usedPara := map[int]int{}
	lastSection := 0

	flush := func() {
		if len(para) == 0 {
			return
		}
		text := strings.TrimSpace(strings.Join(para, "\n"))
		para = nil
		if text == "" {
			return
		}
		if cur == nil {
			sections = append(sections, ParsedSection{Number: 0, Line: paraLine})
			cur = &sections[len(sections)-1]
			usedSection[0] = paraLine
		}
		n := 1
		if len(cur.Paragraphs) > 0 {
			n = cur.Paragraphs[len(cur.Paragraphs)-1].Number + 1
		}
		if m := numberRe.FindStringSubmatch(text); m != nil {
			n, _ = strconv.Atoi(m[1])
			text = strings.TrimSpace(text[len(m[0]):])
		}
		if prev, dup := usedPara[n]; dup && !v.Has("document") {
			v.Add("document", "consultation.error.paragraph_duplicate", "line", paraLine, "n", n, "first", prev)
		}
		usedPara[n] = paraLine
		if utf8.RuneCountInString(text) > MaxParagraphLength && !v.Has("document") {
			v.Add("document", "consultation.error.paragraph_too_long", "line", paraLine, "max", MaxParagraphLength)
		}
		cur.Paragraphs = append(cur.Paragraphs, ParsedParagraph{Number: n, Body: text, Line: paraLine})
	}

	for i, line := range lines {
		lineNo := i + 1
		if m := headingRe.FindStringSubmatch(line); m != nil {
			flush()
			heading := strings.TrimSpace(m[2])
			if heading == "" {
				continue
			}
			if utf8.RuneCountInString(heading) > MaxHeadingLength && !v.Has("document") {
				v.Add("document", "consultation.error.heading_too_long", "line", lineNo, "max", MaxHeadingLength)
			}
			s := ParsedSection{Number: lastSection + 1, Line: lineNo, Title: kernel.Text{}}
			it, en, _ := strings.Cut(heading, " | ")
			if am := articleRe.FindStringSubmatch(strings.TrimSpace(it)); am != nil {
				s.Number, _ = strconv.Atoi(am[1])
				s.Label = "Art. " + am[1]
				it = am[2]
			}
			if t := strings.TrimSpace(it); t != "" {
				s.Title[kernel.LocaleIT] = t
			}
			if t := strings.TrimSpace(en); t != "" {
				s.Title[kernel.LocaleEN] = t
			}
			// Drop the previous section when it was only a title.
			if cur != nil && len(cur.Paragraphs) == 0 {
				delete(usedSection, cur.Number)
				sections = sections[:len(sections)-1]
			}
			if prev, dup := usedSection[s.Number]; dup && !v.Has("document") {
				v.Add("document", "consultation.error.section_duplicate", "line", lineNo, "n", s.Number, "first", prev)
			}
			usedSection[s.Number] = lineNo
			lastSection = s.Number
			sections = append(sections, s)
			cur = &sections[len(sections)-1]
			usedPara = map[int]int{}
			continue
		}
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		if len(para) == 0 {
			paraLine = lineNo
		}
		para = append(para, strings.TrimRight(line, " \t"))
	}
	flush()
	if cur != nil && len(cur.Paragraphs) == 0 {
		sections = sections[:len(sections)-1]
	}

	total := 0
	for _, s := range sections {
		total += len(s.Paragraphs)
	}
	switch {
	case total == 0 && !v.Has("document"):
		v.Add("document", "consultation.error.document_empty")
	case len(sections) > MaxSections && !v.Has("document"):
		v.Add("document", "consultation.error.too_many_sections", "max", MaxSections)
	case total > MaxParagraphs && !v.Has("document"):
		v.Add("document", "consultation.error.too_many_paragraphs", "max", MaxParagraphs)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return sections, nil
}
