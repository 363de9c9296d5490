package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
)

func runCmd(args ...string) (int, string) {
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String() + errOut.String()
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, raw, 0o600))
}

func TestTheDemoBundleVerifiesAndItsTamperedCopyDoesNot(t *testing.T) {
	dir := t.TempDir()
	code, out := runCmd("-demo", dir)
	require.Equal(t, exitOK, code, out)
	pub := filepath.Join(dir, "pub.hex")
	code, out = runCmd("-bundle", filepath.Join(dir, "bundle.json"), "-ed25519-public-key", pub, "-key-id", "demo-1")
	require.Equal(t, exitOK, code, out)
	require.Contains(t, out, "OK: release 0190d000-0000-7000-8000-000000000042: 3 events, 3 anchors; head seq 3")
	code, out = runCmd("-bundle", filepath.Join(dir, "tampered.json"), "-ed25519-public-key", pub, "-key-id", "demo-1")
	require.Equal(t, exitFailed, code, out)
	require.Contains(t, out, "FAILED: release: anchor does not verify")
	require.Contains(t, out, "the chain was rewritten")
}

func TestAnHMACBundleFailsOnEveryTampering(t *testing.T) {
	dir := t.TempDir()
	secret := bytes.Repeat([]byte{7}, 32)
	key, err := release.NewHMACKey("k1", secret)
	require.NoError(t, err)
	keyFile := filepath.Join(dir, "key.hex")
	require.NoError(t, os.WriteFile(keyFile, []byte(hex.EncodeToString(secret)), 0o600))
	wrongFile := filepath.Join(dir, "wrong.hex")
	require.NoError(t, os.WriteFile(wrongFile, []byte(hex.EncodeToString(bytes.Repeat([]byte{8}, 32))), 0o600))

	cases := []struct {
		name   string
		tamper func(b *release.Bundle)
		key    string
		code   int
		want   string
	}{
		{"untouched", func(*release.Bundle) {}, keyFile, exitOK, "OK: "},
		{"edited event", func(b *release.Bundle) { b.Events[1].Reason = "edited" }, keyFile, exitFailed, "altered"},
		{"truncated", func(b *release.Bundle) { b.Events = b.Events[:2] }, keyFile, exitFailed, "past the last event"},
		{"re-hashed chain", func(b *release.Bundle) {
			b.Events[1].Actor = "mallory"
			resealed, err := release.Seal(release.Head{Release: b.Release, Seq: 1, Hash: b.Events[0].Hash}, b.Events[1:])
			require.NoError(t, err)
			copy(b.Events[1:], resealed)
		}, keyFile, exitFailed, "the chain was rewritten"},
		{"wrong key", func(*release.Bundle) {}, wrongFile, exitFailed, "the MAC does not match"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := demoBundle(key)
			require.NoError(t, err)
			c.tamper(b)
			path := filepath.Join(t.TempDir(), "bundle.json")
			writeJSON(t, path, b)
			code, out := runCmd("-bundle", path, "-hmac-key", c.key, "-key-id", "k1")
			require.Equal(t, c.code, code, out)
			require.Contains(t, out, c.want)
		})
	}
}

func TestUsageErrorsExitWith2(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "key.hex")
	require.NoError(t, os.WriteFile(key, []byte(hex.EncodeToString(bytes.Repeat([]byte{7}, 32))), 0o600))
	for name, args := range map[string][]string{
		"no key id":        {"-bundle", "b.json", "-hmac-key", key},
		"no key":           {"-bundle", "b.json", "-key-id", "k1"},
		"two keys":         {"-bundle", "b.json", "-hmac-key", key, "-ed25519-public-key", key, "-key-id", "k1"},
		"no bundle":        {"-hmac-key", key, "-key-id", "k1"},
		"unknown flag":     {"-nope"},
		"key file not hex": {"-bundle", "b.json", "-hmac-key", filepath.Join(dir, "missing"), "-key-id", "k1"},
	} {
		code, out := runCmd(args...)
		require.Equal(t, exitUsageErr, code, "%s: %s", name, out)
	}
	code, out := runCmd("-bundle", filepath.Join(dir, "missing.json"), "-hmac-key", key, "-key-id", "k1")
	require.Equal(t, exitFailed, code, out)
	require.Contains(t, out, "FAILED:")
}
