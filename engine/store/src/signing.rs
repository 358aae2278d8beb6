//! Detached minisign signatures over a pack's manifest.
//!
//! The signature file is the standard minisign format, so teams can sign in their own
//! pipelines with the `minisign` tool (`minisign -S -s key -m MANIFEST.sha256`) and verify ours
//! with `minisign -V`. Signing uses the `minisign` crate; verifying uses `minisign-verify`, and
//! only prehashed signatures (minisign's default since 0.8) are accepted.
//!
//! Trust is a folder of public keys (`$TRIAGE_HOME/trusted-keys/*.pub`, minisign's `.pub`
//! format). A signature is accepted when any trusted key verifies it, so a team rotates keys by
//! adding the new key, re-signing, and later removing the old one.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use base64::Engine as _;

use crate::bounded::{self, MAX_KEY_BYTES};
use crate::{io_err, Error, Result};

/// A public key the user trusts.
#[derive(Clone)]
pub struct TrustedKey {
    /// Key ID as minisign prints it (16 uppercase hex digits).
    pub id: String,
    /// Where it came from (file name), for messages and the lock file.
    pub name: String,
    key: minisign_verify::PublicKey,
}

impl std::fmt::Debug for TrustedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustedKey").field("id", &self.id).field("name", &self.name).finish()
    }
}

impl TrustedKey {
    /// Parses a minisign public key file's text (`untrusted comment: …` then the base64 line),
    /// or a bare base64 key.
    pub fn parse(text: &str, name: &str) -> Result<Self> {
        let b64 = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with("untrusted comment:"))
            .ok_or_else(|| Error::BadSignature(format!("{name}: no key")))?;
        let key = minisign_verify::PublicKey::from_base64(b64)
            .map_err(|e| Error::BadSignature(format!("{name}: not a minisign public key: {e}")))?;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|e| Error::BadSignature(format!("{name}: {e}")))?;
        let id = key_id_hex(raw.get(2..10).unwrap_or_default());
        Ok(TrustedKey { id, name: name.to_owned(), key })
    }

    /// Reads a public key file: a regular file of at most [`MAX_KEY_BYTES`].
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = bounded::read_text(path, MAX_KEY_BYTES)?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        Self::parse(&text, &name)
    }
}

/// minisign prints key IDs as the little-endian u64 in uppercase hex.
fn key_id_hex(bytes: &[u8]) -> String {
    bytes.iter().rev().map(|b| format!("{b:02X}")).collect()
}

/// Most key files read from the trusted-keys folder; the rest are reported and ignored.
pub const MAX_TRUSTED_KEYS: usize = 1024;

/// The trusted keys of a folder, and the key files that could not be used.
#[derive(Debug, Clone, Default)]
pub struct TrustedKeys {
    pub keys: Vec<TrustedKey>,
    /// One line per key file that was ignored (unreadable, not a regular file, too large, not
    /// a minisign public key, a second copy of a key), naming the file and why.
    pub problems: Vec<String>,
}

/// Loads every `*.pub` in a folder, sorted by name. A missing folder is no keys. A key file
/// that cannot be used is reported in [`TrustedKeys::problems`] and the others still load: one
/// bad file does not block every install. Each file is read with [`MAX_KEY_BYTES`] as limit,
/// and only when it is a regular file (a link to `/dev/zero` is refused unread).
pub fn load_trusted_keys(dir: &Path) -> Result<TrustedKeys> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(TrustedKeys::default()),
        Err(e) => return Err(Error::Io { path: dir.to_owned(), source: e }),
    };
    let mut paths: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pub"))
        .collect();
    paths.sort();
    let mut out = TrustedKeys::default();
    if paths.len() > MAX_TRUSTED_KEYS {
        out.problems.push(format!(
            "{}: {} key files, more than the limit of {MAX_TRUSTED_KEYS}; the ones after {} are ignored",
            dir.display(),
            paths.len(),
            paths[MAX_TRUSTED_KEYS - 1].display()
        ));
        paths.truncate(MAX_TRUSTED_KEYS);
    }
    for p in &paths {
        match TrustedKey::from_file(p) {
            Ok(k) => match out.keys.iter().find(|o| o.id == k.id) {
                Some(first) => out.problems.push(format!(
                    "trusted key {} ignored: key {} is already trusted as {}",
                    p.display(),
                    k.id,
                    first.name
                )),
                None => out.keys.push(k),
            },
            Err(e) => out.problems.push(format!("trusted key {} ignored: {e}", p.display())),
        }
    }
    Ok(out)
}

/// Who signed, once a signature has verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    pub key_id: String,
    pub key_name: String,
    pub trusted_comment: String,
}

/// The key ID a signature names, without verifying it.
pub fn signature_key_id(sig_text: &str) -> Result<String> {
    let line = sig_text
        .lines()
        .nth(1)
        .ok_or_else(|| Error::BadSignature("not a minisign signature (too short)".into()))?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(line.trim())
        .map_err(|e| Error::BadSignature(format!("not a minisign signature: {e}")))?;
    if raw.len() != 74 {
        return Err(Error::BadSignature("not a minisign signature (wrong length)".into()));
    }
    Ok(key_id_hex(&raw[2..10]))
}

