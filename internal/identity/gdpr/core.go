package gdpr

import "context"

// Core is what every deployment keeps about a person outside the identity
// sub-packages: the account, sessions, space roles, notifications, audit
// entries they made, comments with their versions and votes, the reports
// they filed — and, while the consultation module has not registered its
// own contributor, its observations and supports when those tables exist.
func Core() []Contributor {
	return []Contributor{
		Func{"account", func(ctx context.Context, e *Export) error {
			return e.Query(ctx, "account", `SELECT id, email, email_confirmed_at, nickname, locale, is_admin, blocked_at, blocked_reason, created_at, updated_at
				FROM users WHERE id = $1`, e.UserID)
		}},
		Func{"sessions", func(ctx context.Context, e *Export) error {
			// Never the token hash: it is a credential.
			return e.Query(ctx, "sessions", `SELECT created_at, last_seen_at, expires_at, user_agent FROM sessions WHERE user_id = $1 ORDER BY id`, e.UserID)
		}},
		Func{"roles", func(ctx context.Context, e *Export) error {
			return e.Query(ctx, "space_roles", `SELECT space_type, space_id, role, created_at FROM space_roles WHERE user_id = $1 ORDER BY id`, e.UserID)
		}},
		Func{"notifications", func(ctx context.Context, e *Export) error {
			return e.Query(ctx, "notifications", `SELECT id, kind, ref_type, ref_id, url, params, created_at, read_at FROM notifications WHERE user_id = $1 ORDER BY id`, e.UserID)
		}},
		Func{"audit", func(ctx context.Context, e *Export) error {
			// What the person did as staff may name other people in the
			// before/after values: those are included only for entries
			// about the person's own account.
			return e.Query(ctx, "audit_log", `SELECT id, at, action, target_type, target_id, space_type, space_id,
				CASE WHEN target_type = 'user' AND target_id = $1 THEN before_json ELSE '' END AS before_json,
				CASE WHEN target_type = 'user' AND target_id = $1 THEN after_json ELSE '' END AS after_json
				FROM audit_log WHERE actor_id = $1 ORDER BY id`, e.UserID)
		}},
		Func{"comments", func(ctx context.Context, e *Export) error {
			if err := e.Query(ctx, "comments", `SELECT id, ref_type, ref_id, parent_id, alignment, body, created_at, edited_at, deleted_at
				FROM comments WHERE author_id = $1 ORDER BY id`, e.UserID); err != nil {
				return err
			}
			if err := e.Query(ctx, "comment_versions", `SELECT v.comment_id, v.version, v.alignment, v.body, v.created_at
				FROM comment_versions v JOIN comments c ON c.id = v.comment_id WHERE c.author_id = $1 ORDER BY v.comment_id, v.version`, e.UserID); err != nil {
				return err
			}
			return e.Query(ctx, "comment_votes", `SELECT comment_id, value, created_at FROM comment_votes WHERE user_id = $1 ORDER BY comment_id`, e.UserID)
		}},
		Func{"moderation", func(ctx context.Context, e *Export) error {
			return e.Query(ctx, "reports", `SELECT r.id, i.ref_type, i.ref_id, r.reason, r.details, r.created_at, r.reviewed_at
				FROM moderation_reports r JOIN moderation_items i ON i.id = r.item_id WHERE r.reporter_id = $1 ORDER BY r.id`, e.UserID)
		}},
		Func{"consultation", consultationFallback},
	}
}

// consultationFallback exports observations and supports by querying the
// consultation's tables only when they exist. The consultation module
// replaces it by registering its own contributor named "consultation".
func consultationFallback(ctx context.Context, e *Export) error {
	for _, t := range []struct{ table, file, query string }{
		{"consultation_observations", "observations", `SELECT * FROM consultation_observations WHERE author_id = $1 ORDER BY id`},
		{"consultation_observation_versions", "observation_versions", `SELECT v.* FROM consultation_observation_versions v
			JOIN consultation_observations o ON o.id = v.observation_id WHERE o.author_id = $1 ORDER BY v.observation_id, v.version`},
		{"consultation_supports", "supports", `SELECT * FROM consultation_supports WHERE user_id = $1 ORDER BY observation_id`},
		// The files' metadata, not their bytes: the person has the files,
		// and the hash proves which one was filed.
		{"consultation_observation_attachments", "observation_attachments", `SELECT a.observation_id, o.protocol, a.file_name, a.size, a.sha256, a.created_at
			FROM consultation_observation_attachments a JOIN consultation_observations o ON o.id = a.observation_id
			WHERE o.author_id = $1 ORDER BY a.observation_id`},
	} {
		ok, err := e.TableExists(ctx, t.table)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if err := e.Query(ctx, t.file, t.query, e.UserID); err != nil {
			return err
		}
	}
	return nil
}
