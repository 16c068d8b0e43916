package comments

import (
	"html/template"
	"regexp"
	"strings"

	"github.com/arengo/arengo/internal/identity"
)

// mentionRe finds "@nickname" not preceded by a word character (so an
// email address is not a mention). Nicknames are letters, digits, ".", "-", "_".
var mentionRe = regexp.MustCompile(`(^|[^\p{L}\p{N}_.@-])@([\p{L}\p{N}._-]{3,40})`)

// paraRe splits paragraphs at blank lines.
var paraRe = regexp.MustCompile(`\n\s*\n`)

// maxMentions bounds how many people one comment can notify.
const maxMentions = 10

// mentionCandidates returns the nickname keys a body may mention: each token
// as written and without trailing punctuation ("@giulia.m." ends a sentence).
func mentionCandidates(body string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(k string) {
		if len([]rune(k)) >= identity.MinNicknameLen && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for _, m := range mentionRe.FindAllStringSubmatch(body, -1) {
		tok := m[2]
		add(identity.NicknameKey(tok))
		add(identity.NicknameKey(strings.TrimRight(tok, ".-_")))
	}
	return out
}

// renderBody escapes body, highlights mentions of existing participants and
// turns blank lines into paragraphs and line breaks into <br>.
func renderBody(body string, mentions []string) template.HTML {
	known := map[string]bool{}
	for _, k := range mentions {
		known[k] = true
	}
	var b strings.Builder
	paras := paraRe.Split(strings.ReplaceAll(body, "\r\n", "\n"), -1)
	for _, p := range paras {
		p = strings.Trim(p, "\n")
		if strings.TrimSpace(p) == "" {
			continue
		}
		b.WriteString("<p>")
		for i, line := range strings.Split(p, "\n") {
			if i > 0 {
				b.WriteString("<br>")
			}
			writeLine(&b, line, known)
		}
		b.WriteString("</p>")
	}
	return template.HTML(b.String())
}

func writeLine(b *strings.Builder, line string, known map[string]bool) {
	last := 0
	for _, loc := range mentionRe.FindAllStringSubmatchIndex(line, -1) {
		start, end := loc[4], loc[5] // the nickname group
		tok := line[start:end]
		key := identity.NicknameKey(tok)
		if !known[key] {
			trimmed := strings.TrimRight(tok, ".-_")
			key = identity.NicknameKey(trimmed)
			if !known[key] {
				continue
			}
			end = start + len(trimmed)
		}
		at := start - 1 // the "@"
		b.WriteString(template.HTMLEscapeString(line[last:at]))
		b.WriteString(`<strong class="mention">@` + template.HTMLEscapeString(line[start:end]) + `</strong>`)
		last = end
	}
	b.WriteString(template.HTMLEscapeString(line[last:]))
}

// excerpt shortens text to n runes on a word boundary.
func excerpt(text string, n int) string {
	text = strings.Join(strings.Fields(text), " ")
	r := []rune(text)
	if len(r) <= n {
		return text
	}
	cut := string(r[:n])
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return cut + "…"
}
