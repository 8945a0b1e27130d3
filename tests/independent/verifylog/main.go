// Command verifylog checks a Sunshine Ledger log over HTTP with code that is
// not ours: golang.org/x/mod/sumdb/note (C2SP signed-note, Ed25519) for the
// checkpoints, golang.org/x/mod/sumdb/tlog (RFC 6962 tree) for the root and the
// proofs, and crypto/ed25519 for every actor signature.
//
//	verifylog BASE_URL [OLD_CHECKPOINT_FILE]
//
// Prints "OK <n> entries" and exits 0, or prints the first failure and exits 1.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const pageSize = 1000

var client = &http.Client{Timeout: 30 * time.Second}

type failure struct{ msg string }

func fail(format string, args ...interface{}) {
	panic(failure{fmt.Sprintf(format, args...)})
}

func main() {
	if len(os.Args) < 2 || len(os.Args) > 3 {
		fmt.Fprintln(os.Stderr, "usage: verifylog BASE_URL [OLD_CHECKPOINT_FILE]")
		os.Exit(2)
	}
	defer func() {
		if r := recover(); r != nil {
			if f, ok := r.(failure); ok {
				fmt.Println("FAIL " + f.msg)
				os.Exit(1)
			}
			panic(r)
		}
	}()
	old := ""
	if len(os.Args) == 3 {
		old = os.Args[2]
	}
	n := run(strings.TrimRight(os.Args[1], "/"), old)
	fmt.Printf("OK %d entries\n", n)
}

func get(base, path string) []byte {
	resp, err := client.Get(base + path)
	if err != nil {
		fail("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		fail("GET %s: %v", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		fail("GET %s: HTTP %d: %s", path, resp.StatusCode, body)
	}
	return body
}

type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

// openCheckpoint verifies a signed note with the log's key and parses the
// C2SP tlog-checkpoint body: origin, size, base64 root, then optional extension lines.
func openCheckpoint(msg []byte, verifier note.Verifier, what string) checkpoint {
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		fail("%s does not verify with key %s: %v", what, verifier.Name(), err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" {
		fail("%s: body is not origin/size/root lines", what)
	}
	var c checkpoint
	c.origin = lines[0]
	if c.origin != verifier.Name() {
		fail("%s: origin %q is not the key name %q", what, c.origin, verifier.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		fail("%s: bad size line %q", what, lines[1])
	}
	c.size = size
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		fail("%s: bad root line %q", what, lines[2])
	}
	copy(c.root[:], root)
	return c
}

type leafEntry struct {
	Index     *int64          `json:"index"`
	Actor     string          `json:"actor"`
	Key       string          `json:"key"`
	Type      string          `json:"type"`
	Command   json.RawMessage `json:"command"`
	Signature string          `json:"signature"`
	Data      json.RawMessage `json:"data"`
}

type signedCommand struct {
	Type    string          `json:"type"`
	Actor   string          `json:"actor"`
	Key     string          `json:"key"`
	Payload json.RawMessage `json:"payload"`
}

type actorKey struct {
	public  ed25519.PublicKey
	actor   string
	revoked int64 // index of the revocation, -1 while valid
}

func keyID(public []byte) string {
	sum := sha256.Sum256(public)
	return hex.EncodeToString(sum[:8])
}

func decodePublicKey(s string) (ed25519.PublicKey, bool) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, false
	}
	return ed25519.PublicKey(raw), true
}

// keyring replays key registrations and revocations from the leaves.
type keyring struct {
	keys map[string]*actorKey
	// Set at the first leaf not from the Genesis command: the Genesis command's
	// leaves (organisation, administrator, key) all come first.
	pastGenesis bool
}

