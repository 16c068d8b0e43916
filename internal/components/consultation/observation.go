package consultation

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/arengo/arengo/internal/kernel"
)

// TypeObservation names observations to comments and moderation: an
// observation is commentable and reportable as ("observation", id).
const TypeObservation = "observation"

// Kinds of observation.
const (
	KindModify  = "modify"  // change the paragraph's wording
	KindAdd     = "add"     // add text to it
	KindDelete  = "delete"  // remove it
	KindGeneral = "general" // a remark without a precise change
)

// Kinds lists the kinds in display order.
func Kinds() []string { return []string{KindModify, KindAdd, KindDelete, KindGeneral} }

// ValidKind reports whether k is a kind.
func ValidKind(k string) bool {
	for _, x := range Kinds() {
		if x == k {
			return true
		}
	}
	return false
}

// KindTakesWording reports whether an observation of kind k may propose
// new wording (a deletion or a general remark has none).
func KindTakesWording(k string) bool { return k == KindModify || k == KindAdd }

// Statuses of an observation as stored. "Answered" is not a stored status:
// it is a filed observation whose reply has been published.
const (
	StatusFiled     = "filed"
	StatusWithdrawn = "withdrawn"
	StatusAnswered  = "answered" // list filter only
)

// Outcomes of an official reply. Their labels are configurable per
// consultation (defaults: accolta, parzialmente accolta, respinta, non
// pertinente).
const (
	OutcomeAccepted    = "accepted"
	OutcomePartly      = "partly_accepted"
	OutcomeRejected    = "rejected"
	OutcomeNotRelevant = "not_relevant"
)

// Outcomes lists the outcomes in display order.
func Outcomes() []string {
	return []string{OutcomeAccepted, OutcomePartly, OutcomeRejected, OutcomeNotRelevant}
}

// ValidOutcome reports whether o is an outcome.
func ValidOutcome(o string) bool {
	for _, x := range Outcomes() {
		if x == o {
			return true
		}
	}
	return false
}

// Defaults of a new consultation.
const (
	DefaultPrefix    = "OSS"
	DefaultMaxLength = 5000
	MaxMaxLength     = 20000
	MaxReplyLength   = 10000
	MaxOfficeLength  = 200
	MaxNoteLength    = 2000
)

// Consultation is a consultation component's own configuration and state.
type Consultation struct {
	ComponentID     int64
	ProtocolPrefix  string
	MaxLength       int
	OutcomeLabels   map[string]kernel.Text // custom labels; missing → the catalog's default
	DocumentVersion int
	DocumentTitle   kernel.Text
	UpdatedAt       time.Time
}

// Section is an article of the current document.
type Section struct {
	ID         int64
	Number     int
	Label      string
	Title      kernel.Text
	Position   int
	Retired    bool
	Paragraphs []*Paragraph
}

// Heading is "Art. 3 – Riscaldamento" in locale.
func (s *Section) Heading(locale string) string {
	t := s.Title.In(locale)
	switch {
	case s.Label != "" && t != "":
		return s.Label + " – " + t
	case s.Label != "":
		return s.Label
	case t != "":
		return t
	}
	return "§ " + strconv.Itoa(s.Number)
}

// Short is how a paragraph reference names the section: "Art. 3", or its title.
func (s *Section) Short(locale string) string {
	if s.Label != "" {
		return s.Label
	}
	return s.Heading(locale)
}

// Paragraph is one numbered paragraph (comma) of a section.
type Paragraph struct {
	ID             int64
	SectionID      int64
	Number         int
	Body           string
	Position       int
	AddedVersion   int
	ChangedVersion int
	Retired        bool
	Section        *Section
	// Filled on the document page: observations not withdrawn, and of
	// them those answered, by outcome.
	Observations int
	Outcomes     map[string]int
}

// Anchor is the paragraph's fragment id on the document page.
func (p *Paragraph) Anchor() string { return "p-" + strconv.FormatInt(p.ID, 10) }

// Observation is a formal observation on a paragraph.
type Observation struct {
	ID             int64
	ComponentID    int64
	ParagraphID    int64
	SectionID      int64
	Protocol       string
	AuthorID       int64
	AuthorNickname string // "" when the account was deleted
	AuthorBlocked  bool
	Kind           string
	Body           string
	Proposed       string
	ParagraphText  string // the paragraph as it read when the observation was filed
	Version        int
	Supports       int
	Comments       int
	Status         string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	WithdrawnAt    time.Time
	// Where it was filed.
	SectionNumber   int
	SectionLabel    string
	SectionTitle    kernel.Text
	ParagraphNumber int
	// Reply is the published reply, or for evaluators the draft (see
	// ReplyPublished).
	Reply        *Reply
	HiddenReason string // set when moderators hid it or its author is blocked
	// The attached PDF, if any (its bytes are read only for download).
	AttachmentName   string
	AttachmentSize   int64
	AttachmentSHA256 string
}

