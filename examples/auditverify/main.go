package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// The exit codes.
const (
	exitOK       = 0
	exitFailed   = 1
	exitUsageErr = 2
)

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("auditverify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bundlePath := fs.String("bundle", "", "the audit bundle (JSON, from executor.ExportBundle)")
	hmacPath := fs.String("hmac-key", "", "file holding the HMAC-SHA-256 secret, as hex")
	edPath := fs.String("ed25519-public-key", "", "file holding the Ed25519 public key, as hex")
	keyID := fs.String("key-id", "", "the key id the anchors were sealed under")
	demo := fs.String("demo", "", "write a sample bundle, a tampered one and key files to this directory, then exit")
	if err := fs.Parse(args); err != nil {
		return exitUsageErr
	}
	if *demo != "" {
		if err := writeDemo(*demo, stdout); err != nil {
			fmt.Fprintln(stderr, "auditverify:", err)
			return exitFailed
		}
		return exitOK
	}
	v, err := verifier(*hmacPath, *edPath, *keyID)
	if err == nil && *bundlePath == "" {
		err = errors.New("-bundle: missing")
	}
	if err != nil {
		fmt.Fprintln(stderr, "auditverify:", err)
		fs.Usage()
		return exitUsageErr
	}
	b, err := readBundle(*bundlePath)
	if err != nil {
		fmt.Fprintln(stdout, "FAILED:", err)
		return exitFailed
	}
	if err := release.VerifyBundle(b, v); err != nil {
		fmt.Fprintln(stdout, "FAILED:", err)
		return exitFailed
	}
	last := b.Events[len(b.Events)-1]
	fmt.Fprintf(stdout, "OK: release %s: %d events, %d anchors; head seq %d (%s), hash %s\n",
		b.Release, len(b.Events), len(b.Anchors), last.Seq, last.Kind, last.Hash)
	return exitOK
}

// verifier returns the verifier the flags name: exactly one key file.
func verifier(hmacPath, edPath, keyID string) (release.Verifier, error) {
	switch {
	case keyID == "":
		return nil, errors.New("-key-id: missing")
	case (hmacPath == "") == (edPath == ""):
		return nil, errors.New("give exactly one of -hmac-key and -ed25519-public-key")
	case hmacPath != "":
		key, err := readHex(hmacPath)
		if err != nil {
			return nil, fmt.Errorf("-hmac-key: %w", err)
		}
		return release.NewHMACKey(keyID, key)
	}
	pub, err := readHex(edPath)
	if err != nil {
		return nil, fmt.Errorf("-ed25519-public-key: %w", err)
	}
	return release.NewEd25519Verifier(keyID, pub)
}

func readHex(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil {
		return nil, fmt.Errorf("%s: want hex digits: %w", path, err)
	}
	return b, nil
}

func readBundle(path string) (*release.Bundle, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var b release.Bundle
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("%s: not a bundle: %w", path, err)
	}
	return &b, nil
}

// writeDemo writes bundle.json (a release of three events, each head
// sealed with an Ed25519 key), tampered.json (its second event edited and
// every hash after it recomputed) and pub.hex to dir.
func writeDemo(dir string, stdout io.Writer) error {
	signer, err := release.NewEd25519Signer("demo-1", ed25519.NewKeyFromSeed(bytes.Repeat([]byte{42}, ed25519.SeedSize)))
	if err != nil {
		return err
	}
	b, err := demoBundle(signer)
	if err != nil {
		return err
	}
	tampered := *b
	tampered.Events = append([]release.Event(nil), b.Events...)
	tampered.Events[1].Actor = "mallory"
	resealed, err := release.Seal(release.Head{Release: b.Release, Seq: 1, Hash: b.Events[0].Hash}, tampered.Events[1:])
	if err != nil {
		return err
	}
	copy(tampered.Events[1:], resealed)
	pub := signer.Verifier()
	files := map[string]any{"bundle.json": b, "tampered.json": &tampered}
	for name, v := range files {
		raw, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), raw, 0o600); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "pub.hex"), []byte(hex.EncodeToString(pub.PublicKey())+"\n"), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote bundle.json, tampered.json and pub.hex to %s; try:\n  auditverify -bundle %s -ed25519-public-key %s -key-id demo-1\n",
		dir, filepath.Join(dir, "bundle.json"), filepath.Join(dir, "pub.hex"))
	return nil
}

// demoBundle makes a small release and seals each of its heads.
func demoBundle(sealer release.Sealer) (*release.Bundle, error) {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	id, err := release.ParseID("0190d000-0000-7000-8000-000000000042")
	if err != nil {
		return nil, err
	}
	p := &process.Process{ID: "demo", Version: 1, Phases: []process.Phase{{ID: "ship", Activities: []process.Activity{{ID: "deploy", Uses: "cd.deploy"}}}}}
	r, created, err := release.Create(id, at, "alice", "demo", release.ReleaseCreatedPayload{Name: "demo", Process: p})
	if err != nil {
		return nil, err
	}
	events := []release.Event{created}
	for _, p := range []release.Payload{release.CommentAddedPayload{Text: "approved by bob"}, release.CommentAddedPayload{Text: "deployed"}} {
		e, err := r.RecordPayload(at, "bob", "", p)
		if err != nil {
			return nil, err
		}
		events = append(events, e)
	}
	b := &release.Bundle{Release: id, Events: events}
	for _, e := range events {
		a, err := sealer.Seal(context.Background(), release.Head{Release: id, Seq: e.Seq, Hash: e.Hash})
		if err != nil {
			return nil, err
		}
		b.Anchors = append(b.Anchors, a)
	}
	return b, nil
}