func (k *keyring) checkSignature(i int64, e *leafEntry) {
	var cmd signedCommand
	if err := json.Unmarshal(e.Command, &cmd); err != nil {
		fail("entry %d: command is not an object: %v", i, err)
	}
	if cmd.Actor != e.Actor || cmd.Key != e.Key {
		fail("entry %d: leaf actor/key (%s/%s) differ from the signed command's (%s/%s)",
			i, e.Actor, e.Key, cmd.Actor, cmd.Key)
	}
	var public ed25519.PublicKey
	if cmd.Type == "Genesis" {
		if k.pastGenesis {
			fail("entry %d: a Genesis command after the log's genesis", i)
		}
		var p struct {
			PublicKey string `json:"public_key"`
		}
		if err := json.Unmarshal(cmd.Payload, &p); err != nil {
			fail("entry %d: genesis payload: %v", i, err)
		}
		pk, ok := decodePublicKey(p.PublicKey)
		if !ok {
			fail("entry %d: genesis carries no valid Ed25519 public key", i)
		}
		if keyID(pk) != cmd.Key {
			fail("entry %d: genesis is signed by key %s, not by the key it carries (%s)", i, cmd.Key, keyID(pk))
		}
		public = pk
	} else {
		if i == 0 {
			fail("entry 0: the log does not start with a Genesis command")
		}
		k.pastGenesis = true
		state, ok := k.keys[cmd.Key]
		if !ok {
			fail("entry %d: signed with key %s, unknown at this point of the log", i, cmd.Key)
		}
		if state.revoked >= 0 && state.revoked < i {
			fail("entry %d: signed with key %s, revoked at entry %d", i, cmd.Key, state.revoked)
		}
		if state.actor != cmd.Actor {
			fail("entry %d: key %s belongs to %s, not %s", i, cmd.Key, state.actor, cmd.Actor)
		}
		public = state.public
	}
	sig, err := base64.StdEncoding.DecodeString(e.Signature)
	if err != nil {
		fail("entry %d: signature is not base64", i)
	}
	// The leaf is RFC 8785 canonical JSON, so the command's raw bytes are
	// exactly the canonical bytes the actor signed.
	if !ed25519.Verify(public, e.Command, sig) {
		fail("entry %d: Ed25519 signature of %s (key %s) does not verify", i, cmd.Actor, cmd.Key)
	}
}

func (k *keyring) apply(i int64, e *leafEntry) {
	switch e.Type {
	case "KeyRegistered":
		var d struct {
			KeyID     string `json:"key_id"`
			PublicKey string `json:"public_key"`
			Actor     string `json:"actor"`
		}
		if err := json.Unmarshal(e.Data, &d); err != nil {
			fail("entry %d: KeyRegistered data: %v", i, err)
		}
		pk, ok := decodePublicKey(d.PublicKey)
		if !ok {
			fail("entry %d: KeyRegistered with an invalid public key", i)
		}
		if keyID(pk) != d.KeyID {
			fail("entry %d: KeyRegistered key id %s does not match its key (%s)", i, d.KeyID, keyID(pk))
		}
		if _, dup := k.keys[d.KeyID]; dup {
			fail("entry %d: key %s registered twice", i, d.KeyID)
		}
		k.keys[d.KeyID] = &actorKey{public: pk, actor: d.Actor, revoked: -1}
	case "KeyRevoked":
		var d struct {
			KeyID string `json:"key_id"`
		}
		if err := json.Unmarshal(e.Data, &d); err != nil {
			fail("entry %d: KeyRevoked data: %v", i, err)
		}
		state, ok := k.keys[d.KeyID]
		if !ok || state.revoked >= 0 {
			fail("entry %d: revocation of unknown or already revoked key %s", i, d.KeyID)
		}
		state.revoked = i
	}
}

// memoryHashes is tlog's hash storage, held in memory: stored hash index → hash.
type memoryHashes []tlog.Hash

func (m *memoryHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(*m)) {
			return nil, fmt.Errorf("hash %d not stored (have %d)", x, len(*m))
		}
		out[i] = (*m)[x]
	}
	return out, nil
}

type proofJSON struct {
	Index    int64    `json:"index"`
	Old      int64    `json:"old"`
	Size     int64    `json:"size"`
	LeafHash string   `json:"leaf_hash"`
	Proof    []string `json:"proof"`
}

func decodeProof(body []byte, what string) proofJSON {
	var p proofJSON
	if err := json.Unmarshal(body, &p); err != nil {
		fail("%s: not JSON: %v", what, err)
	}
	return p
}

func decodeHashes(list []string, what string) []tlog.Hash {
	out := make([]tlog.Hash, len(list))
	for i, s := range list {
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(raw) != tlog.HashSize {
			fail("%s: proof hash %d is not a base64 SHA-256", what, i)
		}
		copy(out[i][:], raw)
	}
	return out
}

