package spid

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Record is one AuthnRequest/Response pair as AgID requires it to be kept
// (24 months): both messages byte-exact, plus the fields needed to find it.
// PrevHash and Hash chain the records so that editing, inserting or deleting
// one breaks every hash after it.
type Record struct {
	Seq         int64 // position in the chain, from 1; set by Append
	RequestID   string
	ResponseID  string // empty if the response could not be parsed
	IdPEntityID string
	Outcome     string // "ok" or the ErrorCode of the failure
	RequestXML  []byte
	ResponseXML []byte
	RequestedAt time.Time
	RespondedAt time.Time
	PrevHash    []byte // set by Append
	Hash        []byte // set by Append
}

// AuthLog stores records. Append assigns Seq, PrevHash and Hash itself, in
// the same transaction that reads the last hash, so concurrent logins from
// several instances still form one chain. SQLAuthLog is the one the
// platform uses; rows older than 24 months are pruned from the head only,
// keeping the first remaining row's PrevHash as the new anchor.
type AuthLog interface {
	Append(ctx context.Context, r Record) error
}

// ChainHash returns sha256(prev || canonical(r)). The canonical form is a
// length-prefixed encoding of every field except the hashes, so no two
// different records share an encoding.
func ChainHash(prev []byte, r Record) []byte {
	h := sha256.New()
	h.Write(prev)
	var n [8]byte
	field := func(b []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	binary.BigEndian.PutUint64(n[:], uint64(r.Seq))
	field(n[:])
	field([]byte(r.RequestID))
	field([]byte(r.ResponseID))
	field([]byte(r.IdPEntityID))
	field([]byte(r.Outcome))
	field(r.RequestXML)
	field(r.ResponseXML)
	field([]byte(r.RequestedAt.UTC().Format(time.RFC3339Nano)))
	field([]byte(r.RespondedAt.UTC().Format(time.RFC3339Nano)))
	return h.Sum(nil)
}

// ErrChainBroken is returned by VerifyChain.
var ErrChainBroken = errors.New("spid: authentication log chain is broken")

// VerifyChain checks records in Seq order. A chain starting at Seq 1 must
// start from an empty hash; a pruned chain is anchored on its first record's
// PrevHash (keep that value somewhere the database cannot rewrite, such as
// the audit export, to detect truncation too).
func VerifyChain(records []Record) error {
	if len(records) == 0 {
		return nil
	}
	prev := records[0].PrevHash
	if records[0].Seq == 1 && len(prev) != 0 {
		return fmt.Errorf("%w: seq 1 has a predecessor", ErrChainBroken)
	}
	for i, r := range records {
		if i > 0 && r.Seq != records[i-1].Seq+1 {
			return fmt.Errorf("%w: gap before seq %d", ErrChainBroken, r.Seq)
		}
		if !bytes.Equal(r.PrevHash, prev) {
			return fmt.Errorf("%w: seq %d does not follow its predecessor", ErrChainBroken, r.Seq)
		}
		if !bytes.Equal(r.Hash, ChainHash(prev, r)) {
			return fmt.Errorf("%w: seq %d was altered", ErrChainBroken, r.Seq)
		}
		prev = r.Hash
	}
	return nil
}
