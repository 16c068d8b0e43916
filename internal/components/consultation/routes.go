package consultation

import "github.com/arengo/arengo/internal/component"

// mount registers every page of the tool. Public routes are below
// /processes/{slug}/c/{componentID}, admin routes below
// /admin/processes/{id}/components/{componentID}/manage.
func (m *Module) mount(mt *component.Mount) {
	h := &handlers{m: m, s: mt.Server()}
	// The two forms that carry a PDF may send more than the site's body
	// limit; every other route keeps it. (The patterns are the component
	// host's public prefix plus the suffixes below.)
	for _, p := range []string{"/paragraphs/{paragraph}/observe", "/observations/{observation}/edit"} {
		h.s.AllowLargeBody("POST /processes/{slug}/c/{componentID}"+p, m.opt.MaxAttachment+uploadOverhead)
	}
	// The document, and filing an observation on one of its paragraphs.
	mt.Public("GET", "", h.document)
	mt.Public("GET", "/paragraphs/{paragraph}/observe", h.observeForm)
	mt.Public("POST", "/paragraphs/{paragraph}/observe", h.observe)
	// Observations: list, page, the author's changes, supports.
	mt.Public("GET", "/observations", h.list)
	mt.Public("GET", "/observations/{observation}", h.show)
	mt.Public("GET", "/observations/{observation}/edit", h.editForm)
	mt.Public("POST", "/observations/{observation}/edit", h.edit)
	mt.Public("POST", "/observations/{observation}/withdraw", h.withdraw)
	mt.Public("GET", "/observations/{observation}/attachment", h.attachment)
	mt.Public("POST", "/observations/{observation}/support", h.support)
	mt.Public("POST", "/observations/{observation}/unsupport", h.unsupport)
	// Evaluators' queue and draft replies (checked against the evaluate role).
	mt.Public("GET", "/evaluate", h.queue)
	mt.Public("GET", "/evaluate/{observation}", h.replyForm)
	mt.Public("POST", "/evaluate/{observation}", h.saveReply)
	// The report for the Council, and open data.
	mt.Public("GET", "/report", h.report)
	mt.Public("GET", "/report.css", h.reportCSS)
	mt.Public("GET", "/report.csv", h.reportCSV)
	mt.Public("GET", "/opendata/{file}", h.opendata)
	// Administration.
	mt.Admin("GET", "", h.admin)
	mt.Admin("POST", "/settings", h.saveSettings)
	mt.Admin("GET", "/document", h.importForm)
	mt.Admin("POST", "/document", h.importDocument)
	mt.Admin("POST", "/attachments", h.addAttachment)
	mt.Admin("POST", "/attachments/{attachment}/delete", h.deleteAttachment)
	mt.Admin("GET", "/publish", h.publishForm)
	mt.Admin("POST", "/publish", h.publish)
}