// Withdrawn reports whether the author withdrew the observation.
// AttachmentKB is the attachment's size in kilobytes, rounded up.
func (o *Observation) AttachmentKB() int64 { return (o.AttachmentSize + 1023) / 1024 }

func (o *Observation) Withdrawn() bool { return o.Status == StatusWithdrawn }

// Answered reports whether its official reply has been published.
func (o *Observation) Answered() bool { return o.Reply != nil && o.Reply.Published() }

// Hidden reports whether a placeholder replaces the observation.
func (o *Observation) Hidden() bool { return o.HiddenReason != "" }

// Section returns a Section value for headings and references.
func (o *Observation) Section() *Section {
	return &Section{ID: o.SectionID, Number: o.SectionNumber, Label: o.SectionLabel, Title: o.SectionTitle}
}

// Reply is an official reply (controdeduzione) to an observation.
type Reply struct {
	ObservationID int64
	Outcome       string
	Body          string
	Office        string
	DraftedBy     int64
	DraftedAt     time.Time
	UpdatedAt     time.Time
	PublishedAt   time.Time
}

// Published reports whether the reply is public.
func (r *Reply) Published() bool { return r != nil && !r.PublishedAt.IsZero() }

// Version is one stored text of an observation.
type Version struct {
	Version   int
	Kind      string
	Body      string
	Proposed  string
	CreatedAt time.Time
}

// Attachment is a document linked to the consultation (a PDF of the plan).
type Attachment struct {
	ID       int64
	Title    kernel.Text
	URL      string
	Position int
}

// Publication is one act publishing replies together.
type Publication struct {
	ID          int64
	Note        string
	DecidedOn   string // YYYY-MM-DD, the date of the decision (e.g. the Council's approval)
	Count       int
	PublishedAt time.Time
}

// DecidedDate is DecidedOn as a time (midday UTC, so the day is the same in
// Italy), for formatting in the reader's language; zero when not given.
func (p Publication) DecidedDate() time.Time {
	t, err := time.Parse("2006-01-02", p.DecidedOn)
	if err != nil {
		return time.Time{}
	}
	return t.Add(12 * time.Hour)
}

// ObservationInput is what a participant submits.
type ObservationInput struct {
	Kind     string
	Body     string
	Proposed string
	// Attachment is a newly chosen file (nil: none chosen). On edit, nil
	// keeps the current one unless RemoveAttachment is set.
	Attachment       *Upload
	RemoveAttachment bool
}

// normalizeText trims and unifies line ends; everything else is kept as
// typed and escaped on output.
func normalizeText(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n"))
}

// validate checks an observation against the consultation's limits and
// returns it normalised. A proposed wording identical to the paragraph is
// no proposal at all (the form starts pre-filled with the paragraph).
func (in ObservationInput) validate(v *kernel.Validator, maxLen int, paragraph string) ObservationInput {
	out := ObservationInput{Kind: in.Kind, Body: normalizeText(in.Body), Proposed: normalizeText(in.Proposed),
		Attachment: in.Attachment, RemoveAttachment: in.RemoveAttachment}
	if out.Proposed == normalizeText(paragraph) {
		out.Proposed = ""
	}
	if !ValidKind(out.Kind) {
		v.Add("kind", "consultation.error.kind_invalid")
	}
	switch n := utf8.RuneCountInString(out.Body); {
	case n == 0:
		v.Add("body", "consultation.error.body_required")
	case n > maxLen:
		v.Add("body", "consultation.error.body_too_long", "max", maxLen, "n", n)
	}
	if out.Proposed != "" {
		switch n := utf8.RuneCountInString(out.Proposed); {
		case ValidKind(out.Kind) && !KindTakesWording(out.Kind):
			v.Add("proposed", "consultation.error.proposed_not_allowed")
		case n > maxLen:
			v.Add("proposed", "consultation.error.proposed_too_long", "max", maxLen, "n", n)
		}
	}
	for _, s := range []struct{ field, text string }{{"body", out.Body}, {"proposed", out.Proposed}} {
		if strings.ContainsRune(s.text, 0) && !v.Has(s.field) {
			v.Add(s.field, "consultation.error.control_chars")
		}
	}
	return out
}

// FormatProtocol is "PAC-2026-000123".
func FormatProtocol(prefix string, year, n int) string {
	return fmt.Sprintf("%s-%d-%06d", prefix, year, n)
}
