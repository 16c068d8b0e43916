// Package secure protects personal data at rest: AES-256-GCM encryption of
// fields such as the codice fiscale, and keyed hashes (HMAC-SHA256) so that
// equality look-ups work without storing the value in clear.
//
// Both keys are derived with HKDF-SHA256 from the platform secret
// (ARENGO_SECRET_KEY), with distinct info strings, so the encryption key and
// the look-up key are independent even though one secret is configured.
//
// Ciphertext format (stored as bytes):
//
//	keyID (1 byte) | nonce (12 bytes) | AES-GCM ciphertext and tag
//
// The key ID lets keys rotate: a Keyring holds the current key, used to
// encrypt, and older keys, used only to decrypt. Keyed hashes are always
// computed with the key of the lowest ID in the ring (the original one), so
// rotating the encryption key does not break look-ups; retiring that key
// requires re-hashing every stored hash first.
package secure

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// MinSecretLen is the minimum length in bytes of a configured secret.
const MinSecretLen = 32

// HKDF info strings: changing them changes every derived key.
const (
	infoEncryption = "arengo/v1/encryption"
	infoLookup     = "arengo/v1/lookup"
)

const nonceLen = 12

// Errors returned by Open. They say as little as possible on purpose: an
// attacker learns nothing from the difference between them that matters.
var (
	ErrMalformed  = errors.New("secure: malformed ciphertext")
	ErrUnknownKey = errors.New("secure: ciphertext encrypted with an unknown key")
	ErrDecrypt    = errors.New("secure: ciphertext failed authentication (tampered, or wrong key)")
)

type key struct {
	id     byte
	aead   cipher.AEAD
	lookup []byte
}

// Keyring holds the platform's data keys. It is safe for concurrent use.
type Keyring struct {
	current *key
	byID    map[byte]*key
	lookup  []byte
}

// Secret is one configured secret with its key ID (1–255).
type Secret struct {
	ID    byte
	Value []byte
}

// NewKeyring builds a keyring from secrets; the first one is the current
// encryption key. Each secret must be at least MinSecretLen bytes and IDs
// must be distinct and non-zero.
func NewKeyring(secrets ...Secret) (*Keyring, error) {
	if len(secrets) == 0 {
		return nil, errors.New("secure: no secret key")
	}
	kr := &Keyring{byID: map[byte]*key{}}
	var lowest *key
	for i, s := range secrets {
		if s.ID == 0 {
			return nil, errors.New("secure: key ID 0 is reserved")
		}
		if len(s.Value) < MinSecretLen {
			return nil, fmt.Errorf("secure: key %d is %d bytes; at least %d are needed", s.ID, len(s.Value), MinSecretLen)
		}
		if _, dup := kr.byID[s.ID]; dup {
			return nil, fmt.Errorf("secure: key ID %d given twice", s.ID)
		}
		encKey, err := hkdf.Key(sha256.New, s.Value, nil, infoEncryption, 32)
		if err != nil {
			return nil, fmt.Errorf("secure: derive key: %w", err)
		}
		lookupKey, err := hkdf.Key(sha256.New, s.Value, nil, infoLookup, 32)
		if err != nil {
			return nil, fmt.Errorf("secure: derive key: %w", err)
		}
		block, err := aes.NewCipher(encKey)
		if err != nil {
			return nil, fmt.Errorf("secure: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("secure: %w", err)
		}
		k := &key{id: s.ID, aead: aead, lookup: lookupKey}
		kr.byID[s.ID] = k
		if i == 0 {
			kr.current = k
		}
		if lowest == nil || k.id < lowest.id {
			lowest = k
		}
	}
	kr.lookup = lowest.lookup
	return kr, nil
}

// ParseKeyring reads the ARENGO_SECRET_KEY syntax: either one secret (key ID
// 1), or a comma-separated list "ID:secret,ID:secret" whose first entry is
// the current key, e.g. "2:new-secret…,1:old-secret…" during a rotation.
func ParseKeyring(s string) (*Keyring, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("secure: empty secret key")
	}
	if !looksLikeList(s) {
		return NewKeyring(Secret{ID: 1, Value: []byte(s)})
	}
	var secrets []Secret
	for _, part := range strings.Split(s, ",") {
		idStr, val, _ := strings.Cut(strings.TrimSpace(part), ":")
		id, err := strconv.ParseUint(idStr, 10, 8)
		if err != nil {
			return nil, fmt.Errorf("secure: key ID %q is not a number from 1 to 255", idStr)
		}
		secrets = append(secrets, Secret{ID: byte(id), Value: []byte(val)})
	}
	return NewKeyring(secrets...)
}

