package consultation

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/kernel"
)

// DefaultMaxAttachment is the default size limit of an observation's PDF.
const DefaultMaxAttachment = 5 << 20

// maxFileNameRunes bounds a stored file name (before ".pdf").
const maxFileNameRunes = 100

// pdfMagic starts every PDF. The client's Content-Type and the name's
// extension are whatever the sender says; the bytes are what a reader opens.
var pdfMagic = []byte("%PDF-")

// Upload is a file a participant attaches to an observation.
type Upload struct {
	Name string // as sent by the browser; sanitised before storing
	Data []byte // at most the limit + 1 bytes: more means too large
}

// AttachmentFile is a stored attachment with its bytes, for download.
type AttachmentFile struct {
	Name        string
	ContentType string
	Size        int64
	SHA256      string
	Data        []byte
}

// validate adds the attachment's problems to v (field "attachment").
// Every message asks to choose the file again: browsers never keep a file
// input's value across a re-rendered form.
func (u *Upload) validate(v *kernel.Validator, maxBytes int64) {
	if u == nil {
		return
	}
	mb := (maxBytes + (1<<20 - 1)) >> 20
	switch {
	case len(u.Data) == 0:
		v.Add("attachment", "consultation.error.attachment_empty")
	case int64(len(u.Data)) > maxBytes:
		v.Add("attachment", "consultation.error.attachment_too_large", "max", mb)
	case !bytes.HasPrefix(u.Data, pdfMagic):
		v.Add("attachment", "consultation.error.attachment_not_pdf")
	}
}

// SanitizeFileName makes a browser-sent name safe to store and to send back
// in a header: the last path element only, no control, format (bidi) or
// shell/header-special characters, no leading dots, at most 100 characters,
// always ending in ".pdf".
func SanitizeFileName(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), r == utf8.RuneError:
			return -1
		case strings.ContainsRune(`"<>:|?*;%`+"`", r):
			return '_'
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if strings.EqualFold(path.Ext(name), ".pdf") {
		name = name[:len(name)-len(".pdf")]
	}
	name = strings.TrimSpace(strings.TrimLeft(name, ". "))
	if utf8.RuneCountInString(name) > maxFileNameRunes {
		name = strings.TrimSpace(string([]rune(name)[:maxFileNameRunes]))
	}
	if name == "" {
		name = "allegato"
	}
	return name + ".pdf"
}

// ContentDisposition is the header value for downloading name (RFC 6266):
// an ASCII fallback and the exact name in RFC 5987 encoding.
func ContentDisposition(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	return `attachment; filename="` + ascii + `"; filename*=UTF-8''` + rfc5987(name)
}

// rfc5987 percent-encodes every byte that is not an attr-char.
func rfc5987(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 && (unicode.IsLetter(rune(c)) || unicode.IsDigit(rune(c)) || strings.IndexByte("!#$&+-.^_`|~", c) >= 0) {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// attachmentAudit is what the audit log keeps of an attachment.
func attachmentAudit(name, sha string) string {
	if name == "" {
		return ""
	}
	return name + " sha256:" + sha
}

func (s store) putAttachment(ctx context.Context, tx *sql.Tx, observationID int64, version int, u *Upload, now time.Time) (string, string, error) {
	name := SanitizeFileName(u.Name)
	sum := sha256.Sum256(u.Data)
	sha := hex.EncodeToString(sum[:])
	if _, err := tx.ExecContext(ctx, `DELETE FROM consultation_observation_attachments WHERE observation_id = $1`, observationID); err != nil {
		return "", "", fmt.Errorf("consultation: replace attachment: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO consultation_observation_attachments (observation_id, version, file_name, content_type, size, sha256, data, created_at)
		VALUES ($1, $2, $3, 'application/pdf', $4, $5, $6, $7)`, observationID, version, name, int64(len(u.Data)), sha, u.Data, now); err != nil {
		return "", "", fmt.Errorf("consultation: insert attachment: %w", err)
	}
	return name, sha, nil
}

func (s store) attachment(ctx context.Context, observationID int64) (*AttachmentFile, error) {
	a := &AttachmentFile{}
	err := s.db.R().QueryRowContext(ctx, `SELECT file_name, content_type, size, sha256, data FROM consultation_observation_attachments WHERE observation_id = $1`,
		observationID).Scan(&a.Name, &a.ContentType, &a.Size, &a.SHA256, &a.Data)
	if err != nil {
		return nil, fmt.Errorf("consultation: attachment of %d: %w", observationID, db.Normalize(err))
	}
	return a, nil
}

// AttachmentOf returns the attachment of a public observation of component
// componentID. ErrNotFound when there is none, or when the observation is
// withdrawn or hidden: its text is not public, neither is its file.
func (m *Module) AttachmentOf(ctx context.Context, componentID, observationID int64) (*AttachmentFile, error) {
	o, err := m.Observation(ctx, componentID, observationID, false)
	if err != nil {
		return nil, err
	}
	if o.Withdrawn() || o.Hidden() || o.AttachmentName == "" {
		return nil, fmt.Errorf("consultation: attachment of %d not public: %w", observationID, kernel.ErrNotFound)
	}
	return m.st.attachment(ctx, observationID)
}
