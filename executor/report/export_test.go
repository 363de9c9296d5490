package report

// MarshalDigest exposes the encoding stores keep, for tests.
func MarshalDigest(d *Digest) ([]byte, error) { return d.marshal() }
