// Package moderation is the shared moderation of participants' content: any
// signed-in participant reports a thing (a comment today, an observation or a
// proposal tomorrow); at a configurable number of pending reports the thing
// is hidden automatically until a moderator of its space reviews it; the
// moderator hides, restores or dismisses, and may block the author.
//
// A reportable thing is a Ref; the component that owns that type registers a
// Reportable for it (see Service.Register) and asks HiddenSet which of its
// things to show as a placeholder. Moderation never reads a component's tables.
package moderation

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Ref identifies a thing owned by some component: {"comment", 42},
// {"observation", 7}. The Type is the registered name; ID is the thing's id.
type Ref struct {
	Type string
	ID   int64
}

// String is "type:id", used as an audit target and in logs.
func (r Ref) String() string { return r.Type + ":" + strconv.FormatInt(r.ID, 10) }

// Report reasons. "other" requires details.
const (
	ReasonSpam      = "spam"
	ReasonOffensive = "offensive"
	ReasonOffTopic  = "off_topic"
	ReasonOther     = "other"
	// ReasonBlocked is not chosen by reporters: it is the placeholder reason
	// for content whose author has been blocked.
	ReasonBlocked = "blocked"
)

// Reasons lists the reasons a reporter may choose, in display order.
func Reasons() []string {
	return []string{ReasonSpam, ReasonOffensive, ReasonOffTopic, ReasonOther}
}

// ValidReason reports whether r is a reason a reporter may choose.
func ValidReason(r string) bool {
	switch r {
	case ReasonSpam, ReasonOffensive, ReasonOffTopic, ReasonOther:
		return true
	}
	return false
}

// PlaceholderKey is the i18n key of the text shown instead of content hidden
// for reason ("Contenuto nascosto dai moderatori: spam"). Components render
// it with their page's T.
func PlaceholderKey(reason string) string {
	switch reason {
	case ReasonSpam, ReasonOffensive, ReasonOffTopic, ReasonOther, ReasonBlocked:
		return "moderation.hidden." + reason
	}
	return "moderation.hidden.other"
}

// ReasonKey is the i18n key of a reason's label.
func ReasonKey(reason string) string { return "moderation.reason." + reason }

// Content is what moderators are shown about a reported thing.
type Content struct {
	AuthorID  int64  // 0 when unknown (deleted account)
	Excerpt   string // plain text as written; escaped on output
	URL       string // local path to the thing, e.g. "/processes/x/c/3#comment-42"
	SpaceType string // the space whose moderators review it
	SpaceID   int64
}

// Reportable is implemented by a component for each type of thing it lets
// participants report.
type Reportable interface {
	// Describe returns the content of the things with these IDs that exist;
	// missing IDs are simply absent from the map. One call serves a whole
	// moderation queue page, so implementations should use one query.
	Describe(ctx context.Context, ids []int64) (map[int64]Content, error)
	// CanView reports whether viewerID may see the thing: only what a
	// participant can see may be reported by them.
	CanView(ctx context.Context, viewerID int64, ref Ref) (bool, error)
}

// Hidden says why and since when a thing is hidden.
type Hidden struct {
	Reason string
	At     time.Time
}

// Item is one reported (or hidden) thing in the moderation queue.
type Item struct {
	ID             int64
	Ref            Ref
	SpaceType      string
	SpaceID        int64
	AuthorID       int64
	AuthorNickname string
	AuthorDeleted  bool
	AuthorBlocked  bool
	BlockedReason  string
	ReportsCount   int // every report ever made
	Pending        int // reports not yet reviewed
	HiddenAt       time.Time
	HiddenReason   string
	ResolvedAt     time.Time
	Resolution     string // "", "hidden", "restored", "dismissed"
	Reasons        []ReasonCount
	Details        []string // the "other" reports' explanations, oldest first
	Content        Content
	Missing        bool // the thing no longer exists
}

// Hidden reports whether the item's content is hidden.
func (it Item) IsHidden() bool { return !it.HiddenAt.IsZero() }

// Open reports whether the item awaits a moderator.
func (it Item) Open() bool { return it.ResolvedAt.IsZero() }

// ReasonCount is how many pending reports gave one reason.
type ReasonCount struct {
	Reason string
	Count  int
}

// Queue states.
const (
	StateOpen     = "open"     // awaiting review (hidden automatically or not)
	StateHidden   = "hidden"   // hidden, whether reviewed or not
	StateResolved = "resolved" // reviewed
)

// QueueFilter narrows the queue.
type QueueFilter struct {
	SpaceType string // "" for every space the moderator moderates
	SpaceID   int64
	State     string // StateOpen by default
	Limit     int    // default 50
}

func (f QueueFilter) validState() string {
	switch f.State {
	case StateOpen, StateHidden, StateResolved:
		return f.State
	}
	return StateOpen
}

// errorf wraps err with the package prefix.
func errorf(format string, args ...any) error { return fmt.Errorf("moderation: "+format, args...) }
