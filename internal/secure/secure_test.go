package secure

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const secretA = "an-example-secret-that-is-long-enough-1"
const secretB = "another-secret-that-is-long-enough-22"

func ring(t *testing.T, s ...Secret) *Keyring {
	t.Helper()
	kr, err := NewKeyring(s...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func TestRoundTrip(t *testing.T) {
	kr := ring(t, Secret{ID: 1, Value: []byte(secretA)})
	for _, pt := range []string{"", "RSSMRA85T10A562S", strings.Repeat("è", 1000)} {
		ct, err := kr.SealString(pt, "users:1")
		if err != nil {
			t.Fatal(err)
		}
		if pt != "" && bytes.Contains(ct, []byte(pt)) {
			t.Fatal("plaintext visible in ciphertext")
		}
		got, err := kr.OpenString(ct, "users:1")
		if err != nil || got != pt {
			t.Fatalf("open = %q, %v; want %q", got, err, pt)
		}
	}
}

func TestDifferentNonces(t *testing.T) {
	kr := ring(t, Secret{ID: 1, Value: []byte(secretA)})
	a, _ := kr.SealString("RSSMRA85T10A562S", "x")
	b, _ := kr.SealString("RSSMRA85T10A562S", "x")
	if bytes.Equal(a, b) {
		t.Fatal("two encryptions of the same value are identical: nonce reused")
	}
	if bytes.Equal(a[1:13], b[1:13]) {
		t.Fatal("nonce reused")
	}
}

func TestTamperDetection(t *testing.T) {
	kr := ring(t, Secret{ID: 1, Value: []byte(secretA)})
	ct, _ := kr.SealString("RSSMRA85T10A562S", "user:1")
	for i := 1; i < len(ct); i++ {
		bad := bytes.Clone(ct)
		bad[i] ^= 0x01
		if _, err := kr.Open(bad, []byte("user:1")); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("flipping byte %d: err = %v, want ErrDecrypt", i, err)
		}
	}
	if _, err := kr.Open(ct, []byte("user:2")); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("other aad: err = %v, want ErrDecrypt", err)
	}
	if _, err := kr.Open(ct[:20], []byte("user:1")); !errors.Is(err, ErrMalformed) {
		t.Fatalf("truncated: err = %v, want ErrMalformed", err)
	}
	if _, err := kr.Open(nil, nil); !errors.Is(err, ErrMalformed) {
		t.Fatalf("empty: err = %v, want ErrMalformed", err)
	}
}

func TestWrongKey(t *testing.T) {
	a := ring(t, Secret{ID: 1, Value: []byte(secretA)})
	b := ring(t, Secret{ID: 1, Value: []byte(secretB)})
	ct, _ := a.SealString("RSSMRA85T10A562S", "")
	if _, err := b.Open(ct, nil); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("err = %v, want ErrDecrypt", err)
	}
	c := ring(t, Secret{ID: 7, Value: []byte(secretA)})
	if _, err := c.Open(ct, nil); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("err = %v, want ErrUnknownKey", err)
	}
}

func TestRotation(t *testing.T) {
	old := ring(t, Secret{ID: 1, Value: []byte(secretA)})
	ct, _ := old.SealString("RSSMRA85T10A562S", "")
	rotated, err := ParseKeyring("2:" + secretB + ",1:" + secretA)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rotated.OpenString(ct, ""); err != nil || got != "RSSMRA85T10A562S" {
		t.Fatalf("old ciphertext after rotation: %q, %v", got, err)
	}
	if !rotated.NeedsRotation(ct) {
		t.Fatal("old ciphertext should need rotation")
	}
	ct2, _ := rotated.SealString("x", "")
	if ct2[0] != 2 || rotated.NeedsRotation(ct2) {
		t.Fatalf("new ciphertext key id = %d, want 2", ct2[0])
	}
	if _, err := old.Open(ct2, nil); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("old ring opening new ciphertext: %v", err)
	}
	// Look-ups must survive the rotation, or every stored hash would miss.
	if old.Lookup("cf", "X") != rotated.Lookup("cf", "X") {
		t.Fatal("lookup hash changed with rotation")
	}
}

func TestLookup(t *testing.T) {
	a := ring(t, Secret{ID: 1, Value: []byte(secretA)})
	b := ring(t, Secret{ID: 1, Value: []byte(secretB)})
	h := a.Lookup("fiscal_code", "RSSMRA85T10A562S")
	if h != a.Lookup("fiscal_code", "RSSMRA85T10A562S") {
		t.Fatal("lookup not deterministic")
	}
	if len(h) != 64 || strings.Contains(h, "RSSMRA") {
		t.Fatalf("lookup = %q", h)
	}
	if h == b.Lookup("fiscal_code", "RSSMRA85T10A562S") {
		t.Fatal("different keys give the same hash")
	}
	if h == a.Lookup("other", "RSSMRA85T10A562S") || a.Lookup("a", "bc") == a.Lookup("ab", "c") {
		t.Fatal("purposes are not separated")
	}
}

func TestNewKeyringRejects(t *testing.T) {
	cases := map[string][]Secret{
		"none":      nil,
		"short":     {{ID: 1, Value: []byte("short")}},
		"id zero":   {{ID: 0, Value: []byte(secretA)}},
		"duplicate": {{ID: 1, Value: []byte(secretA)}, {ID: 1, Value: []byte(secretB)}},
	}
	for name, s := range cases {
		if _, err := NewKeyring(s...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for _, s := range []string{"", "   ", "1:" + secretA + ",x:" + secretB, "300:" + secretA, "1:short"} {
		if _, err := ParseKeyring(s); err == nil {
			t.Errorf("ParseKeyring(%q) accepted", s)
		}
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := LoadOrCreateKey(dir, "", false); !errors.Is(err, ErrNoKey) {
		t.Fatalf("production without key: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, KeyFileName)); !os.IsNotExist(err) {
		t.Fatal("production created a key file")
	}
	kr, secret, err := LoadOrCreateKey(dir, "", true)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, KeyFileName))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v", err, st.Mode())
	}
	kr2, secret2, err := LoadOrCreateKey(dir, "", true)
	if err != nil || secret2 != secret || kr2.Lookup("a", "b") != kr.Lookup("a", "b") {
		t.Fatalf("second start used another key (%v)", err)
	}
	// A configured key wins over the file, in any mode.
	kr3, _, err := LoadOrCreateKey(dir, secretA, false)
	if err != nil || kr3.Lookup("a", "b") == kr.Lookup("a", "b") {
		t.Fatalf("configured key ignored: %v", err)
	}
	if _, _, err := LoadOrCreateKey(dir, "too-short", false); err == nil {
		t.Fatal("short configured key accepted")
	}
	if err := os.Chmod(filepath.Join(dir, KeyFileName), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateKey(dir, "", true); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key file: %v", err)
	}
}
