//! The closest valid word to a misspelt one (`Type` → `type`, `exchnage` → `exchange`), for
//! error messages that suggest a fix. Load-time only; it never decides what is valid.

/// Edits (insert, delete, replace, swap of neighbours) beyond which a word is not a misspelling.
const MAX_EDITS: usize = 2;

/// The candidate closest to `word`, ignoring case, if it is within MAX_EDITS edits.
pub fn closest<'candidate>(word: &str, candidates: &[&'candidate str]) -> Option<&'candidate str> {
    let word = word.to_ascii_lowercase();
    candidates
        .iter()
        .map(|candidate| {
            (
                edit_distance(&word, &candidate.to_ascii_lowercase()),
                *candidate,
            )
        })
        .filter(|(distance, _)| *distance <= MAX_EDITS)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Optimal string alignment distance: Levenshtein plus the swap of two neighbours as one edit.
fn edit_distance(left: &str, right: &str) -> usize {
    let left: Vec<char> = left.chars().collect();
    let right: Vec<char> = right.chars().collect();
    let width = right.len() + 1;
    let mut table = vec![0usize; (left.len() + 1) * width];
    let at = |row: usize, column: usize| row * width + column;
    for row in 0..=left.len() {
        table[at(row, 0)] = row;
    }
    for column in 0..=right.len() {
        table[at(0, column)] = column;
    }
    for row in 1..=left.len() {
        for column in 1..=right.len() {
            let cost = usize::from(left[row - 1] != right[column - 1]);
            let mut best = (table[at(row - 1, column)] + 1)
                .min(table[at(row, column - 1)] + 1)
                .min(table[at(row - 1, column - 1)] + cost);
            if row > 1
                && column > 1
                && left[row - 1] == right[column - 2]
                && left[row - 2] == right[column - 1]
            {
                best = best.min(table[at(row - 2, column - 2)] + 1);
            }
            table[at(row, column)] = best;
        }
    }
    table[at(left.len(), right.len())]
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: [&str; 4] = ["type", "ttl", "value", "values"];

    #[test]
    fn misspellings_find_their_word() {
        assert_eq!(closest("Type", &KEYS), Some("type"));
        assert_eq!(closest("typ", &KEYS), Some("type"));
        assert_eq!(
            closest("exchnage", &["exchange", "preference"]),
            Some("exchange")
        );
        assert_eq!(closest("valeus", &KEYS), Some("values"));
        assert_eq!(closest("weight", &KEYS), None);
    }
}
