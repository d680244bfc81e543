//! A hickory `Name` written in wire form, uncompressed, letter case as it is: each label after
//! its length, then the root's zero (RFC 1035 §3.1).

use hickory_proto::rr::Name;

/// A name's wire form is at most 255 bytes, a label's at most 63 (RFC 1035 §2.3.4).
pub(crate) const MAX_NAME_BYTES: usize = 255;
const MAX_LABEL_BYTES: usize = 63;

/// Appends `name` to `bytes`; `None` (with `bytes` partly written) for a label over 63 bytes
/// or a name over 255, which hickory's parsers never make.
pub(crate) fn write_name(bytes: &mut Vec<u8>, name: &Name) -> Option<()> {
    let start = bytes.len();
    for label in name.iter() {
        let length = u8::try_from(label.len())
            .ok()
            .filter(|length| usize::from(*length) <= MAX_LABEL_BYTES)?;
        bytes.push(length);
        bytes.extend_from_slice(label);
    }
    bytes.push(0);
    (bytes.len() - start <= MAX_NAME_BYTES).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_keep_their_case_and_the_root_is_one_zero() {
        let mut bytes = Vec::new();
        write_name(&mut bytes, &Name::from_ascii("WwW.Example.").unwrap()).unwrap();
        assert_eq!(bytes, b"\x03WwW\x07Example\x00");
        let mut root = Vec::new();
        write_name(&mut root, &Name::root()).unwrap();
        assert_eq!(root, [0]);
    }
}
