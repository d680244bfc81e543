//! Unbound's tags (`define-tag`): names for client groups and zone groups, held as a bit set so a
//! query's check is one AND. It only names and compares tags; what a tag does lives in the ACL.

use std::fmt;

use crate::server::limits::MAX_TAGS;
use crate::server::local_zone_table::unquote;

/// A set of tags by index (the order of `define-tag`), as Unbound's taglist bitmap.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TagSet(u128);

impl TagSet {
    pub const EMPTY: TagSet = TagSet(0);

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn insert(&mut self, index: usize) {
        if index < MAX_TAGS {
            self.0 |= 1u128 << index;
        }
    }

    /// The lowest-numbered tag both sets hold (Unbound `local_data_find_tag_action` scans bits
    /// from tag 0 up, so the first defined tag wins).
    pub fn first_common(self, other: TagSet) -> Option<usize> {
        let common = self.0 & other.0;
        (common != 0).then(|| common.trailing_zeros() as usize)
    }
}

/// A tag name that was not defined, or too many tags; names the offending text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TagError {
    Undefined(String),
    TooMany(String),
}

impl fmt::Display for TagError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TagError::Undefined(name) => {
                write!(formatter, "tag {name:?} is not defined (define-tag)")
            }
            TagError::TooMany(name) => {
                write!(
                    formatter,
                    "tag {name:?}: at most {MAX_TAGS} tags may be defined"
                )
            }
        }
    }
}

impl std::error::Error for TagError {}

/// The defined tag names, in definition order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TagNames {
    names: Vec<String>,
}

impl TagNames {
    /// Reads `define-tag` values: each a quoted, space-separated list; a name defined twice keeps
    /// its first index.
    pub fn define<'a>(lines: impl IntoIterator<Item = &'a str>) -> Result<TagNames, TagError> {
        let mut names: Vec<String> = Vec::new();
        for line in lines {
            for name in unquote(line).split_whitespace() {
                if names.iter().any(|known| known == name) {
                    continue;
                }
                if names.len() == MAX_TAGS {
                    return Err(TagError::TooMany(name.to_owned()));
                }
                names.push(name.to_owned());
            }
        }
        Ok(TagNames { names })
    }

    pub fn index(&self, name: &str) -> Result<usize, TagError> {
        let name = unquote(name);
        self.names
            .iter()
            .position(|known| known == name)
            .ok_or_else(|| TagError::Undefined(name.to_owned()))
    }

    /// A quoted list of names (`"tag1 tag2"`) as a set.
    pub fn set(&self, list: &str) -> Result<TagSet, TagError> {
        let mut set = TagSet::default();
        for name in unquote(list).split_whitespace() {
            set.insert(self.index(name)?);
        }
        Ok(set)
    }

    pub fn name(&self, index: usize) -> Option<&str> {
        self.names.get(index).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_numbered_in_definition_order_and_the_first_common_one_wins() {
        let names = TagNames::define(["\"tag1 tag2 tag3\"", "tag4"]).unwrap();
        assert_eq!(names.index("tag4"), Ok(3));
        let client = names.set("\"tag2 tag3\"").unwrap();
        let zone = names.set("tag3 tag1").unwrap();
        assert_eq!(client.first_common(zone), Some(2));
        assert_eq!(client.first_common(names.set("tag4").unwrap()), None);
        assert!(TagSet::default().is_empty());
    }

    #[test]
    fn undefined_tags_are_errors_naming_the_tag() {
        let names = TagNames::define(["a"]).unwrap();
        assert_eq!(names.set("a b"), Err(TagError::Undefined("b".to_owned())));
        let many: Vec<String> = (0..=MAX_TAGS).map(|index| format!("t{index}")).collect();
        assert!(TagNames::define(many.iter().map(String::as_str)).is_err());
    }
}
