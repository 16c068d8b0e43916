package consultation_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"mime/multipart"
	"net/url"
	"strings"
	"testing"

	"github.com/arengo/arengo/internal/app/apptest"
	"github.com/arengo/arengo/internal/components/consultation"
)

// postFile submits the observation form as a browser does with a file
// chosen (name != "") or not.
func postFile(t *testing.T, c *apptest.Client, path string, fields url.Values, name string, data []byte) *apptest.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	fw, err := mw.CreateFormFile("attachment", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	return c.PostRaw(path, mw.FormDataContentType(), &body)
}

// pdf is a PDF-looking file of n bytes.
func pdf(n int) []byte {
	b := bytes.Repeat([]byte("0"), n)
	copy(b, "%PDF-1.7\n")
	return b
}

func TestObservationAttachment(t *testing.T) {
	s := newSite(t)
	h := s.h
	giulia := h.Participant("giulia")
	page := giulia.Get(s.observeURL(0))
	expect(t, page, 200, "Allegato (facoltativo)", "PDF, al massimo 5 MB.")
	if !strings.Contains(page.Body, `enctype="multipart/form-data"`) || !strings.Contains(page.Body, `type="file"`) {
		t.Fatal("the form cannot carry a file")
	}
	data := pdf(4 << 20)
	loc := redirected(t, postFile(t, giulia, s.observeURL(0), url.Values{"kind": {"general"}, "body": {"Vedi la relazione allegata."}}, "Relazione tecnica.pdf", data))
	show := h.Client().Get(loc)
	expect(t, show, 200, "Allegato: Relazione tecnica.pdf (4.096 KB)")
	if !strings.Contains(show.Body, `href="`+loc+`/attachment"`) {
		t.Fatal("no link to the attachment")
	}
	dl := h.Client().Get(loc + "/attachment")
	if dl.Status != 200 || dl.Body != string(data) {
		t.Fatalf("download: status %d, %d bytes", dl.Status, len(dl.Body))
	}
	for k, want := range map[string]string{
		"Content-Type":            "application/pdf",
		"Content-Disposition":     `attachment; filename="Relazione tecnica.pdf"; filename*=UTF-8''Relazione%20tecnica.pdf`,
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": "default-src 'none'; sandbox",
	} {
		if got := dl.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	sum := sha256.Sum256(data)
	if n := h.Count(`SELECT COUNT(*) FROM consultation_observation_attachments WHERE sha256 = $1 AND size = $2 AND file_name = 'Relazione tecnica.pdf'`, hex.EncodeToString(sum[:]), len(data)); n != 1 {
		t.Fatalf("%d attachment rows", n)
	}
	// The report and the open data give the address, not the bytes.
	abs := loc + "/attachment"
	for _, p := range []string{s.base + "/report.csv", s.base + "/opendata/consultation_observations.csv", s.base + "/opendata/consultation_observations.json"} {
		r := h.Client().Get(p)
		if r.Status != 200 || !strings.Contains(r.Body, abs) || strings.Contains(r.Body, "%PDF-") {
			t.Fatalf("%s: status %d, lacks %s or holds the file", p, r.Status, abs)
		}
	}
	// An observation without a file has no link.
	other := redirected(t, h.Participant("marco").Post(s.observeURL(1), url.Values{"kind": {"general"}, "body": {"Senza allegato."}}))
	expect(t, h.Client().Get(other+"/attachment"), 404)
	// Withdrawn: the file goes with the text.
	redirected(t, giulia.Post(loc+"/withdraw", nil))
	expect(t, h.Client().Get(loc+"/attachment"), 404)
	if strings.Contains(h.Client().Get(loc).Body, "/attachment") {
		t.Fatal("withdrawn observation still links its file")
	}
	// The author's data export names the file and its hash, not its bytes.
	r := giulia.Post("/account/data/export", url.Values{})
	if r.Status != 200 {
		t.Fatalf("export: %d", r.Status)
	}
	zr, err := zip.NewReader(strings.NewReader(r.Body), int64(len(r.Body)))
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, f := range zr.File {
		if f.Name != "observation_attachments.json" {
			continue
		}
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		found = strings.Contains(string(b), "Relazione tecnica.pdf") && strings.Contains(string(b), hex.EncodeToString(sum[:])) && !strings.Contains(string(b), "%PDF-")
	}
	if !found {
		t.Fatal("the data export lacks the attachment's name and hash")
	}
}

func TestAttachmentRefusals(t *testing.T) {
	s := newSite(t)
	h := s.h
	giulia := h.Participant("giulia")
	fields := url.Values{"kind": {"general"}, "body": {"Testo da non perdere."}}
	for _, c := range []struct {
		name, file string
		data       []byte
		msg        string
	}{
		{"empty", "vuoto.pdf", nil, "Il file scelto è vuoto. Scegli di nuovo"},
		{"html renamed", "pagina.pdf", []byte("<html><script>alert(1)</script></html>"), "Il file non è un PDF"},
		{"exe renamed", "setup.pdf", append([]byte("MZ\x90\x00"), bytes.Repeat([]byte{0}, 4096)...), "Il file non è un PDF"},
		{"pdf later in the file", "x.pdf", append([]byte("junk"), pdf(100)...), "Il file non è un PDF"},
		{"over the limit", "grande.pdf", pdf(5<<20 + 512<<10), "Il file supera il limite di 5 MB. Scegli di nuovo"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := postFile(t, giulia, s.observeURL(0), fields, c.file, c.data)
			expect(t, r, 422, c.msg, "Testo da non perdere.")
			if !strings.Contains(r.Body, `id="f-attachment-error"`) || !strings.Contains(r.Body, `aria-invalid="true"`) {
				t.Fatal("the message is not on the file field")
			}
		})
	}
	// Far too big: the body limit answers before anything is parsed.
	expect(t, postFile(t, giulia, s.observeURL(0), fields, "enorme.pdf", pdf(6<<20)), 413, "I dati inviati sono troppo grandi")
	if n := h.Count(`SELECT COUNT(*) FROM consultation_observations`); n != 0 {
		t.Fatalf("%d observations stored", n)
	}
	if n := h.Count(`SELECT COUNT(*) FROM consultation_observation_attachments`); n != 0 {
		t.Fatalf("%d attachments stored", n)
	}
	// The rest of the site keeps the 1 MiB limit.
	big := url.Values{"type": {"observation"}, "id": {"1"}, "reason": {"other"}, "details": {strings.Repeat("x", 2<<20)}}
	expect(t, giulia.Post("/moderation/report", big), 413)
	expect(t, giulia.Post(s.base+"/observations/1/support", big), 413)
	// With no file chosen the form files as before.
	redirected(t, giulia.Post(s.observeURL(0), fields))
}