/// Verifies a detached signature over `data` with the trusted keys. The key is chosen by the ID
/// the signature names; a signature by an unknown key is [`Error::Untrusted`], a signature that
/// does not verify is [`Error::BadSignature`]. `keys_dir` is only for the message.
pub fn verify(data: &[u8], sig_text: &str, keys: &[TrustedKey], keys_dir: &str) -> Result<Signer> {
    let sig = minisign_verify::Signature::decode(sig_text)
        .map_err(|e| Error::BadSignature(format!("not a minisign signature: {e}")))?;
    let key_id = signature_key_id(sig_text)?;
    let Some(key) = keys.iter().find(|k| k.id == key_id) else {
        return Err(Error::Untrusted {
            key_id,
            trusted: keys.iter().map(|k| format!("{} ({})", k.id, k.name)).collect(),
            dir: keys_dir.to_owned(),
        });
    };
    key.key.verify(data, &sig, false).map_err(|e| {
        Error::BadSignature(format!(
            "signature by key {} ({}) does not match the manifest: {e}",
            key.id, key.name
        ))
    })?;
    Ok(Signer {
        key_id: key.id.clone(),
        key_name: key.name.clone(),
        trusted_comment: sig.trusted_comment().to_owned(),
    })
}

/// Signs `data` with a minisign secret key file. An encrypted key needs `password`; without one,
/// the password is asked on the terminal if there is one, else the key is taken as unencrypted.
pub fn sign(
    data: &[u8],
    secret_key: &Path,
    password: Option<String>,
    trusted_comment: &str,
) -> Result<String> {
    let key_err = |reason: String| Error::Key { path: secret_key.display().to_string(), reason };
    let text = bounded::read_text(secret_key, MAX_KEY_BYTES)?;
    let sk_box = minisign::SecretKeyBox::from_string(&text).map_err(|e| key_err(e.to_string()))?;
    let sk = if !is_encrypted(&text) {
        // `minisign -G -W` leaves the checksum of an unencrypted key zeroed, which the crate's
        // own loader rejects; read the key bytes directly. A damaged key is still caught: the
        // signature is checked against the public half before it is returned.
        let line = text.lines().nth(1).unwrap_or("").trim();
        let raw = base64::engine::general_purpose::STANDARD
            .decode(line)
            .map_err(|e| key_err(format!("not a minisign secret key: {e}")))?;
        minisign::SecretKey::from_bytes(&raw)
    } else {
        match password {
            Some(p) => sk_box.into_secret_key(Some(p)),
            None if std::io::stdin().is_terminal() => sk_box.into_secret_key(None),
            None => {
                return Err(key_err(
                    "the key is password-protected: pass its password (TRIAGE_SIGNING_PASSWORD)".into(),
                ))
            }
        }
    }
    .map_err(|e| key_err(e.to_string()))?;
    let untrusted = "signature from triage pack sign";
    let pk = minisign::PublicKey::from_secret_key(&sk).map_err(|e| key_err(e.to_string()))?;
    let sig = minisign::sign(Some(&pk), &sk, data, Some(trusted_comment), Some(untrusted))
        .map_err(|e| key_err(e.to_string()))?;
    Ok(sig.into_string())
}

/// Whether a secret key file is password-protected (its KDF algorithm is scrypt, `Sc`).
fn is_encrypted(text: &str) -> bool {
    let line = text.lines().nth(1).unwrap_or("");
    base64::engine::general_purpose::STANDARD
        .decode(line.trim())
        .is_ok_and(|raw| raw.get(2..4) == Some(b"Sc"))
}

/// Writes a new key pair, `<name>.key` (secret) and `<name>.pub`, into `dir`. With no password,
/// the secret key is unencrypted (for CI signing from a secret store). Refuses to overwrite.
/// `name` may contain folders (`keys/team`); missing folders are created.
pub fn generate_keypair(dir: &Path, name: &str, password: Option<String>) -> Result<(PathBuf, PathBuf)> {
    let sk_path = dir.join(format!("{name}.key"));
    let pk_path = dir.join(format!("{name}.pub"));
    for p in [&sk_path, &pk_path] {
        if p.exists() {
            return Err(Error::Other(format!("{} already exists; not overwriting a key", p.display())));
        }
    }
    let parent = sk_path.parent().unwrap_or(dir);
    std::fs::create_dir_all(parent).map_err(io_err(parent))?;
    let kp = match password {
        Some(p) => minisign::KeyPair::generate_encrypted_keypair(Some(p)),
        None => minisign::KeyPair::generate_unencrypted_keypair(),
    }
    .map_err(|e| Error::Other(format!("key generation failed: {e}")))?;
    let pk = kp.pk.to_box().map_err(|e| Error::Other(e.to_string()))?.into_string();
    let sk = kp.sk.to_box(None).map_err(|e| Error::Other(e.to_string()))?.into_string();
    write_new(&pk_path, pk.as_bytes())?;
    write_new(&sk_path, sk.as_bytes())?;
    Ok((sk_path, pk_path))
}

fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(path).map_err(io_err(path))?;
    f.write_all(bytes).map_err(io_err(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_tamper_and_rotation() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (sk1, pk1) = generate_keypair(dir.path(), "old", None).expect("keygen");
        let (sk2, pk2) = generate_keypair(dir.path(), "new", None).expect("keygen");
        let (nested, _) = generate_keypair(dir.path(), "keys/team", None).expect("keygen creates keys/");
        assert_eq!(nested, dir.path().join("keys/team.key"));
        assert!(dir.path().join("keys/team.pub").is_file());
        let k1 = TrustedKey::from_file(&pk1).expect("pub");
        let k2 = TrustedKey::from_file(&pk2).expect("pub");
        assert_eq!(k1.id.len(), 16);
        assert_ne!(k1.id, k2.id);

        let data = b"abc  pack.toml\n";
        let s1 = sign(data, &sk1, None, "triage pack x 1.0.0").expect("sign");
        let s2 = sign(data, &sk2, None, "triage pack x 1.0.1").expect("sign");
        assert_eq!(signature_key_id(&s1).expect("id"), k1.id);

        // Both keys trusted: both signatures verify, each with its own key.
        let both = [k1.clone(), k2.clone()];
        let who = verify(data, &s1, &both, "d").expect("verifies");
        assert_eq!(
            (who.key_id.as_str(), who.trusted_comment.as_str()),
            (k1.id.as_str(), "triage pack x 1.0.0")
        );
        assert_eq!(verify(data, &s2, &both, "d").expect("verifies").key_name, "new.pub");

        // Old key removed: its signature is untrusted, the new one still verifies.
        let only_new = [k2.clone()];
        assert!(matches!(verify(data, &s1, &only_new, "d"), Err(Error::Untrusted { .. })));
        verify(data, &s2, &only_new, "d").expect("new key verifies");

        // Tampered data or signature.
        assert!(matches!(verify(b"abd  pack.toml\n", &s1, &both, "d"), Err(Error::BadSignature(_))));
        let mut lines: Vec<String> = s1.lines().map(str::to_owned).collect();
        lines[2] = "trusted comment: triage pack x 9.9.9".into();
        assert!(matches!(verify(data, &lines.join("\n"), &both, "d"), Err(Error::BadSignature(_))));
        assert!(verify(data, "garbage", &both, "d").is_err());
    }

    #[test]
    fn damaged_unencrypted_key_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (sk, _) = generate_keypair(dir.path(), "k", None).expect("keygen");
        let text = std::fs::read_to_string(&sk).expect("read");
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let mut raw = base64::engine::general_purpose::STANDARD.decode(&lines[1]).expect("b64");
        // Secret key bytes start after sig_alg, kdf_alg, chk_alg, salt, two limits and keynum.
        raw[2 + 2 + 2 + 32 + 8 + 8 + 8] ^= 0x55;
        lines[1] = base64::engine::general_purpose::STANDARD.encode(&raw);
        std::fs::write(&sk, lines.join("\n") + "\n").expect("write");
        let err = sign(b"x", &sk, None, "c").expect_err("damaged key");
        assert!(matches!(err, Error::Key { .. }), "{err}");
    }

    #[test]
    fn encrypted_key_needs_its_password() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (sk, pk) = generate_keypair(dir.path(), "enc", Some("hunter2".into())).expect("keygen");
        let text = std::fs::read_to_string(&sk).expect("read");
        assert!(is_encrypted(&text));
        assert!(sign(b"x", &sk, Some("wrong".into()), "c").is_err());
        let s = sign(b"x", &sk, Some("hunter2".into()), "c").expect("sign");
        verify(b"x", &s, &[TrustedKey::from_file(&pk).expect("pub")], "d").expect("verifies");
        assert!(generate_keypair(dir.path(), "enc", None).is_err(), "refuses to overwrite");
    }

    #[test]
    fn trusted_keys_are_capped_and_each_bad_file_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (_, pk) = generate_keypair(dir.path(), "a-good", None).expect("keygen");
        std::fs::copy(&pk, dir.path().join("a-copy.pub")).expect("copy");
        for i in 0..MAX_TRUSTED_KEYS {
            std::fs::write(dir.path().join(format!("z{i:04}.pub")), "garbage").expect("write");
        }
        let keys = load_trusted_keys(dir.path()).expect("loads");
        assert_eq!(keys.keys.len(), 1, "the good key still loads");
        // One line for the cap, one for the copy, one per garbage file read before the cap.
        assert_eq!(keys.problems.len(), 1 + 1 + (MAX_TRUSTED_KEYS - 2));
        assert!(
            keys.problems[0].contains(&format!(
                "{} key files, more than the limit of {MAX_TRUSTED_KEYS}",
                MAX_TRUSTED_KEYS + 2
            )),
            "{}",
            keys.problems[0]
        );
        let id = &keys.keys[0].id;
        let good = dir.path().join("a-good.pub");
        assert_eq!(
            keys.problems[1],
            format!("trusted key {} ignored: key {id} is already trusted as a-copy.pub", good.display())
        );
        assert_eq!(keys.keys[0].name, "a-copy.pub", "the first file by name wins");
    }
}
