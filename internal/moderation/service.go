package moderation

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/arengo/arengo/internal/audit"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/i18n"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/mail"
	"github.com/arengo/arengo/internal/ratelimit"
)

// Audit actions, shown in the audit log as "audit.action.<action>".
const (
	actionReport   = "moderation.report"
	actionAutoHide = "moderation.auto_hide"
	actionHide     = "moderation.hide"
	actionRestore  = "moderation.restore"
	actionDismiss  = "moderation.dismiss"
	actionBlock    = "moderation.block"
	actionUnblock  = "moderation.unblock"
)

// Options tune moderation.
type Options struct {
	HideThreshold int            // pending reports that hide a thing automatically; default 3
	MaxDetails    int            // characters of a report's details and of a block reason; default 1,000
	ReportLimit   ratelimit.Rule // reports per participant; default 20 per hour
	BaseURL       string         // absolute links in emails
	OrgName       string         // email signature
}

// SessionEnder signs a participant out everywhere (identity.Service does).
type SessionEnder interface {
	DeleteUserSessions(ctx context.Context, q db.Querier, userID int64) error
}

// Service holds the moderation rules.
type Service struct {
	db       *db.DB
	st       *store
	clock    kernel.Clock
	cat      *i18n.Catalog
	limiter  *ratelimit.Limiter
	sessions SessionEnder
	opt      Options

	mu    sync.RWMutex
	types map[string]Reportable
}

// NewService returns the service. Register each reportable type before use.
func NewService(d *db.DB, clock kernel.Clock, cat *i18n.Catalog, limiter *ratelimit.Limiter, sessions SessionEnder, opt Options) *Service {
	if opt.HideThreshold <= 0 {
		opt.HideThreshold = 3
	}
	if opt.MaxDetails <= 0 {
		opt.MaxDetails = 1000
	}
	if opt.ReportLimit.Max <= 0 {
		opt.ReportLimit = ratelimit.Rule{Max: 20, Window: time.Hour}
	}
	return &Service{db: d, st: newStore(d), clock: clock, cat: cat, limiter: limiter, sessions: sessions, opt: opt, types: map[string]Reportable{}}
}

// Options returns the effective options.
func (s *Service) Options() Options { return s.opt }

// Register makes things of type typ reportable. Registering a type twice is a
// programming error and returns an error.
func (s *Service) Register(typ string, r Reportable) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if typ == "" || r == nil {
		return errorf("register: empty type or nil reportable")
	}
	if _, dup := s.types[typ]; dup {
		return errorf("register: type %q registered twice", typ)
	}
	s.types[typ] = r
	return nil
}

func (s *Service) reportable(typ string) (Reportable, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.types[typ]
	return r, ok
}

// HiddenSet returns which of refs are hidden, and why, in one query. Refs
// that are visible are absent from the map.
func (s *Service) HiddenSet(ctx context.Context, refs []Ref) (map[Ref]Hidden, error) {
	return s.st.hiddenSet(ctx, refs)
}

// IsHidden reports whether ref is hidden.
func (s *Service) IsHidden(ctx context.Context, ref Ref) (Hidden, bool, error) {
	m, err := s.st.hiddenSet(ctx, []Ref{ref})
	if err != nil {
		return Hidden{}, false, err
	}
	h, ok := m[ref]
	return h, ok, nil
}

// IsModerator reports whether userID may moderate the space: a platform
// administrator, or someone with the "moderator" or "admin" role there.
func (s *Service) IsModerator(ctx context.Context, userID int64, spaceType string, spaceID int64) (bool, error) {
	if userID == 0 {
		return false, nil
	}
	return s.st.isModerator(ctx, s.db.R(), userID, spaceType, spaceID)
}

// Describe returns what a report form shows about ref (NotFound when the
// type is unknown or the thing does not exist).
func (s *Service) Describe(ctx context.Context, ref Ref) (Content, error) {
	rp, ok := s.reportable(ref.Type)
	if !ok {
		return Content{}, errorf("describe %s: %w", ref, kernel.ErrNotFound)
	}
	m, err := rp.Describe(ctx, []int64{ref.ID})
	if err != nil {
		return Content{}, errorf("describe %s: %w", ref, err)
	}
	c, ok := m[ref.ID]
	if !ok {
		return Content{}, errorf("describe %s: %w", ref, kernel.ErrNotFound)
	}
	return c, nil
}

