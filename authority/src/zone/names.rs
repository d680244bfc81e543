//! Lowercased names on the query path: a question's name is lowercased once, then cut into its
//! ancestors without lowercasing or copying it again. Holds no zone data and never allocates twice.

use hickory_proto::rr::LowerName;

/// The last `labels` labels of `name` (the whole name if it has no more), still lowercase.
pub fn ancestor(name: &LowerName, labels: usize) -> LowerName {
    if labels >= usize::from(name.num_labels()) {
        return name.clone();
    }
    // `LowerName::from` would lowercase again; the cut of a lowercase name already is.
    let mut cut = LowerName::default();
    *cut = name.trim_to(labels);
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::Name;

    fn lower(text: &str) -> LowerName {
        LowerName::new(&Name::from_ascii(text).expect("name"))
    }

    #[test]
    fn ancestor_of_a_lowercased_name_equals_the_lowercased_ancestor() {
        let name = lower("WWW.Sub.Example.TEST.");
        assert_eq!(ancestor(&name, 2), lower("example.test."));
        assert_eq!(ancestor(&name, 0), lower("."));
        assert_eq!(ancestor(&name, 4), name);
        assert_eq!(ancestor(&name, 9), name);
        assert_eq!(ancestor(&name, 2).to_string(), "example.test.");
    }

    #[test]
    fn wildcard_of_an_ancestor_is_the_source_of_synthesis() {
        let name = lower("a.b.Wild.Test.");
        assert_eq!(ancestor(&name, 3).into_wildcard(), lower("*.wild.test."));
    }
}
