// Package comments is the shared, threaded discussion attached to anything
// commentable: an observation, a proposal, a budget project. The component
// that owns a type of thing registers a Policy for it (who may comment, who
// may see, where the thing lives); comments never read the component's tables.
//
// Rules, in one place:
//   - Threads are at most three replies deep: a top-level comment has depth 0,
//     replies have depth 1–3. A reply to a depth-3 comment is refused with a
//     message (not silently re-attached higher up, which would misrepresent
//     whom the reply answers); the page offers no reply button there.
//   - Each comment may say whether it is in favour, neutral or against.
//   - Up/down votes, one per person per comment (a primary key), changeable.
//   - The author edits (every version kept and viewable, the comment shows
//     "edited") and deletes (a "deleted" placeholder keeps the thread shape;
//     text and versions are erased because the author asked for it).
//   - @nickname mentions of existing participants notify them in-app and by
//     email in their language, in the same transaction as the comment.
//   - Text is stored as typed and escaped on output; length is bounded; the
//     same text twice within a minute by one person, and bursts beyond the
//     rate limit, are refused.
//   - Comments are reportable (type "comment") through package moderation;
//     hidden ones and those by blocked participants show a placeholder.
package comments

import (
	"context"
	"time"

	"github.com/arengo/arengo/internal/moderation"
)

// Ref identifies a commentable thing, e.g. {"observation", 42}. It is the
// same reference moderation uses for reportable things.
type Ref = moderation.Ref

// TypeComment is the moderation type of comments themselves.
const TypeComment = "comment"

// MaxDepth is the deepest reply level.
const MaxDepth = 3

// Policy is implemented by the component owning a type of commentable thing
// (typically with authz: eligibility, the phase's comment window).
type Policy interface {
	// CanComment reports whether viewerID may comment on (and vote comments
	// of) ref now. When not, reasonKey is an i18n key explaining why
	// ("comments.closed", "…not_eligible"), shown to the participant.
	CanComment(ctx context.Context, viewerID int64, ref Ref) (ok bool, reasonKey string, err error)
	// CanView reports whether viewerID (0 for anonymous) may read ref and
	// its comments.
	CanView(ctx context.Context, viewerID int64, ref Ref) (bool, error)
	// URL is the local path of the page showing ref's comments; after a post
	// the participant is sent back there, at "#comment-N".
	URL(ctx context.Context, ref Ref) (string, error)
	// SpaceOf names the space whose moderators moderate ref's comments.
	SpaceOf(ctx context.Context, ref Ref) (spaceType string, spaceID int64, err error)
}

// Alignments a comment may declare ("" is none).
const (
	AlignNone    = ""
	AlignFavour  = "favour"
	AlignNeutral = "neutral"
	AlignAgainst = "against"
)

// ValidAlignment reports whether a is an accepted alignment.
func ValidAlignment(a string) bool {
	switch a {
	case AlignNone, AlignFavour, AlignNeutral, AlignAgainst:
		return true
	}
	return false
}

// Sort orders of the top-level comments (replies are always oldest first,
// so a conversation reads in order).
const (
	SortOldest    = "oldest"
	SortNewest    = "newest"
	SortBest      = "best"      // up minus down votes
	SortDiscussed = "discussed" // most replies, at any depth
)

// Sorts lists the orders in display order.
func Sorts() []string { return []string{SortOldest, SortNewest, SortBest, SortDiscussed} }

// ValidSort returns s when it is a known order, else SortOldest.
func ValidSort(s string) string {
	switch s {
	case SortOldest, SortNewest, SortBest, SortDiscussed:
		return s
	}
	return SortOldest
}

// PerPage is how many top-level comments a page of a thread shows, each
// with all its replies: a busy thread stays quick to load and to read, and
// a conversation is never split across pages.
const PerPage = 30

// Comment is one comment as read in a thread.
type Comment struct {
	ID             int64
	Ref            Ref
	ParentID       int64
	Depth          int
	AuthorID       int64
	AuthorNickname string
	AuthorDeleted  bool // the account was deleted: shown as "deleted participant"
	AuthorBlocked  bool
	Alignment      string
	Body           string   // empty when deleted or hidden
	Mentions       []string // nickname keys of the participants mentioned (existing ones)
	CreatedAt      time.Time
	EditedAt       time.Time
	DeletedAt      time.Time
	Up, Down       int
	ViewerVote     int    // -1, 0, 1
	HiddenReason   string // set when hidden by moderators or the author is blocked
	Replies        []*Comment
	Descendants    int
}

// Deleted reports whether the author deleted the comment.
func (c *Comment) Deleted() bool { return !c.DeletedAt.IsZero() }

// Edited reports whether the comment was changed after posting.
func (c *Comment) Edited() bool { return !c.EditedAt.IsZero() }

// Hidden reports whether moderators hid the comment (or blocked its author).
func (c *Comment) Hidden() bool { return c.HiddenReason != "" }

// Score is up minus down votes.
func (c *Comment) Score() int { return c.Up - c.Down }

// Thread is the comments on one thing, as a tree: all of them, or one page
// of top-level comments with their replies.
type Thread struct {
	Ref        Ref
	Sort       string
	Comments   []*Comment // top level, in Sort order (this page's)
	Total      int        // comments not deleted, on every page
	TopLevel   int        // top-level comments, on every page
	Page       int        // 1-based
	Pages      int
	CanComment bool
	ReasonKey  string // why the viewer cannot comment (when signed in)
	SignedIn   bool
	MaxLength  int
	ViewerID   int64
}

// Version is one stored text of a comment.
type Version struct {
	Version   int
	Body      string
	Alignment string
	CreatedAt time.Time
}

// History is a comment with all its versions, oldest first.
type History struct {
	Comment  Comment
	Versions []Version
	URL      string
}