// ReportInput is one participant's report.
type ReportInput struct {
	Ref     Ref
	Reason  string
	Details string
}

// Report files reporterID's report on in.Ref. It returns whether the report
// made the thing hidden. Errors: ErrUnauthenticated without a reporter;
// ErrNotFound for an unknown thing or one the reporter cannot see;
// *kernel.InvalidError for a bad reason, missing or too long details, one's
// own content, or a second report by the same person (field "reason");
// ErrRateLimited.
func (s *Service) Report(ctx context.Context, reporterID int64, in ReportInput) (hidden bool, err error) {
	if reporterID == 0 {
		return false, kernel.ErrUnauthenticated
	}
	rp, ok := s.reportable(in.Ref.Type)
	if !ok {
		return false, errorf("report %s: %w", in.Ref, kernel.ErrNotFound)
	}
	if ok, err := rp.CanView(ctx, reporterID, in.Ref); err != nil {
		return false, errorf("report: %w", err)
	} else if !ok {
		return false, errorf("report %s: %w", in.Ref, kernel.ErrNotFound)
	}
	c, err := s.Describe(ctx, in.Ref)
	if err != nil {
		return false, err
	}
	details := strings.TrimSpace(in.Details)
	var v kernel.Validator
	if !ValidReason(in.Reason) {
		v.Add("reason", "moderation.error.reason_invalid")
	}
	if in.Reason == ReasonOther && details == "" {
		v.Add("details", "moderation.error.details_required")
	}
	if utf8.RuneCountInString(details) > s.opt.MaxDetails {
		v.Add("details", "moderation.error.details_too_long", "max", s.opt.MaxDetails)
	}
	if c.AuthorID == reporterID {
		v.Add("reason", "moderation.error.own_content")
	}
	if err := v.Err(); err != nil {
		return false, err
	}
	if err := s.limiter.Allow(ctx, "report:"+strconv.FormatInt(reporterID, 10), s.opt.ReportLimit); err != nil {
		return false, err
	}
	now := s.clock.Now()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		itemID, err := s.st.upsertItem(ctx, tx, in.Ref, c, now)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO moderation_reports (item_id, reporter_id, reason, details, created_at) VALUES ($1, $2, $3, $4, $5)`,
			itemID, reporterID, in.Reason, details, now); err != nil {
			if db.IsConflictOn(db.Normalize(err), "moderation_reports") {
				return kernel.Invalid("reason", "moderation.error.already_reported")
			}
			return errorf("insert report: %w", err)
		}
		// A new report reopens a reviewed item: moderators look again.
		if _, err := tx.ExecContext(ctx, `UPDATE moderation_items SET reports_count = reports_count + 1, resolved_at = NULL, resolution = '', resolved_by = NULL
			WHERE id = $1`, itemID); err != nil {
			return errorf("count report: %w", err)
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Action: actionReport, TargetType: in.Ref.Type, TargetID: in.Ref.ID,
			SpaceType: c.SpaceType, SpaceID: c.SpaceID, After: map[string]any{"reason": in.Reason, "details": details}}); err != nil {
			return err
		}
		reasons, pending, err := s.st.pendingReasons(ctx, tx, itemID)
		if err != nil {
			return err
		}
		if pending < s.opt.HideThreshold {
			return nil
		}
		reason := rankReasons(reasons)[0].Reason
		res, err := tx.ExecContext(ctx, `UPDATE moderation_items SET hidden_at = $1, hidden_reason = $2 WHERE id = $3 AND hidden_at IS NULL`, now, reason, itemID)
		if err != nil {
			return errorf("auto hide: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			hidden = true
			return audit.Record(ctx, tx, now, audit.Entry{Action: actionAutoHide, TargetType: in.Ref.Type, TargetID: in.Ref.ID,
				SpaceType: c.SpaceType, SpaceID: c.SpaceID, After: map[string]any{"hidden_reason": reason, "pending_reports": pending}})
		}
		return nil
	})
	return hidden, err
}

// Queue lists the items moderatorID may review. ErrForbidden when they
// moderate nothing (or not the requested space). Each item's content comes
// from its Reportable, one call per type.
func (s *Service) Queue(ctx context.Context, moderatorID int64, f QueueFilter) ([]Item, error) {
	if moderatorID == 0 {
		return nil, kernel.ErrUnauthenticated
	}
	admin, any, err := s.st.moderatorScope(ctx, moderatorID)
	if err != nil {
		return nil, err
	}
	if !any {
		return nil, errorf("queue: %w", kernel.ErrForbidden)
	}
	if f.SpaceType != "" && !admin {
		ok, err := s.IsModerator(ctx, moderatorID, f.SpaceType, f.SpaceID)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errorf("queue %s/%d: %w", f.SpaceType, f.SpaceID, kernel.ErrForbidden)
		}
	}
	items, err := s.st.queue(ctx, moderatorID, admin, f)
	if err != nil {
		return nil, err
	}
	return items, s.describeItems(ctx, items)
}

// describeItems fills each item's Content with one Describe call per type.
func (s *Service) describeItems(ctx context.Context, items []Item) error {
	byType := map[string][]int64{}
	for _, it := range items {
		byType[it.Ref.Type] = append(byType[it.Ref.Type], it.Ref.ID)
	}
	contents := map[Ref]Content{}
	for typ, ids := range byType {
		rp, ok := s.reportable(typ)
		if !ok {
			continue
		}
		m, err := rp.Describe(ctx, ids)
		if err != nil {
			return errorf("describe %s: %w", typ, err)
		}
		for id, c := range m {
			contents[Ref{typ, id}] = c
		}
	}
	for i := range items {
		c, ok := contents[items[i].Ref]
		items[i].Content, items[i].Missing = c, !ok
	}
	return nil
}

// Item returns one item, checking that moderatorID moderates its space.
func (s *Service) Item(ctx context.Context, moderatorID, itemID int64) (Item, error) {
	it, err := s.st.item(ctx, s.db.R(), itemID)
	if err != nil {
		return Item{}, err
	}
	if err := s.mustModerate(ctx, s.db.R(), moderatorID, it); err != nil {
		return Item{}, err
	}
	items := []Item{it}
	if err := s.st.fillReasons(ctx, items); err != nil {
		return Item{}, err
	}
	if err := s.describeItems(ctx, items); err != nil {
		return Item{}, err
	}
	return items[0], nil
}

func (s *Service) mustModerate(ctx context.Context, q db.Querier, moderatorID int64, it Item) error {
	if moderatorID == 0 {
		return kernel.ErrUnauthenticated
	}
	ok, err := s.st.isModerator(ctx, q, moderatorID, it.SpaceType, it.SpaceID)
	if err != nil {
		return err
	}
	if !ok {
		return errorf("item %d: %w", it.ID, kernel.ErrForbidden)
	}
	return nil
}

// Hide hides the item's content for reason (a report reason) and marks its
// reports reviewed.
func (s *Service) Hide(ctx context.Context, moderatorID, itemID int64, reason string) error {
	if !ValidReason(reason) {
		return kernel.Invalid("hidden_reason", "moderation.error.reason_invalid")
	}
	return s.act(ctx, moderatorID, itemID, actionHide, func(tx *sql.Tx, it Item, now time.Time) error {
		_, err := tx.ExecContext(ctx, `UPDATE moderation_items SET hidden_at = COALESCE(hidden_at, $1), hidden_reason = $2, resolved_at = $1,
			resolution = 'hidden', resolved_by = $3, updated_at = $1 WHERE id = $4`, now, reason, moderatorID, it.ID)
		return err
	})
}

// Restore shows hidden content again and marks its reports reviewed.
func (s *Service) Restore(ctx context.Context, moderatorID, itemID int64) error {
	return s.act(ctx, moderatorID, itemID, actionRestore, func(tx *sql.Tx, it Item, now time.Time) error {
		if !it.IsHidden() {
			return kernel.Invalid("", "moderation.error.not_hidden")
		}
		_, err := tx.ExecContext(ctx, `UPDATE moderation_items SET hidden_at = NULL, hidden_reason = '', resolved_at = $1,
			resolution = 'restored', resolved_by = $2, updated_at = $1 WHERE id = $3`, now, moderatorID, it.ID)
		return err
	})
}

// Dismiss judges the reports unfounded: the content stays (or becomes
// again) visible and the reports are marked reviewed.
func (s *Service) Dismiss(ctx context.Context, moderatorID, itemID int64) error {
	return s.act(ctx, moderatorID, itemID, actionDismiss, func(tx *sql.Tx, it Item, now time.Time) error {
		_, err := tx.ExecContext(ctx, `UPDATE moderation_items SET hidden_at = NULL, hidden_reason = '', resolved_at = $1,
			resolution = 'dismissed', resolved_by = $2, updated_at = $1 WHERE id = $3`, now, moderatorID, it.ID)
		return err
	})
}

// act runs one moderator decision on an item in a transaction: permission
// check, the change, reports marked reviewed, audit with before and after.
func (s *Service) act(ctx context.Context, moderatorID, itemID int64, action string, change func(tx *sql.Tx, it Item, now time.Time) error) error {
	now := s.clock.Now()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := s.st.item(ctx, tx, itemID)
		if err != nil {
			return err
		}
		if err := s.mustModerate(ctx, tx, moderatorID, before); err != nil {
			return err
		}
		if err := change(tx, before, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE moderation_reports SET reviewed_at = $1 WHERE item_id = $2 AND reviewed_at IS NULL`, now, itemID); err != nil {
			return errorf("review reports: %w", err)
		}
		after, err := s.st.item(ctx, tx, itemID)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, audit.Entry{Action: action, TargetType: before.Ref.Type, TargetID: before.Ref.ID,
			SpaceType: before.SpaceType, SpaceID: before.SpaceID, Before: auditView(before), After: auditView(after)})
	})
}

