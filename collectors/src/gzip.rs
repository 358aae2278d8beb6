//! `.gz` artifacts, read as what they hold: discovery decompresses a file whose name ends in
//! `.gz` (any case) into a scratch file, offers it to the collectors under its name without the
//! suffix (`auth.log.2.gz` is recognised as `auth.log.2`), and lets them read it under its real
//! name, so facts and provenance name the `.gz` file and lines are lines of what it holds.
//!
//! Bounded, as bundles are: at most [`MAX_GZ_OUTPUT`] bytes out, and past [`GZ_RATIO_FLOOR`]
//! bytes out no more than [`MAX_GZ_RATIO`] times the compressed size. Past either, or on a
//! damaged stream, the artifact is a collection error naming the limit (or the damage) and
//! nothing of it is read: a truncated rotation is not half read as if it were whole.

use std::io::{Read, Write};
use std::path::Path;

/// Most bytes one `.gz` artifact may decompress to.
pub const MAX_GZ_OUTPUT: u64 = 1 << 30;
/// Largest decompressed/compressed ratio, checked once the output passes [`GZ_RATIO_FLOOR`].
pub const MAX_GZ_RATIO: u64 = 200;
/// Output below this is not ratio-checked (small files compress very well).
pub const GZ_RATIO_FLOOR: u64 = 1 << 20;

/// Whether the artifact at `rel` is gzip-compressed by its name.
pub fn is_gz(rel: &str) -> bool {
    crate::logs::recognition_name(rel) != rel
}

/// Decompresses `src` (of `compressed` bytes) into `dst`; the decompressed size, or why not.
pub fn decompress(src: &Path, compressed: u64, dst: &Path) -> Result<u64, String> {
    let input = std::fs::File::open(src).map_err(|e| format!("cannot read: {e}"))?;
    let mut decoder = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(input));
    let mut out = std::fs::File::create(dst).map_err(|e| format!("cannot decompress: {e}"))?;
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = match decoder.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => return Err(format!("damaged gzip data after {total} bytes: {e}")),
        };
        total += n as u64;
        if total > MAX_GZ_OUTPUT {
            return Err(format!(
                "gzip data decompresses to more than the {MAX_GZ_OUTPUT} byte limit, not read"
            ));
        }
        if total > GZ_RATIO_FLOOR && total > compressed.max(1).saturating_mul(MAX_GZ_RATIO) {
            return Err(format!(
                "gzip data decompresses to more than {MAX_GZ_RATIO} times its {compressed} bytes (the ratio limit), not read"
            ));
        }
        out.write_all(&buf[..n]).map_err(|e| format!("cannot decompress: {e}"))?;
    }
    out.flush().map_err(|e| format!("cannot decompress: {e}"))?;
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gz(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(bytes).expect("compress");
        e.finish().expect("finish")
    }

    #[test]
    fn names_and_round_trip() {
        assert!(is_gz("var/log/auth.log.2.gz"));
        assert!(is_gz("X.GZ"));
        assert!(!is_gz(".gz"));
        assert!(!is_gz("auth.log"));
        let dir = tempfile::tempdir().expect("dir");
        let (src, dst) = (dir.path().join("a.gz"), dir.path().join("a"));
        let data = gz(b"line 1\nline 2\n");
        std::fs::write(&src, &data).expect("write");
        assert_eq!(decompress(&src, data.len() as u64, &dst), Ok(14));
        assert_eq!(std::fs::read(&dst).expect("read"), b"line 1\nline 2\n");
    }

    #[test]
    fn bombs_and_damage_are_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let (src, dst) = (dir.path().join("bomb.gz"), dir.path().join("bomb"));
        let data = gz(&vec![0u8; 8 << 20]);
        std::fs::write(&src, &data).expect("write");
        let e = decompress(&src, data.len() as u64, &dst).expect_err("bomb");
        assert_eq!(
            e,
            format!(
                "gzip data decompresses to more than 200 times its {} bytes (the ratio limit), not read",
                data.len()
            )
        );
        let cut = &gz(b"some text that is long enough to be cut in the middle")[..20];
        std::fs::write(&src, cut).expect("write");
        let e = decompress(&src, 20, &dst).expect_err("truncated");
        assert!(e.starts_with("damaged gzip data after "), "{e}");
    }
}
