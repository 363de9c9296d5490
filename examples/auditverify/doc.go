// Command auditverify checks a release's audit bundle away from the store,
// with nothing but the bundle and a key: the events form one unbroken hash
// chain from the first, every anchor was sealed by the key over a head of
// that chain, and the last event is anchored. A chain edited, cut short or
// rewritten with every hash recomputed fails, and so does a bundle sealed
// with another key.
//
// A host seals heads by giving the executor a sealer (executor.Config
// Sealer: release.HMACKey or release.Ed25519Signer) over a store that
// keeps anchors (store/memstore, store/sqlite), and exports a bundle with
// executor.ExportBundle, written as JSON.
//
//	auditverify -bundle release.json -ed25519-public-key pub.hex -key-id audit-1
//	auditverify -bundle release.json -hmac-key secret.hex -key-id audit-1
//
// Key files hold the key as hex digits: a 32-byte Ed25519 public key, or
// an HMAC secret of at least 32 bytes. It prints OK and the anchored head,
// or FAILED and what failed; the exit code is 0 when the bundle verifies,
// 1 when it does not, 2 for a usage error. -demo writes a sample bundle and
// key files to a directory (and a tampered bundle beside them) to try it.
package main
