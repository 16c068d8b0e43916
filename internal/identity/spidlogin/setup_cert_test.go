package spidlogin

import (
	"os"
	"path/filepath"
	"testing"
)

func TestReadCertificates(t *testing.T) {
	certs, err := readCertificates("../spid/testdata/idp.crt")
	if err != nil || len(certs) != 1 {
		t.Fatalf("test IdP certificate: %d %v", len(certs), err)
	}
	dir := t.TempDir()
	for name, content := range map[string]string{
		"empty.pem":   "",
		"key.pem":     "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
		"garbage.pem": "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := readCertificates(p); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := readCertificates(filepath.Join(dir, "missing.pem")); err == nil {
		t.Error("missing file accepted")
	}
}
