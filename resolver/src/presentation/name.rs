//! Owner and RDATA names in presentation format: `@`, absolute (trailing dot) or relative to an origin.
//! Letter case is kept (0x20 checks and `MATCH qcase` depend on it), so never IDNA-folded.

use hickory_proto::rr::domain::Label;
use hickory_proto::rr::Name;

use crate::presentation::error::PresentationError;

/// `text` as a name: `@` is `origin`, a name without its trailing dot is relative to `origin`.
pub fn parse_name(text: &str, origin: &Name) -> Result<Name, PresentationError> {
    let bad = |error: hickory_proto::ProtoError| PresentationError::BadName {
        text: text.to_owned(),
        reason: error.to_string(),
    };
    if text == "@" {
        return Ok(origin.clone());
    }
    let name = match Name::from_ascii(text) {
        Ok(name) => name,
        // hickory's text parser refuses some octets RFC 1035 §5.1 allows (`!`, `\000`): the
        // labels are unescaped here and handed to hickory as raw bytes.
        Err(error) => from_escaped_labels(text).ok_or_else(|| bad(error))?,
    };
    if name.is_fqdn() {
        Ok(name)
    } else {
        name.append_domain(origin).map_err(bad)
    }
}

/// RFC 1035 §5.1 labels: `\DDD` is the octet DDD, `\X` is X, an unescaped `.` ends a label.
fn from_escaped_labels(text: &str) -> Option<Name> {
    let mut labels: Vec<Vec<u8>> = vec![Vec::new()];
    let bytes = text.as_bytes();
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        let label = labels.last_mut()?;
        match byte {
            b'\\' => {
                let digits = bytes.get(index + 1..index + 4);
                match digits {
                    Some(digits) if digits.iter().all(u8::is_ascii_digit) => {
                        let value = std::str::from_utf8(digits).ok()?.parse::<u16>().ok()?;
                        label.push(u8::try_from(value).ok()?);
                        index += 4;
                    }
                    _ => {
                        label.push(*bytes.get(index + 1)?);
                        index += 2;
                    }
                }
            }
            b'.' => {
                labels.push(Vec::new());
                index += 1;
            }
            other => {
                label.push(other);
                index += 1;
            }
        }
    }
    let absolute = labels.last().is_some_and(Vec::is_empty);
    if absolute {
        labels.pop();
    }
    let labels = labels
        .iter()
        .map(|label| Label::from_raw_bytes(label).ok())
        .collect::<Option<Vec<Label>>>()?;
    let mut name = Name::from_labels(labels).ok()?;
    name.set_fqdn(absolute);
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_names_take_the_origin_and_keep_their_case() {
        let origin = Name::from_ascii("Example.tld.").unwrap();
        assert_eq!(
            parse_name("wWw", &origin).unwrap().to_ascii(),
            "wWw.Example.tld."
        );
        assert_eq!(parse_name("a.b.", &origin).unwrap().to_ascii(), "a.b.");
        assert_eq!(parse_name("@", &origin).unwrap(), origin);
        assert_eq!(parse_name("x", &Name::root()).unwrap().to_ascii(), "x.");
    }

    #[test]
    fn escaped_and_unusual_octets_become_raw_labels() {
        let name = parse_name("\\000.a.example.test.", &Name::root()).unwrap();
        assert_eq!(name.iter().next(), Some(&[0_u8][..]));
        assert_eq!(name.num_labels(), 4);
        let bang = parse_name("!.example.com.", &Name::root()).unwrap();
        assert_eq!(bang.iter().next(), Some(&b"!"[..]));
        assert!(parse_name("a..b.", &Name::root()).is_err());
    }
}
