package identity

import (
	"strings"
	"testing"
)

func TestPasswordHashing(t *testing.T) {
	h, err := HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	// New hashes use the production costs unless configured otherwise.
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Fatalf("unexpected parameters: %s", h)
	}
	if ok, err := CheckPassword(h, "correct horse battery staple"); !ok || err != nil {
		t.Fatalf("right password refused: %v %v", ok, err)
	}
	if ok, _ := CheckPassword(h, "correct horse battery stapl"); ok {
		t.Fatal("wrong password accepted")
	}
	h2, _ := HashPassword("correct horse battery staple")
	if h2 == h {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	// A hash made with other costs still verifies: changing the costs never
	// locks anyone out.
	cheap, err := HashParams{MemoryKiB: 1024, Time: 1}.Hash("s3cret-pass")
	if err != nil || !strings.Contains(cheap, "m=1024,t=1") {
		t.Fatalf("cheap hash: %s %v", cheap, err)
	}
	if ok, _ := CheckPassword(cheap, "s3cret-pass"); !ok {
		t.Fatal("cheap hash does not verify")
	}
	for _, bad := range []string{"", "$argon2id$", "$argon2i$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=x,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=1024,t=1,p=1$!!$aGFzaA"} {
		if ok, err := CheckPassword(bad, "x"); ok || err == nil {
			t.Errorf("malformed hash %q: ok=%v err=%v", bad, ok, err)
		}
	}
	// The dummy hash used for unknown emails is well formed, so an unknown
	// account costs a full hash computation.
	if _, err := CheckPassword(dummyHash, "x"); err != nil {
		t.Fatalf("dummy hash: %v", err)
	}
}