func auditView(it Item) map[string]any {
	m := map[string]any{"item_id": it.ID, "reports": it.ReportsCount, "pending": it.Pending, "resolution": it.Resolution,
		"hidden": it.IsHidden(), "hidden_reason": it.HiddenReason}
	return m
}

// Block blocks the author of the item's content: their account is marked
// blocked with reason (shown to them by email, in their language, and at
// login), every session of theirs ends, and all their content is shown as
// hidden (components check users.blocked_at; comments do). The item itself
// is hidden and resolved. Platform administrators and oneself cannot be
// blocked (ErrForbidden); staff of any space (a role in space_roles) only
// by a platform administrator (*kernel.InvalidError otherwise).
func (s *Service) Block(ctx context.Context, moderatorID, itemID int64, reason string) error {
	reason = strings.TrimSpace(reason)
	var v kernel.Validator
	if reason == "" {
		v.Add("block_reason", "moderation.error.block_reason_required")
	} else if utf8.RuneCountInString(reason) > s.opt.MaxDetails {
		v.Add("block_reason", "moderation.error.block_reason_too_long", "max", s.opt.MaxDetails)
	}
	if err := v.Err(); err != nil {
		return err
	}
	now := s.clock.Now()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		it, err := s.st.item(ctx, tx, itemID)
		if err != nil {
			return err
		}
		if err := s.mustModerate(ctx, tx, moderatorID, it); err != nil {
			return err
		}
		if it.AuthorID == 0 {
			return kernel.Invalid("block_reason", "moderation.error.no_author")
		}
		u, err := s.st.userContact(ctx, tx, it.AuthorID)
		if err != nil {
			return err
		}
		switch {
		case u.ID == moderatorID || u.IsAdmin:
			return errorf("block user %d: %w", u.ID, kernel.ErrForbidden)
		case u.Deleted:
			return kernel.Invalid("block_reason", "moderation.error.no_author")
		case u.Blocked:
			return kernel.Invalid("block_reason", "moderation.error.already_blocked")
		}
		if u.Staff {
			// A space moderator must not be able to lock out the staff of
			// any space (its administrators included): that is a platform
			// decision.
			if err := s.mustBePlatformAdmin(ctx, tx, moderatorID, "block_reason", "moderation.error.block_staff"); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET blocked_at = $1, blocked_reason = $2, blocked_by = $3, updated_at = $1 WHERE id = $4`, now, reason, moderatorID, u.ID); err != nil {
			return errorf("block: %w", err)
		}
		if err := s.sessions.DeleteUserSessions(ctx, tx, u.ID); err != nil {
			return errorf("block: end sessions: %w", err)
		}
		hiddenReason := ReasonBlocked
		if m, _, err := s.st.pendingReasons(ctx, tx, it.ID); err != nil {
			return err
		} else if len(m) > 0 {
			hiddenReason = rankReasons(m)[0].Reason
		}
		if _, err := tx.ExecContext(ctx, `UPDATE moderation_items SET hidden_at = COALESCE(hidden_at, $1), hidden_reason = CASE WHEN hidden_at IS NULL THEN $2 ELSE hidden_reason END,
			resolved_at = $1, resolution = 'hidden', resolved_by = $3, updated_at = $1 WHERE id = $4`, now, hiddenReason, moderatorID, it.ID); err != nil {
			return errorf("block: hide item: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE moderation_reports SET reviewed_at = $1 WHERE item_id = $2 AND reviewed_at IS NULL`, now, it.ID); err != nil {
			return errorf("block: review reports: %w", err)
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Action: actionBlock, TargetType: "user", TargetID: u.ID,
			SpaceType: it.SpaceType, SpaceID: it.SpaceID,
			Before: map[string]any{"blocked": false},
			After:  map[string]any{"blocked": true, "blocked_by": moderatorID, "reason": reason, "item_id": it.ID, "content": it.Ref.String()}}); err != nil {
			return err
		}
		return s.mailUser(ctx, tx, now, u, "moderation.mail.blocked", reason)
	})
}

