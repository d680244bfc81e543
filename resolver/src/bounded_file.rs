//! A zone-like text file read whole, but never past a byte limit: the size is checked before
//! reading and the read itself stops one byte past the limit (a file growing meanwhile).

use std::io::Read as _;
use std::path::Path;

/// The text of `file`, or why not: the I/O error, or "N bytes, more than LIMIT".
pub(crate) fn read_text(file: &Path, limit: usize) -> Result<String, String> {
    let opened = std::fs::File::open(file).map_err(|io| io.to_string())?;
    let size = opened.metadata().map_err(|io| io.to_string())?.len();
    let too_large = |size: u64| format!("{size} bytes, more than {limit}");
    let limit_bytes = u64::try_from(limit).unwrap_or(u64::MAX);
    if size > limit_bytes {
        return Err(too_large(size));
    }
    let mut text = String::new();
    opened
        .take(limit_bytes.saturating_add(1))
        .read_to_string(&mut text)
        .map_err(|io| io.to_string())?;
    if text.len() > limit {
        return Err(too_large(u64::try_from(text.len()).unwrap_or(u64::MAX)));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_within_the_limit_is_read_and_one_past_it_is_refused_with_its_size() {
        let path = std::env::temp_dir().join(format!("bounded-file-{}.txt", std::process::id()));
        std::fs::write(&path, "0123456789").unwrap();
        assert_eq!(read_text(&path, 10).as_deref(), Ok("0123456789"));
        assert_eq!(read_text(&path, 9), Err("10 bytes, more than 9".to_owned()));
        let _ = std::fs::remove_file(&path);
        assert!(read_text(&path, 10).is_err());
    }
}
