//! Owner and RDATA names in presentation format: `@`, absolute (trailing dot) or relative to an origin.
//! Letter case is kept (0x20 checks and `MATCH qcase` depend on it), so never IDNA-folded.

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
    let name = Name::from_ascii(text).map_err(bad)?;
    if name.is_fqdn() {
        Ok(name)
    } else {
        name.append_domain(origin).map_err(bad)
    }
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
}