// Unblock lifts the block of the item's author and tells them by email.
// Lifting the block of staff of any space, or a block decided by a platform
// administrator (or by someone unknown), is reserved to platform
// administrators (*kernel.InvalidError otherwise).
func (s *Service) Unblock(ctx context.Context, moderatorID, itemID int64) error {
	now := s.clock.Now()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		it, err := s.st.item(ctx, tx, itemID)
		if err != nil {
			return err
		}
		if err := s.mustModerate(ctx, tx, moderatorID, it); err != nil {
			return err
		}
		if it.AuthorID == 0 {
			return kernel.Invalid("", "moderation.error.no_author")
		}
		u, err := s.st.userContact(ctx, tx, it.AuthorID)
		if err != nil {
			return err
		}
		if !u.Blocked {
			return kernel.Invalid("", "moderation.error.not_blocked")
		}
		switch {
		case u.Staff:
			if err := s.mustBePlatformAdmin(ctx, tx, moderatorID, "", "moderation.error.unblock_staff"); err != nil {
				return err
			}
		case u.BlockedByAdmin:
			if err := s.mustBePlatformAdmin(ctx, tx, moderatorID, "", "moderation.error.unblock_admin_block"); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET blocked_at = NULL, blocked_reason = NULL, blocked_by = NULL, updated_at = $1 WHERE id = $2`, now, u.ID); err != nil {
			return errorf("unblock: %w", err)
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Action: actionUnblock, TargetType: "user", TargetID: u.ID,
			SpaceType: it.SpaceType, SpaceID: it.SpaceID,
			Before: map[string]any{"blocked": true, "reason": u.Reason}, After: map[string]any{"blocked": false}}); err != nil {
			return err
		}
		return s.mailUser(ctx, tx, now, u, "moderation.mail.unblocked", "")
	})
}

// mustBePlatformAdmin refuses, with the message key on field, a decision
// reserved to platform administrators when actorID is not one.
func (s *Service) mustBePlatformAdmin(ctx context.Context, q db.Querier, actorID int64, field, key string) error {
	a, err := s.st.userContact(ctx, q, actorID)
	if err != nil {
		return err
	}
	if !a.IsAdmin || a.Blocked || a.Deleted {
		return kernel.Invalid(field, key)
	}
	return nil
}

// mailUser queues the email keyed prefix (".subject", ".body") in the user's language.
func (s *Service) mailUser(ctx context.Context, q db.Querier, now time.Time, u userContact, prefix, reason string) error {
	if u.Email == "" {
		return nil
	}
	loc := u.Locale
	if !kernel.ValidLocale(loc) {
		loc = kernel.LocaleIT
	}
	body := s.cat.T(loc, prefix+".body", "nickname", u.Nickname, "reason", reason, "url", s.opt.BaseURL) +
		"\n\n" + s.cat.T(loc, "mail.signature", "org", s.opt.OrgName)
	return mail.Enqueue(ctx, q, now, mail.Message{To: u.Email, Locale: loc, Subject: s.cat.T(loc, prefix+".subject", "org", s.opt.OrgName), Body: body})
}
