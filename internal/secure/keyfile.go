package secure

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeyFileName is the generated key file in the data directory (demo and
// development only).
const KeyFileName = "secret.key"

// ErrNoKey means production mode was started without ARENGO_SECRET_KEY.
var ErrNoKey = errors.New("secure: ARENGO_SECRET_KEY is not set: it protects personal data (codice fiscale, names, birth dates) and must be configured in production; " +
	"generate one with `head -c 32 /dev/urandom | base64` and keep it safe (losing it makes the stored identities unreadable)")

// LoadOrCreateKey returns the platform keyring.
//
//   - configured (ARENGO_SECRET_KEY, or the file named by ARENGO_SECRET_KEY_FILE)
//     is used when set, in every mode;
//   - otherwise, in demo/development mode (dev true), the key is read from
//     dataDir/secret.key, which is generated (32 random bytes, base64, mode
//     0600) the first time, so a laptop demo works with no setup and keeps its
//     data readable across restarts;
//   - otherwise (production without a key) it refuses with ErrNoKey rather
//     than invent a key that would be lost, together with the data, at the
//     next restart.
//
// It returns the secret in the ARENGO_SECRET_KEY syntax along with the ring
// so the caller can pass it on as configuration.
func LoadOrCreateKey(dataDir, configured string, dev bool) (*Keyring, string, error) {
	if strings.TrimSpace(configured) != "" {
		kr, err := ParseKeyring(configured)
		if err != nil {
			return nil, "", fmt.Errorf("ARENGO_SECRET_KEY: %w", err)
		}
		return kr, configured, nil
	}
	if !dev {
		return nil, "", ErrNoKey
	}
	path := filepath.Join(dataDir, KeyFileName)
	secret, err := readKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		secret, err = createKeyFile(path)
		if errors.Is(err, fs.ErrExist) {
			// Another process created it between our read and our create.
			secret, err = readKeyFile(path)
		}
	}
	if err != nil {
		return nil, "", err
	}
	kr, err := ParseKeyring(secret)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	return kr, secret, nil
}

func readKeyFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("secure: %w", err)
	}
	// Like ssh with private keys: a key others can read is not a secret.
	if st.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("secure: %s is readable by other users (mode %o): run chmod 600 on it", path, st.Mode().Perm())
	}
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return "", fmt.Errorf("secure: read %s: %w", path, err)
	}
	return strings.TrimSpace(string(b)), nil
}

func createKeyFile(path string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return "", fmt.Errorf("secure: create data directory: %w", err)
	}
	var raw [32]byte
	if _, err := io.ReadFull(rand.Reader, raw[:]); err != nil {
		return "", fmt.Errorf("secure: random key: %w", err)
	}
	secret := base64.RawURLEncoding.EncodeToString(raw[:])
	// O_EXCL: two instances starting together must not each write a key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	if _, err := f.WriteString(secret + "\n"); err != nil {
		f.Close()
		os.Remove(path)
		return "", fmt.Errorf("secure: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", fmt.Errorf("secure: write %s: %w", path, err)
	}
	return secret, f.Close()
}