func TestHostileFileName(t *testing.T) {
	s := newSite(t)
	h := s.h
	giulia := h.Participant("giulia")
	loc := redirected(t, postFile(t, giulia, s.observeURL(0), url.Values{"kind": {"general"}, "body": {"Nome ostile."}},
		"..\\..\\etc/passwd\u202e\"<b>.PDF", pdf(1000)))
	dl := h.Client().Get(loc + "/attachment")
	if dl.Status != 200 {
		t.Fatalf("status %d", dl.Status)
	}
	if got, want := dl.Header.Get("Content-Disposition"), `attachment; filename="passwd__b_.pdf"; filename*=UTF-8''passwd__b_.pdf`; got != want {
		t.Fatalf("Content-Disposition %q, want %q", got, want)
	}
	expect(t, h.Client().Get(loc), 200, "Allegato: passwd__b_.pdf (1 KB)")
	// Hidden by reports: the file is hidden with the text.
	id := loc[strings.LastIndex(loc, "/")+1:]
	for _, nick := range []string{"a_uno", "b_due", "c_tre"} {
		redirected(t, h.Participant(nick).Post("/moderation/report", url.Values{"type": {"observation"}, "id": {id}, "reason": {"spam"}}))
	}
	expect(t, h.Client().Get(loc+"/attachment"), 404)
}

func TestSanitizeFileName(t *testing.T) {
	long := strings.Repeat("à", 300) + ".pdf"
	for in, want := range map[string]string{
		"relazione.pdf":          "relazione.pdf",
		"Relazione.PDF":          "Relazione.pdf",
		"../../secret":           "secret.pdf",
		"C:\\Users\\x\\nota.pdf": "nota.pdf",
		".htaccess":              "htaccess.pdf",
		"":                       "allegato.pdf",
		"../":                    "allegato.pdf",
		"a\r\nSet-Cookie: x.pdf": "aSet-Cookie_ x.pdf",
		"file\xff.pdf":           "file.pdf",
		long:                     strings.Repeat("à", 100) + ".pdf",
		"virus.exe":              "virus.exe.pdf",
	} {
		if got := consultation.SanitizeFileName(in); got != want {
			t.Errorf("SanitizeFileName(%q) = %q, want %q", in, got, want)
		}
	}
	if got, want := consultation.ContentDisposition("Città (bozza).pdf"), `attachment; filename="Citt_ (bozza).pdf"; filename*=UTF-8''Citt%C3%A0%20%28bozza%29.pdf`; got != want {
		t.Errorf("ContentDisposition = %q, want %q", got, want)
	}
}

func TestEditAttachment(t *testing.T) {
	s := newSite(t)
	h := s.h
	giulia := h.Participant("giulia")
	fields := url.Values{"kind": {"general"}, "body": {"Prima versione."}}
	loc := redirected(t, postFile(t, giulia, s.observeURL(0), fields, "uno.pdf", pdf(2000)))
	expect(t, giulia.Get(loc+"/edit"), 200, "Allegato attuale: uno.pdf", "Rimuovi l'allegato attuale")
	// A bad replacement leaves the old file in place.
	expect(t, postFile(t, giulia, loc+"/edit", fields, "due.pdf", []byte("GIF89a")), 422, "Il file non è un PDF")
	expect(t, h.Client().Get(loc), 200, "Allegato: uno.pdf")
	// Replacing the file alone is a new version.
	redirected(t, postFile(t, giulia, loc+"/edit", fields, "due.pdf", pdf(3000)))
	expect(t, h.Client().Get(loc), 200, "Allegato: due.pdf (3 KB)")
	if n := h.Count(`SELECT COUNT(*) FROM consultation_observation_versions`); n != 2 {
		t.Fatalf("%d versions, want 2", n)
	}
	if n := h.Count(`SELECT COUNT(*) FROM audit_log WHERE after_json LIKE '%due.pdf sha256:%' AND before_json LIKE '%uno.pdf sha256:%'`); n != 1 {
		t.Fatalf("%d audit rows recording the replacement", n)
	}
	form := fields
	form.Set("remove_attachment", "on")
	redirected(t, giulia.Post(loc+"/edit", form))
	expect(t, h.Client().Get(loc+"/attachment"), 404)
	if n := h.Count(`SELECT COUNT(*) FROM consultation_observation_attachments`); n != 0 {
		t.Fatalf("%d attachments after removal", n)
	}
}
