-- 4: a digest of each release's head (id, seq, hash), so that a head moved
-- back over deleted events, without the digest key (Options.DigestKey),
-- is an error. Rows of older versions get the unkeyed digest.
ALTER TABLE releases ADD COLUMN head_digest bytea;
UPDATE releases SET head_digest = sha256(convert_to(id, 'UTF8') || '\x00'::bytea || int8send(seq) || hash);
ALTER TABLE releases ALTER COLUMN head_digest SET NOT NULL;
