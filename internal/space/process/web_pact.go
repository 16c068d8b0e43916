package process

import (
	"net/http"
	"strconv"

	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/textdiff"
	"github.com/arengo/arengo/internal/web"
)

type pactSection struct {
	Key, Name string
	Text      string // Markdown, in the reader's language
}

type pactData struct {
	Process  Process
	Version  *PactVersion // nil: nothing published yet
	Sections []pactSection
	Versions []PactVersion
	IsAdmin  bool
}

func (h *Handlers) sections(r *http.Request, s Sections) []pactSection {
	locale := web.LocaleFrom(r.Context())
	out := make([]pactSection, 0, len(pactSections))
	for _, k := range pactSections {
		out = append(out, pactSection{Key: k, Name: h.t(r, "process.pact.section."+k), Text: s[k].In(locale)})
	}
	return out
}

// pact shows the latest published version of the Participation Pact and
// lists every version.
func (h *Handlers) pact(w http.ResponseWriter, r *http.Request) error {
	p, err := h.visibleProcess(r)
	if err != nil {
		return err
	}
	versions, err := h.Svc.PactVersions(r.Context(), p.ID)
	if err != nil {
		return err
	}
	d := pactData{Process: p, Versions: versions, IsAdmin: isAdmin(r)}
	if len(versions) > 0 {
		d.Version = &versions[0]
		d.Sections = h.sections(r, versions[0].Sections)
	}
	return h.S.Render(w, r, "process/pact.html", d)
}

type diffLine struct {
	Kind string // "equal", "insert", "delete"
	Text string
}

type sectionChange struct {
	pactSection
	Changed bool
	Summary string
	Lines   []diffLine
}

type pactVersionData struct {
	Process  Process
	Version  PactVersion
	Previous *PactVersion
	Sections []pactSection
	Changes  []sectionChange
	Changed  int // sections changed
	Latest   int // number of the latest version
}

// pactVersion shows version n and, section by section, what changed from
// version n-1: each line kept, removed (<del>) or added (<ins>), with the
// change also stated in words so it is never told by colour alone.
func (h *Handlers) pactVersion(w http.ResponseWriter, r *http.Request) error {
	p, err := h.visibleProcess(r)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 {
		return kernel.ErrNotFound
	}
	ctx := r.Context()
	v, err := h.Svc.PactVersion(ctx, p.ID, n)
	if err != nil {
		return err
	}
	versions, err := h.Svc.PactVersions(ctx, p.ID)
	if err != nil {
		return err
	}
	d := pactVersionData{Process: p, Version: v, Sections: h.sections(r, v.Sections), Latest: versions[0].Version}
	if n > 1 {
		prev, err := h.Svc.PactVersion(ctx, p.ID, n-1)
		if err != nil {
			return err
		}
		d.Previous = &prev
		locale := web.LocaleFrom(ctx)
		for i, k := range pactSections {
			ops := textdiff.Lines(prev.Sections[k].In(locale), v.Sections[k].In(locale))
			ins, del := textdiff.Stats(ops)
			c := sectionChange{pactSection: d.Sections[i], Changed: ins+del > 0}
			if c.Changed {
				d.Changed++
				c.Summary = h.t(r, "process.pact.diff.changed", "added", ins, "removed", del)
				for _, op := range ops {
					c.Lines = append(c.Lines, diffLine{Kind: op.Kind.String(), Text: op.Text})
				}
			} else {
				c.Summary = h.t(r, "process.pact.diff.unchanged")
			}
			d.Changes = append(d.Changes, c)
		}
	}
	return h.S.Render(w, r, "process/pact_version.html", d)
}