func run(base, oldFile string) int64 {
	vkey := strings.TrimSpace(string(get(base, "/log/key")))
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		fail("log key %q: %v", vkey, err)
	}
	cp := openCheckpoint(get(base, "/log/checkpoint"), verifier, "checkpoint")

	// Every leaf, in order: index field, signature, then into the tree.
	hashes := &memoryHashes{}
	records := make([]tlog.Hash, 0, cp.size)
	keys := &keyring{keys: map[string]*actorKey{}}
	for start := int64(0); start < cp.size; {
		count := cp.size - start
		if count > pageSize {
			count = pageSize
		}
		body := get(base, fmt.Sprintf("/log/entries?start=%d&count=%d", start, count))
		lines := bytes.Split(body, []byte("\n"))
		if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
			lines = lines[:len(lines)-1]
		}
		if len(lines) == 0 {
			fail("the log serves no entry at %d, below the checkpoint size %d", start, cp.size)
		}
		for _, leaf := range lines {
			if start >= cp.size {
				break
			}
			i := start
			var e leafEntry
			if err := json.Unmarshal(leaf, &e); err != nil {
				fail("entry %d: not JSON: %v", i, err)
			}
			if e.Index == nil || *e.Index != i {
				fail("entry %d: leaf's index field does not say %d", i, i)
			}
			keys.checkSignature(i, &e)
			keys.apply(i, &e)
			if want := tlog.StoredHashIndex(0, i); want != int64(len(*hashes)) {
				fail("internal: hash storage at %d, expected %d", len(*hashes), want)
			}
			stored, err := tlog.StoredHashes(i, leaf, hashes)
			if err != nil {
				fail("entry %d: %v", i, err)
			}
			*hashes = append(*hashes, stored...)
			records = append(records, tlog.RecordHash(leaf))
			start++
		}
	}

	root, err := tlog.TreeHash(cp.size, hashes)
	if err != nil {
		fail("tree hash: %v", err)
	}
	if root != cp.root {
		fail("the %d leaves hash to %s, the signed checkpoint says %s", cp.size, root, cp.root)
	}

	// Inclusion proofs from the server, checked against the signed root.
	if cp.size > 0 {
		for _, i := range sampleIndices(cp.size) {
			what := fmt.Sprintf("inclusion proof of %d in %d", i, cp.size)
			p := decodeProof(get(base, fmt.Sprintf("/log/proof/inclusion?index=%d&size=%d", i, cp.size)), what)
			if p.Index != i || p.Size != cp.size {
				fail("%s: answer is for index %d size %d", what, p.Index, p.Size)
			}
			if p.LeafHash != base64.StdEncoding.EncodeToString(records[i][:]) {
				fail("%s: leaf_hash differs from the hash of the served leaf", what)
			}
			if err := tlog.CheckRecord(decodeHashes(p.Proof, what), cp.size, cp.root, i, records[i]); err != nil {
				fail("%s: %v", what, err)
			}
		}
	}

	// An older checkpoint: signed by the same key, and the log consistent with it.
	if oldFile != "" {
		msg, err := os.ReadFile(oldFile)
		if err != nil {
			fail("old checkpoint: %v", err)
		}
		old := openCheckpoint(msg, verifier, "old checkpoint")
		if old.origin != cp.origin {
			fail("old checkpoint is for origin %q, not %q", old.origin, cp.origin)
		}
		if old.size > cp.size {
			fail("old checkpoint has size %d, more than the log's %d: the log was truncated", old.size, cp.size)
		}
		if old.size > 0 {
			prefix, err := tlog.TreeHash(old.size, hashes)
			if err != nil {
				fail("tree hash at %d: %v", old.size, err)
			}
			if prefix != old.root {
				fail("the first %d leaves hash to %s, the old checkpoint says %s", old.size, prefix, old.root)
			}
			what := fmt.Sprintf("consistency proof %d → %d", old.size, cp.size)
			var proof []tlog.Hash
			if old.size < cp.size {
				p := decodeProof(get(base, fmt.Sprintf("/log/proof/consistency?old=%d&size=%d", old.size, cp.size)), what)
				if p.Old != old.size || p.Size != cp.size {
					fail("%s: answer is for old %d size %d", what, p.Old, p.Size)
				}
				proof = decodeHashes(p.Proof, what)
			}
			if err := tlog.CheckTree(proof, cp.size, cp.root, old.size, old.root); err != nil {
				fail("%s: %v", what, err)
			}
		}
	}
	return cp.size
}

// sampleIndices: first, last, middle and a few in between, without repeats.
func sampleIndices(size int64) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, i := range []int64{0, 1, size / 3, size / 2, 2 * size / 3, size - 2, size - 1} {
		if i >= 0 && i < size && !seen[i] {
			seen[i] = true
			out = append(out, i)
		}
	}
	return out
}