// looksLikeList reports whether s uses the "ID:secret[,ID:secret]" syntax. A
// plain secret could contain ":" by chance, so the prefix must be 1–3 digits.
func looksLikeList(s string) bool {
	idStr, _, ok := strings.Cut(s, ":")
	if !ok || len(idStr) == 0 || len(idStr) > 3 {
		return false
	}
	for _, c := range idStr {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// NewEphemeral returns a keyring with a random key that lives only in
// memory: for tests, never for stored data.
func NewEphemeral() *Keyring {
	var b [32]byte
	if _, err := io.ReadFull(rand.Reader, b[:]); err != nil {
		panic("secure: no randomness: " + err.Error())
	}
	kr, err := NewKeyring(Secret{ID: 1, Value: b[:]})
	if err != nil {
		panic(err)
	}
	return kr
}

// CurrentKeyID is the ID of the key new ciphertexts are made with.
func (kr *Keyring) CurrentKeyID() byte { return kr.current.id }

// KeyIDs lists the IDs in the ring, ascending.
func (kr *Keyring) KeyIDs() []byte {
	out := make([]byte, 0, len(kr.byID))
	for id := range kr.byID {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Seal encrypts plaintext with the current key. aad (associated data) is
// authenticated but not stored: pass what binds the value to its place,
// e.g. "user_identities.fiscal_enc:42", so a ciphertext copied to another
// row or column fails to decrypt.
func (kr *Keyring) Seal(plaintext, aad []byte) ([]byte, error) {
	k := kr.current
	out := make([]byte, 1+nonceLen, 1+nonceLen+len(plaintext)+k.aead.Overhead())
	out[0] = k.id
	if _, err := io.ReadFull(rand.Reader, out[1:1+nonceLen]); err != nil {
		return nil, fmt.Errorf("secure: nonce: %w", err)
	}
	return k.aead.Seal(out, out[1:1+nonceLen], plaintext, aad), nil
}

// Open decrypts a Seal output made with any key in the ring and the same aad.
func (kr *Keyring) Open(ciphertext, aad []byte) ([]byte, error) {
	if len(ciphertext) < 1+nonceLen+16 {
		return nil, ErrMalformed
	}
	k, ok := kr.byID[ciphertext[0]]
	if !ok {
		return nil, ErrUnknownKey
	}
	pt, err := k.aead.Open(nil, ciphertext[1:1+nonceLen], ciphertext[1+nonceLen:], aad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

// SealString is Seal for text.
func (kr *Keyring) SealString(plaintext, aad string) ([]byte, error) {
	return kr.Seal([]byte(plaintext), []byte(aad))
}

// OpenString is Open for text.
func (kr *Keyring) OpenString(ciphertext []byte, aad string) (string, error) {
	b, err := kr.Open(ciphertext, []byte(aad))
	return string(b), err
}

// NeedsRotation reports whether ciphertext was made with a key other than
// the current one (a re-encryption job re-seals those).
func (kr *Keyring) NeedsRotation(ciphertext []byte) bool {
	return len(ciphertext) == 0 || ciphertext[0] != kr.current.id
}

// Lookup returns the keyed hash (hex HMAC-SHA256) of value in a purpose
// domain, e.g. Lookup("fiscal_code", "RSSMRA85T10A562S"). The same input
// always gives the same hash under the same ring, so it can be indexed and
// compared; without the key it cannot be reversed by trying every codice
// fiscale. Callers normalise value first (the hash is exact).
func (kr *Keyring) Lookup(purpose, value string) string {
	m := hmac.New(sha256.New, kr.lookup)
	// Length-prefixing the purpose keeps ("a", "bc") and ("ab", "c") apart.
	m.Write([]byte(strconv.Itoa(len(purpose))))
	m.Write([]byte{':'})
	m.Write([]byte(purpose))
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}
